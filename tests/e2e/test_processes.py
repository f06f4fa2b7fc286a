"""The processes as people start them: `crm dev` (make run) and `crm serve customer` (compose)."""

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import httpx

from chassis.embedded import EmbeddedMongo, free_port
from gateway.sockets import network_socket, subscribe
from services.credit.settings import DEV_INTAKE_TOKEN
from tests.support import PARTITIONS, START, delete_services, eventually, publish_as_outsider

CRM = [sys.executable, "-m", "crm.cli"]


@contextmanager
def running(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(CRM + args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def crm(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(CRM + list(args), env={**os.environ, **(env or {})}, check=True, capture_output=True,
                          text=True).stdout.strip()


async def ready(client: httpx.AsyncClient, base: str, log: Path) -> bool:
    try:
        return (await client.get(f"{base}/readyz")).status_code == 200
    except httpx.TransportError:
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")
        return False


async def graphql(client: httpx.AsyncClient, base: str, token: str, query: str, **variables: object) -> dict:
    response = await client.post(f"{base}/graphql", json={"query": query, "variables": variables},
                                 headers={"authorization": f"Bearer {token}"})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_make_run_serves_graphiql_where_a_dev_token_registers_searches_updates_and_reads_history(
        tmp_path: Path) -> None:
    port = free_port()
    env = {"MONGO_URL": "", "AMQP_URL": ""}  # the embedded defaults, as on a fresh machine
    with running(["dev", "--port", str(port), "--data-dir", str(tmp_path / "crm")], env, port,
                 tmp_path / "dev.log") as base:
        async with httpx.AsyncClient(timeout=10) as client:
            await eventually(lambda: ready(client, base, tmp_path / "dev.log"), 30)
            page = await client.get(f"{base}/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200 and "graphiql" in page.text.lower()
            token = crm("token", "--role", "SALES", "--user", "demo-sales-east", "--region", "east")  # as printed

            demo = await graphql(client, base, token, "{ customers { totalCount } }")
            assert demo["customers"]["totalCount"] > 0  # demo data seeded once: the dev salesperson's own
            added = await graphql(client, base, token, """mutation {
              registerCustomer(input: {name: "苏州新客户", kind: COMPANY, nature: ORDINARY_COMPANY, region: "east"})
              { id version } }""")
            customer = added["registerCustomer"]
            found = await graphql(client, base, token, """query { customers(filter: {text: "苏州"}) {
              edges { node { id } } } }""")
            assert [e["node"]["id"] for e in found["customers"]["edges"]] == [customer["id"]]
            await graphql(client, base, token, """mutation($id: ID!) {
              updateCustomer(id: $id, expectedVersion: 1, input: {phone: "0512-6666 0001"}) { version } }""",
                          id=customer["id"])
            history = await graphql(client, base, token, """query($id: ID!) {
              customer(id: $id) { history { action by changes { field new } } } }""", id=customer["id"])
            assert history["customer"]["history"][-1] == {
                "action": "UPDATED", "by": "demo-sales-east", "changes": [{"field": "phone", "new": "0512-6666 0001"}]}

            # ERP over HTTP, as README's "Publishing from ERP over HTTP" shows: credit's intake under `crm dev`
            sent = crm("publish", "invoice", "--customer", customer["id"], "--amount-fen", "250000", "--http",
                       f"{base}/subgraphs/credit/events", "--token", DEV_INTAKE_TOKEN)
            assert sent.startswith("202 ")

            async def sold() -> bool:
                card = await graphql(client, base, token, "query($id: ID!) { customer(id: $id) { lifecycle } }",
                                     id=customer["id"])
                return card["customer"]["lifecycle"] == "NEW"

            await eventually(sold, 15)  # accepted, stored, published, and the archive heard of the sale


@contextmanager
def own_store(tmp_path: Path) -> Iterator[str]:
    """A store for the served processes alone: the stand-in cannot keep several processes' transactions apart,
    so none shares the test session's one."""
    store = EmbeddedMongo(tmp_path / "mongo").start()
    try:
        yield store.url
    finally:
        store.stop()


async def test_serve_customer_consumes_an_invoice_published_with_the_cli(
        tmp_path: Path, amqp_url: str, unique: str) -> None:
    port = free_port()
    with own_store(tmp_path) as mongo_url:
        await _serve_customer_and_publish(tmp_path, mongo_url, amqp_url, unique, port)


async def _serve_customer_and_publish(tmp_path: Path, mongo_url: str, amqp_url: str, unique: str, port: int
                                      ) -> None:
    env = {"MONGO_URL": mongo_url, "AMQP_URL": amqp_url, "CRM_INSTANCE": unique, "PORT": str(port),
           "OUTBOX_POLL_S": "0.2", "QUEUE_EXPIRES_S": "300", "PARTITIONS": str(PARTITIONS)}
    try:
        with running(["serve", "customer"], env, port, tmp_path / "serve.log") as base:
            async with httpx.AsyncClient(timeout=10) as client:
                await eventually(lambda: ready(client, base, tmp_path / "serve.log"), 30)
                token = crm("token", "--role", "SALES", "--user", "rep-2")
                customer = (await graphql(client, base, token, """mutation {
                  registerCustomer(input: {name: "发票客户", kind: COMPANY, nature: ORDINARY_COMPANY}) { id } }"""
                                          ))["registerCustomer"]
                crm("publish", "invoice", "--customer", customer["id"], "--amount-fen", "250000", env=env)

                async def lifecycle() -> str | None:
                    card = await graphql(client, base, token, "query($id: ID!) { customer(id: $id) { lifecycle } }",
                                         id=customer["id"])
                    return card["customer"]["lifecycle"] if card["customer"]["lifecycle"] == "NEW" else None

                assert await eventually(lifecycle, 15) == "NEW"
    finally:
        await delete_services(amqp_url, f"customer.{unique}")


async def test_a_query_through_the_gateway_equals_the_same_query_sent_to_the_customer_subgraph(
        tmp_path: Path, amqp_url: str, unique: str) -> None:
    with own_store(tmp_path) as mongo_url:
        await _gateway_and_subgraph_agree(tmp_path, mongo_url, amqp_url, unique)


@contextlib.asynccontextmanager
async def behind_the_gateway(tmp_path: Path, service: str, env: dict[str, str]) -> AsyncIterator[tuple[str, str]]:
    """`crm serve <service>` and `crm serve gateway` in front of it, as compose runs them, once both are ready:
    the URLs of the subgraph and of the gateway."""
    port, gateway_port = free_port(), free_port()
    subgraphs = f"{service}=http://127.0.0.1:{port}/graphql"
    with running(["serve", service], {**env, "PORT": str(port)}, port, tmp_path / f"{service}.log") as subgraph, \
         running(["serve", "gateway"], {**env, "PORT": str(gateway_port), "SUBGRAPHS": subgraphs},
                 gateway_port, tmp_path / "gateway.log") as gateway:
        async with httpx.AsyncClient(timeout=10) as client:
            await eventually(lambda: ready(client, subgraph, tmp_path / f"{service}.log"), 30)
            await eventually(lambda: ready(client, gateway, tmp_path / "gateway.log"), 30)
        yield subgraph, gateway


async def _gateway_and_subgraph_agree(tmp_path: Path, mongo_url: str, amqp_url: str, unique: str) -> None:
    env = {"MONGO_URL": mongo_url, "AMQP_URL": amqp_url, "CRM_INSTANCE": unique, "QUEUE_EXPIRES_S": "300",
           "PARTITIONS": str(PARTITIONS)}
    try:
        async with behind_the_gateway(tmp_path, "customer", env) as (subgraph, gateway), \
                httpx.AsyncClient(timeout=10) as client:
            token = crm("token", "--role", "SALES", "--user", "rep-3", "--region", "east")
            for name in ("网关客户甲", "网关客户乙", "Gateway Customer C"):
                await graphql(client, gateway, token, """mutation($name: String!) {
                  registerCustomer(input: {name: $name, kind: COMPANY, nature: ORDINARY_COMPANY, region: "east"})
                  { id } }""", name=name)
            queries = [
                ("""query { customers(first: 2) { totalCount pageInfo { hasNextPage endCursor }
                     edges { cursor node { id code name kind lifecycle version } } } }""", {}),
                ("""query($f: CustomerFilter) { a: customers(filter: $f) { edges { node { __typename name
                     ...Card } } } } fragment Card on Customer { region contacts { name } history { action } }""",
                 {"f": {"text": "网关"}}),
                ("""query { me { id roles region } nobody: customer(id: "nobody") { id } }""", {}),
            ]
            for query, variables in queries:
                direct = await graphql(client, subgraph, token, query, **variables)
                through = await graphql(client, gateway, token, query, **variables)
                assert through == direct
    finally:
        await delete_services(amqp_url, f"customer.{unique}")


async def test_a_subscription_through_the_gateway_process_receives_a_notification_over_real_websockets(
        tmp_path: Path, amqp_url: str, unique: str) -> None:
    with own_store(tmp_path) as mongo_url:
        await _subscribe_through_the_gateway(tmp_path, mongo_url, amqp_url, unique)


async def _subscribe_through_the_gateway(tmp_path: Path, mongo_url: str, amqp_url: str, unique: str) -> None:
    """`crm serve notifications` and `crm serve gateway` as compose runs them: the client's WebSocket to the
    gateway, the gateway's to the subgraph, the subgraph hearing `notification.sent` on RabbitMQ."""
    env = {"MONGO_URL": mongo_url, "AMQP_URL": amqp_url, "CRM_INSTANCE": unique, "QUEUE_EXPIRES_S": "300",
           "PARTITIONS": str(PARTITIONS), "OUTBOX_POLL_S": "0.2"}
    owner = f"rep-{unique}"
    try:
        async with behind_the_gateway(tmp_path, "notifications", env) as (_, gateway):
            token = crm("token", "--role", "SALES", "--user", owner, "--region", "east")
            async with aiohttp.ClientSession() as session, \
                    network_socket(session, f"{gateway}/graphql") as socket:
                events = subscribe(socket, {"Authorization": f"Bearer {token}"},
                                   "subscription { notifications { kind message customer { id } } }", {})
                first = asyncio.ensure_future(anext(events))
                warning = {"specversion": "1.0", "id": f"warn-{unique}", "source": "ownership",
                           "type": "ownership.recall_warning", "time": START.isoformat(), "subject": "c-live",
                           "datacontenttype": "application/json",
                           "data": {"customerId": "c-live", "ownerId": owner, "expiresAt": START.isoformat(),
                                    "warnedAt": START.isoformat(), "region": "east"}}

                attempts = itertools.count()

                async def told() -> bool:  # news again (a later expiry) until the subscription is there to hear it
                    expires = (START + timedelta(seconds=next(attempts))).isoformat()
                    await publish_as_outsider(amqp_url, {**warning, "id": f"warn-{uuid.uuid4().hex}",
                                                         "data": {**warning["data"], "expiresAt": expires}},
                                              "ownership.recall_warning")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(first), 1.0)
                    return first.done()

                await eventually(told, 30)
                assert first.result() == {"data": {"notifications": {
                    "kind": "RECALL_WARNING", "customer": {"id": "c-live"},
                    "message": "Goes back to the pool on 2026-03-02 unless there is a deal or a sale first"}}}
                await events.aclose()
    finally:
        await delete_services(amqp_url, f"notifications.{unique}")
