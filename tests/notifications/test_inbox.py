"""The notifications subgraph against real Mongo wire protocol and RabbitMQ: inboxes, desks, preferences, copies."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from chassis.clock import FixedClock
from chassis.service import Service
from contracts.credit import CreditAlertRaised
from contracts.envelope import Envelope
from contracts.ownership import CaseAwaitingApproval
from services.notifications.app import create_app
from tests.support import START, GraphQL, delete_services, eventually, listening, serving, settings_for, token

INBOX = """query($first: Int!, $after: String, $unread: Boolean!) { myNotifications(first: $first, after: $after,
  unreadOnly: $unread) { totalCount pageInfo { endCursor hasNextPage } edges { node { id kind message recipientId
  readAt customer { id } } } } unreadNotificationCount }"""
MARK = """mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"""
MUTE = """mutation($kinds: [NotificationKind!], $customers: [ID!]) {
  setNotificationPreferences(mutedKinds: $kinds, mutedCustomerIds: $customers) { mutedKinds mutedCustomerIds } }"""
REP = token("SALES", user="rep-1", region="east")
CLERK = token("FINANCE", user="clerk-1", region=None)
OTHER_CLERK = token("FINANCE", user="clerk-2", region=None)


@pytest.fixture
async def inbox(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[tuple[GraphQL, Service[Any, Any]]]:
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=FixedClock(START))
    try:
        async with serving(app, REP) as gql:
            yield gql, app.state.crm["service"]
    finally:
        await delete_services(amqp_url, f"notifications.{unique}")


def alert(customer_id: str, level: int, *recipients: str, envelope_id: str | None = None, hours: int = 0
          ) -> Envelope[CreditAlertRaised]:
    data = CreditAlertRaised(customer_id=customer_id, level=level, exposure_fen=8_000_000, limit_fen=10_000_000,
                             recipients=list(recipients), raised_at=START + timedelta(hours=hours),
                             salesperson_id="rep-1", region="east")
    return Envelope.wrap(data, source="credit", time=START).model_copy(update={"id": envelope_id or str(uuid.uuid4())})


async def page(gql: GraphQL, bearer: str = REP, *, first: int = 20, after: str | None = None,
               unread: bool = False) -> dict[str, Any]:
    return await gql.data(INBOX, {"first": first, "after": after, "unread": unread}, as_token=bearer)


async def test_the_same_news_under_another_envelope_is_one_notification_announced_once(inbox, amqp_url) -> None:
    gql, service = inbox
    async with listening(amqp_url, "notification.sent") as sent:
        await service.deliver(alert("c1", 80, "rep-1"))
        await service.deliver(alert("c1", 80, "rep-1"))  # credit told it again, under a new envelope id
        same = alert("c1", 90, "rep-1", envelope_id="twice")
        await service.deliver(same)
        await service.deliver(same)  # the broker's redelivery
        await eventually(lambda: len([e for e in sent if e["data"]["recipientId"] == "rep-1"]) >= 2)
        assert (await page(gql))["myNotifications"]["totalCount"] == 2
    assert len([e for e in sent if e["data"]["recipientId"] == "rep-1"]) == 2


async def test_a_desk_notification_is_read_by_its_members_and_read_for_all_once_one_reads_it(inbox) -> None:
    gql, service = inbox
    await service.deliver(alert("c1", 80, "rep-1", "FINANCE"))  # the directory named nobody in finance
    [desk] = (await page(gql, CLERK))["myNotifications"]["edges"]
    assert desk["node"]["recipientId"] == "FINANCE"
    assert [e["node"]["recipientId"] for e in (await page(gql))["myNotifications"]["edges"]] == ["rep-1"]
    assert (await gql.data(MARK, {"ids": [desk["node"]["id"]]}, as_token=CLERK))["markNotificationsRead"] == 0
    seen = await page(gql, OTHER_CLERK)
    assert seen["unreadNotificationCount"] == 0 and seen["myNotifications"]["edges"][0]["node"]["readAt"]
    assert (await page(gql))["unreadNotificationCount"] == 1  # rep-1's own is theirs to read


async def test_the_inbox_pages_newest_first_with_cursors_and_filters_unread(inbox) -> None:
    gql, service = inbox
    for n in range(5):
        await service.deliver(alert(f"c{n}", 80, "rep-1", hours=n))
    first = await page(gql, first=2)
    assert first["myNotifications"]["pageInfo"]["hasNextPage"] and first["myNotifications"]["totalCount"] == 5
    rest = await page(gql, first=10, after=first["myNotifications"]["pageInfo"]["endCursor"])
    edges = first["myNotifications"]["edges"] + rest["myNotifications"]["edges"]
    assert [e["node"]["customer"]["id"] for e in edges] == ["c4", "c3", "c2", "c1", "c0"]  # newest first
    ids = [e["node"]["id"] for e in edges]
    await gql.data(MARK, {"ids": ids[:2]})
    unread = await page(gql, unread=True)
    assert [e["node"]["id"] for e in unread["myNotifications"]["edges"]] == ids[2:]
    assert unread["unreadNotificationCount"] == 3


async def test_muted_kinds_and_customers_are_not_delivered_and_an_empty_list_unmutes(inbox) -> None:
    gql, service = inbox
    muted = await gql.data(MUTE, {"customers": ["c-quiet"]})
    assert muted["setNotificationPreferences"] == {"mutedKinds": [], "mutedCustomerIds": ["c-quiet"]}
    await service.deliver(alert("c-quiet", 80, "rep-1", "rm-1"))
    await service.deliver(alert("c-loud", 80, "rep-1"))
    assert [e["node"]["customer"]["id"] for e in (await page(gql))["myNotifications"]["edges"]] == ["c-loud"]
    rm = token("REGION_MANAGER", user="rm-1", region="east")
    assert (await page(gql, rm))["myNotifications"]["totalCount"] == 1  # only rep-1 muted it
    await gql.data(MUTE, {"kinds": ["CREDIT_ALERT"]})
    await service.deliver(alert("c-other", 80, "rep-1"))
    assert (await page(gql))["myNotifications"]["totalCount"] == 1
    kept = (await gql.data(MUTE, {"customers": []}))["setNotificationPreferences"]
    assert kept == {"mutedKinds": ["CREDIT_ALERT"], "mutedCustomerIds": []}


async def test_own_7_a_handover_ready_for_approval_is_in_the_inbox_of_the_regions_managers_only(inbox) -> None:
    gql, service = inbox
    ready = CaseAwaitingApproval(case_id="case-1", kind="HANDOVER", salesperson_id="rep-9", region="east",
                                 customer_ids=["c1", "c2", "c3"], ready_at=START)
    await service.deliver(Envelope.wrap(ready, source="ownership", time=START))
    east, west = token("REGION_MANAGER", user="rm-e", region="east"), token("REGION_MANAGER", user="rm-w",
                                                                            region="west")
    [told] = (await page(gql, east))["myNotifications"]["edges"]
    assert told["node"]["kind"] == "CASE_AWAITING_APPROVAL" and "rep-9's 3 customers" in told["node"]["message"]
    assert (await page(gql, west))["myNotifications"]["totalCount"] == 0
    assert (await page(gql))["myNotifications"]["totalCount"] == 0  # not the salesperson's to decide
