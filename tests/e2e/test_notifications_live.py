"""Notifications end to end: an event in one service becomes a notification in the right people's inboxes and on
their live subscriptions, through RabbitMQ and through the gateway's WebSocket (graphql-transport-ws)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chassis.auth import mint_token
from chassis.settings import DEV_JWT_SECRET
from gateway.sockets import Socket, SocketClosed, asgi_socket, subscribe
from services.complaints.jobs import sweep_deadlines
from services.ownership.jobs import sweep_recall_warnings
from tests.e2e.test_links import FILE, REGISTER, SAVE_STAFF, an_invoice
from tests.federation import Federation, federation
from tests.support import START, error_codes, eventually, publish_as_outsider, token

NAMES = ("customer", "credit", "ownership", "notifications")
LIVE = """subscription { notifications { id kind message customer { id name phone credit { exposureFen } } } }"""
INBOX = """query($unread: Boolean!) { myNotifications(unreadOnly: $unread) { totalCount edges { node { id kind
  message readAt customer { id } } } } unreadNotificationCount }"""
MARK = """mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"""
REGISTER_WITH_PHONE = """mutation { registerCustomer(input: {name: "苏州轴承贸易有限公司", kind: COMPANY,
  nature: ORDINARY_COMPANY, region: "east", phone: "0512-6666"}) { id } }"""
ESCALATIONS = """{ myNotifications { edges { node { kind message complaintId customer { name phone }
  complaint { id status escalatedTo } } } } }"""


@contextlib.asynccontextmanager
async def socket_to(crm: Federation) -> AsyncIterator[Socket]:
    async with asgi_socket(crm.gateway_app, "/graphql") as socket:
        yield socket


async def following(socket: Socket, bearer: str, document: str = LIVE) -> tuple[asyncio.Task[None], list[Any]]:
    """A subscription running in the background; what it receives collects in the list."""
    received: list[Any] = []

    async def run() -> None:
        async for payload in subscribe(socket, {"Authorization": f"Bearer {bearer}"}, document, {}):
            received.append(payload)

    return asyncio.create_task(run()), received


async def test_a_credit_alert_reaches_the_owners_subscription_through_the_gateway_with_the_customer_shown_to_them(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    rep = token("SALES", user=f"rep-{unique}", region="east")
    async with federation(mongo_url, amqp_url, unique, NAMES, default_token=rep) as crm:
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        credit = crm.services["credit"]
        await eventually(lambda: credit.store.profiles.count_documents({"_id": customer_id}))
        notifications = crm.services["notifications"]
        other = token("SALES", user=f"other-{unique}", region="east")
        async with socket_to(crm) as socket, socket_to(crm) as other_socket:
            task, received = await following(socket, rep)
            other_task, other_received = await following(other_socket, other)
            await eventually(lambda: notifications.live.followers(f"rep-{unique}")
                             and notifications.live.followers(f"other-{unique}"))  # subscribed before the news

            # ERP publishes an invoice on credit to a cash-only customer: CRD-3's 80 %, 90 % and 100 % all at once.
            envelope = an_invoice(customer_id, f"INV-{unique}", days_ago=1).model_dump(mode="json")
            await publish_as_outsider(amqp_url, envelope, "invoice.issued")

            await eventually(lambda: len(received) >= 3, timeout_s=30)
            task.cancel()
            other_task.cancel()
        assert other_received == []  # heard by the same process at the same moment: nothing was theirs
        told = [payload["data"]["notifications"] for payload in received]
        assert all("errors" not in payload for payload in received), received
        assert {n["kind"] for n in told} == {"CREDIT_ALERT"}
        assert sorted(n["message"] for n in told) == ["Credit use reached 80 % of the limit",
                                                      "Credit use reached 90 % of the limit", "Over the credit limit"]
        # the customer's fields come from the customer and credit subgraphs, as the owner may read them
        assert {(n["customer"]["id"], n["customer"]["name"]) for n in told} == {(customer_id, "苏州轴承贸易有限公司")}
        assert all(n["customer"]["credit"]["exposureFen"] == 2_000_000 for n in told)

        inbox = await crm.gateway.data(INBOX, {"unread": True})
        assert inbox["unreadNotificationCount"] == 3 and inbox["myNotifications"]["totalCount"] == 3


async def test_a_subscription_without_a_valid_token_is_closed_before_anything_is_sent(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, ("customer", "notifications")) as crm, socket_to(crm) as socket:
        try:
            async for _ in subscribe(socket, {"Authorization": "Bearer forged"}, LIVE, {}):
                raise AssertionError("a forged token got an event")
        except SocketClosed as closed:
            assert closed.code == 4403
        else:
            raise AssertionError("the connection was not closed")


async def test_a_recall_warning_reaches_the_owner_live_and_stays_in_their_inbox_until_read(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    rep = token("SALES", user=f"rep-{unique}", region="east")
    async with federation(mongo_url, amqp_url, unique, ("customer", "ownership", "notifications"),
                          default_token=rep) as crm:
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        ownership = crm.services["ownership"]
        await eventually(lambda: ownership.store.find(customer_id))  # OWN-1: the rep owns it for two months
        async with socket_to(crm) as socket:
            task, received = await following(socket, rep, "subscription { notifications { id kind message } }")
            await eventually(lambda: crm.services["notifications"].live.followers(f"rep-{unique}"))
            crm.clock.advance(timedelta(days=54))  # seven days before it goes back to the pool
            assert await sweep_recall_warnings(ownership) == 1
            [payload] = await eventually(lambda: received, timeout_s=30)
            task.cancel()
        told = payload["data"]["notifications"]
        assert told["kind"] == "RECALL_WARNING" and told["message"].startswith("Goes back to the pool on 2026-05-0")

        inbox = await crm.gateway.data(INBOX, {"unread": True})
        assert [e["node"]["id"] for e in inbox["myNotifications"]["edges"]] == [told["id"]]
        someone_else = token("SALES", user=f"other-{unique}", region="east")
        assert (await crm.gateway.data(MARK, {"ids": [told["id"]]}, as_token=someone_else))[
            "markNotificationsRead"] == 0  # not theirs: nothing changes
        assert (await crm.gateway.data(INBOX, {"unread": True}))["unreadNotificationCount"] == 1
        assert (await crm.gateway.data(MARK, {"ids": [told["id"]]}))["markNotificationsRead"] == 0
        read = await crm.gateway.data(INBOX, {"unread": False})
        assert read["unreadNotificationCount"] == 0 and read["myNotifications"]["edges"][0]["node"]["readAt"]


async def test_an_escalation_reaches_the_regional_manager_and_the_handler_who_sees_only_what_they_may(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    owner = token("SALES", user=f"owner-{unique}", region="east")
    handler = token("SALES", user=f"handler-{unique}", region="east")  # files it, so handles it (CMP-2)
    manager = token("REGION_MANAGER", user=f"rm-{unique}", region="east")
    admin = token("ADMIN", user="admin", region=None)
    async with federation(mongo_url, amqp_url, unique, ("customer", "ownership", "complaints", "notifications"),
                          default_token=owner) as crm:
        desk = crm.services["complaints"]
        await crm.gateway.data(SAVE_STAFF, {"input": {"id": f"rm-{unique}", "name": "东区经理",
                                                      "roles": ["REGION_MANAGER"], "region": "east"}}, as_token=admin)
        customer_id = (await crm.gateway.data(REGISTER_WITH_PHONE))["registerCustomer"]["id"]
        await eventually(lambda: desk.store.find_customer(customer_id))
        await eventually(lambda: desk.store.directory.version(f"rm-{unique}"))
        complaint_id = (await crm.gateway.data(FILE, {"input": {
            "customerId": customer_id, "kind": "SERVICE", "description": "电话没人接", "reason": "人手不足",
            "plan": "回电", "expectedResolutionAt": (START + timedelta(days=3)).isoformat()}}, as_token=handler))[
            "fileComplaint"]["id"]
        crm.clock.advance(timedelta(days=5))  # past the acknowledgement deadline (CMP-4)
        assert await sweep_deadlines(desk) >= 1

        async def told(bearer: str) -> list[dict[str, Any]]:
            inbox = await crm.gateway(ESCALATIONS, as_token=bearer)
            return [e["node"] for e in ((inbox.get("data") or {}).get("myNotifications") or {}).get("edges", [])]

        [to_manager] = await eventually(lambda: told(manager), timeout_s=30)
        [to_handler] = await eventually(lambda: told(handler), timeout_s=30)
        assert to_manager["message"].startswith("A complaint was escalated to you")
        assert to_handler["message"].startswith("A complaint you handle was escalated")
        assert to_manager["complaintId"] == to_handler["complaintId"] == complaint_id
        # the complaint itself, from the complaints subgraph, as each of them may read it
        assert to_manager["complaint"] == {"id": complaint_id, "status": "RECEIVED", "escalatedTo": [f"rm-{unique}"]}
        assert to_manager["customer"]["phone"] == "0512-6666"  # a regional manager reads the region's full cards
        # The handler is another salesperson: the customer's confidential part is not theirs to read (CUS-9).
        answer = await crm.gateway(ESCALATIONS, as_token=handler)
        [node] = [e["node"] for e in answer["data"]["myNotifications"]["edges"]]
        assert node["customer"]["phone"] is None and node["customer"]["name"] == "苏州轴承贸易有限公司"
        assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
        assert await told(owner) == []  # the rules name the manager and the handler, not the owner


async def test_a_subscription_connection_ends_when_its_token_expires(mongo_url: str, amqp_url: str,
                                                                      unique: str) -> None:
    short = mint_token(DEV_JWT_SECRET, f"rep-{unique}", ["SALES"], now=datetime.now(UTC), region="east",
                       ttl=timedelta(seconds=2))
    async with federation(mongo_url, amqp_url, unique, ("customer", "notifications")) as crm, socket_to(crm) as socket:
        task, received = await following(socket, short, "subscription { notifications { id } }")
        try:
            await asyncio.wait_for(asyncio.shield(task), 20)
        except SocketClosed as closed:
            assert (closed.code, closed.reason) == (4403, "Forbidden: the token expired")
        else:
            raise AssertionError(f"the subscription ended otherwise: {received}")


async def test_a_subscription_over_http_is_told_to_use_the_websocket(mongo_url: str, amqp_url: str,
                                                                     unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, ("customer", "notifications")) as crm:
        answer = await crm.gateway("subscription { notifications { id } }")
    assert error_codes(answer) == ["BAD_REQUEST"] and "WebSocket" in answer["errors"][0]["message"]
