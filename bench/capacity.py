"""What one replica of each process serves: CPU per GraphQL request of our gateway and of each subgraph, and
CPU per finance event (invoice or payment) of each service that consumes them.

    .venv/bin/python bench/capacity.py      # about 80 s; Linux (reads /proc); RabbitMQ on AMQP_URL

Starts the four services and our gateway each as its own process (`crm serve <name>`, as in production) over
`crm dev`'s demo data in an embedded Mongo, sends each query of gateway_vs_hive.py through the gateway from
16 clients (each its own token, so that no two share a subgraph request) for a few seconds, and reads how
much CPU each process used per request. A replica at one full core
serves 1000 / (CPU ms per request) requests/s; README "Scaling out" plans replicas at 70 % of that (the
autoscalers' target). The store's own CPU (nx-27017 here, MongoDB in production) is not ours and is left out;

Events: credit, ownership and customer as processes on RabbitMQ (a private vhost when rabbitmqctl can add
one), customers registered through the customer subgraph as a salesperson would (credit and ownership hear
of them), then ERP's invoices and payments published to `crm.events` as ERP does; CPU per finance event of each
process once every service has worked off everything the events set off.
"""

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import httpx
from gateway_overhead import Load  # also puts the repo on sys.path
from gateway_vs_hive import QUERIES, Children, seed, seller_headers, start_ours
from proc import cpu_s
from pymongo import AsyncMongoClient
from queues import delete_service_queues, delete_vhost, private_vhost

from chassis.embedded import EmbeddedMongo, free_port
from crm.seed import SALESPEOPLE
from crm.services import SERVICES

CLIENTS = 16
SECONDS = 6.0
BUDGET_S = 120.0

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
CONSUMERS = ("credit", "ownership", "customer")  # the services ERP's invoices and payments reach
CUSTOMERS = 100
INVOICES = 500
PAYMENTS = 500
EVENTS_BUDGET_S = 150.0
REGISTER = """mutation($name: String!, $phone: String!) { registerCustomer(input: {name: $name, kind: COMPANY,
  nature: ORDINARY_COMPANY, region: "east", phone: $phone}) { id } }"""


async def run(children: Children, mongo_url: str) -> None:
    gateway, _ = await start_ours(children, mongo_url)
    await children.wait_until_up("gateway", f"{gateway}/healthz")  # healthy = composed
    processes = ["gateway", *SERVICES]
    print(f"CPU ms per request of each process, {CLIENTS} clients through the gateway for {SECONDS:g} s")
    print(f"{'query':<24}{'req/s':>7}" + "".join(f"{name:>12}" for name in processes))
    for name, query in QUERIES.items():
        # Each client its own token: no two share a subgraph request, as when different people ask.
        loads = [Load(f"{gateway}/graphql", query, seller_headers(age_s=n), 1) for n in range(CLIENTS)]
        await asyncio.gather(*(load.warm_up() for load in loads))
        before = {p: cpu_s(children.started[p].pid) for p in processes}
        started = time.perf_counter()
        await asyncio.gather(*(load.run_for(SECONDS) for load in loads))
        elapsed_s = time.perf_counter() - started
        served = sum(len(load.latencies_ms) for load in loads)
        per_request = {p: (cpu_s(children.started[p].pid) - before[p]) * 1000 / served for p in processes}
        print(f"{name:<24}{served / elapsed_s:>7.0f}" + "".join(f"{per_request[p]:>12.2f}" for p in processes))
        for load in loads:
            await load.client.aclose()
            if load.failures:
                print(f"        failed requests: {dict(load.failures)}")
    print("(one replica at a full core: 1000 / ms requests/s; client, gateway and subgraphs share "
          "this machine's cores)")


async def events(children: Children, mongo_url: str, amqp_url: str, instance: str) -> None:
    env = {"CRM_ENV": "test", "MONGO_URL": mongo_url, "AMQP_URL": amqp_url, "LOG_LEVEL": "WARNING",
           "OUTBOX_POLL_S": "0.2", "CRM_INSTANCE": instance}
    ports = {name: free_port() for name in CONSUMERS}
    for name, port in ports.items():
        children.start(f"{name}-events", [sys.executable, "-m", "crm.cli", "serve", name, "--host", "127.0.0.1",
                                          "--port", str(port)], env)
    for name, port in ports.items():
        await children.wait_until_up(f"{name}-events", f"http://127.0.0.1:{port}/readyz")
    mongo = AsyncMongoClient(mongo_url, tz_aware=True)
    inboxes = {name: mongo[f"crm_{name}_{instance}"]["inbox"] for name in CONSUMERS}
    try:
        customers = await register(f"http://127.0.0.1:{ports['customer']}/graphql")
        await quiet(inboxes)  # credit and ownership heard of them
        before = {name: cpu_s(children.started[f"{name}-events"].pid) for name in CONSUMERS}
        started = time.perf_counter()
        await publish(amqp_url, finance_events(customers))
        await quiet(inboxes)
        elapsed_s = time.perf_counter() - started
        per_event = {name: (cpu_s(children.started[f"{name}-events"].pid) - before[name]) * 1000
                     / (INVOICES + PAYMENTS) for name in CONSUMERS}
    finally:
        await mongo.close()
    print(f"\nCPU ms per finance event of each consumer ({INVOICES} invoices and {PAYMENTS} payments for "
          f"{CUSTOMERS} customers, worked off in {elapsed_s:.1f} s with all they set off)")
    print("".join(f"{name:>12}" for name in CONSUMERS))
    print("".join(f"{per_event[name]:>12.2f}" for name in CONSUMERS))


async def register(url: str) -> list[str]:
    """Customers as a salesperson registers them; each one's customer.registered reaches credit and ownership."""
    async with httpx.AsyncClient(timeout=30, headers=seller_headers()) as client:
        async def one(n: int) -> str:
            variables = {"name": f"容量测试{secrets.token_hex(4)}有限公司", "phone": f"0512-{n:08d}"}
            answer = (await client.post(url, json={"query": REGISTER, "variables": variables})).json()
            return answer["data"]["registerCustomer"]["id"]

        return [await one(n) for n in range(CUSTOMERS)]


def finance_events(customers: list[str]) -> list[tuple[str, dict]]:
    """ERP's invoices, then payments settling part of them: (type, data)."""
    now = datetime.now(UTC)
    invoices = [("invoice.issued", {"invoiceId": f"INV-{n}", "customerId": customers[n % CUSTOMERS],
                                    "amountFen": 1_000_000, "issuedAt": (now - timedelta(days=1)).isoformat(),
                                    "dueAt": (now + timedelta(days=29)).isoformat(), "salespersonId": SALESPEOPLE[0].id})
                for n in range(INVOICES)]
    payments = [("payment.received", {"paymentId": f"PAY-{n}", "customerId": customers[n % CUSTOMERS],
                                      "amountFen": 100_000, "receivedAt": now.isoformat()}) for n in range(PAYMENTS)]
    return invoices + payments


async def publish(amqp_url: str, events: list[tuple[str, dict]]) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("crm.events")
        for event_type, data in events:
            event_id = f"{event_type}-{secrets.token_hex(8)}"
            body = {"specversion": "1.0", "id": event_id, "source": "erp", "type": event_type,
                    "time": datetime.now(UTC).isoformat(), "subject": data["customerId"],
                    "datacontenttype": "application/json", "data": data}
            await exchange.publish(aio_pika.Message(json.dumps(body).encode(), message_id=event_id,
                                                    content_type="application/cloudevents+json",
                                                    headers={"cloudEvents:subject": data["customerId"]},
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT), event_type)


async def quiet(inboxes: dict) -> None:
    """Until no service's inbox has grown for two seconds: everything the events set off is done."""
    counts: dict[str, int] = {}
    still_since = time.monotonic()
    while time.monotonic() - still_since < 2.0:
        await asyncio.sleep(0.25)
        now = {name: await inbox.estimated_document_count() for name, inbox in inboxes.items()}
        if now != counts:
            counts, still_since = now, time.monotonic()


def remove_copy(instance: str, *, private: bool) -> list[str]:
    """A private vhost takes every queue with it; on a shared one, this copy's queues go one by one."""
    if private:
        problem = delete_vhost(f"crm-{instance}")
        return [problem] if problem else []
    return [p for name in CONSUMERS for p in asyncio.run(delete_service_queues(AMQP_URL, f"{name}.{instance}"))]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="crm-bench-capacity-") as tmp:
        mongo = EmbeddedMongo(Path(tmp) / "mongo").start()
        children = Children(Path(tmp))
        try:
            started = time.monotonic()
            asyncio.run(seed(mongo.url))
            asyncio.run(asyncio.wait_for(run(children, mongo.url), BUDGET_S))
            children.stop_all()
            instance = f"capacity{secrets.token_hex(4)}"
            amqp_url = private_vhost(AMQP_URL, f"crm-{instance}")
            try:
                asyncio.run(asyncio.wait_for(events(children, mongo.url, amqp_url or AMQP_URL, instance),
                                             EVENTS_BUDGET_S))
            finally:
                children.stop_all()
                for problem in remove_copy(instance, private=amqp_url is not None):
                    print(problem)
            print(f"(ran {time.monotonic() - started:.0f} s)")
        finally:
            children.stop_all()
            mongo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
