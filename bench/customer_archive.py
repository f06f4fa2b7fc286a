"""Benchmark of the customer archive as it runs: `crm serve customer` over real HTTP and RabbitMQ.

    .venv/bin/python bench/customer_archive.py            # from the repo root; needs RabbitMQ on AMQP_URL

Starts an embedded Mongo stand-in (nx-27017 on SQLite) and `crm serve customer` as child processes,
drives GraphQL with httpx at 1 and 16 concurrent clients, then pushes `invoice.issued` events through
RabbitMQ and waits until the service has stored their effects. Everything it creates (processes,
temp dir, its own queues) is removed at the end. Bounded: each phase has a deadline, and the run one of 85 s.
"""

import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import httpx
from pymongo import AsyncMongoClient, ReturnDocument

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queues import delete_service_queues

from chassis.bus import entrance_name, partition_queue_name
from chassis.embedded import EmbeddedMongo, free_port
from chassis.store import Database, connect
from services.customer.domain import Customer, CustomerKind, CustomerNature
from services.customer.store import (
    CustomerStore,
    revision_document,
    search_key_documents,
    search_signature,
    to_document,
)

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
EXCHANGE = "crm.events"
# The events go to this run's own entrance (the exchange `crm.customer.<instance>`) unless --via-exchange: through
# `crm.events` every other queue bound to `invoice.issued` on the broker (other copies, the shared
# `crm.customer` of test runs) would get 1,000 invoices for customers it does not know, retry them
# for ~100 s and dead-letter them. The consumer sees the same message either way.
VIA_EXCHANGE = "--via-exchange" in sys.argv[1:]

CONCURRENCY = (1, 16)
# Measured requests per scenario and concurrency (warm-up excluded). The search is sized down: on the
# nx-27017 stand-in it costs ~0.35 s a request at 2,000 customers, and the whole run must stay < 90 s
# on 2 cores that other work may share.
REQUESTS = {
    "registerCustomer": (150, 150),
    "customers(text, first 20)": (20, 32),
    "customer(id){history}": (200, 200),
}
WARMUP = {"registerCustomer": 10, "customers(text, first 20)": 4, "customer(id){history}": 20}
CUSTOMERS = 2_000  # existing customers before the read scenarios
EVENTS = 1_000
RAW_MESSAGES = 1_000

READY_TIMEOUT_S = 30.0
SCENARIO_CAP_S = 20.0  # a scenario (warm-up included) still running after this stops and reports what it got
EVENTS_TIMEOUT_S = 40.0
STOP_TIMEOUT_S = 8.0
BUDGET_S = 86.0  # the whole run; the GraphQL scenarios leave RESERVE_S of it to the events and cleanup
RESERVE_S = 35.0

REGISTER = (
    """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { id code version } }"""
)
SEARCH = """query($text: String!) { customers(filter: {text: $text}, first: 20) {
  totalCount edges { node { id name code } } } }"""
ONE = """query($id: ID!) { customer(id: $id) { id name history { version } } }"""


@dataclass
class Result:
    name: str
    clients: int
    requests: int
    errors: int
    wall_s: float
    latencies_ms: list[float]
    capped: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


class GraphQLError(Exception):
    pass


class Bench:
    def __init__(self) -> None:
        self.instance = "bench" + secrets.token_hex(4)
        self.prefix = "Bench" + self.instance[5:]  # every bench customer's name starts with it
        self.tmp = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        self.mongo: EmbeddedMongo | None = None
        self.store_rate = self.store_rate_as_committed = float("nan")
        self.server: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.ids: list[str] = []
        self.counter = 0
        self.deadline = time.monotonic() + BUDGET_S
        self.scenarios_left = len(REQUESTS) * len(CONCURRENCY)
        self.service = f"customer.{self.instance}"
        self.queue = partition_queue_name(self.service, 0)  # the one this bench's single process is active on
        self.timings: dict[str, float] = {}

    # --- processes ---------------------------------------------------------------------------------

    def start(self) -> None:
        t0 = time.perf_counter()
        self.mongo = EmbeddedMongo(self.tmp / "mongo").start()
        # Its own instance, or the service would consume the shared `crm.customer` queue as a competitor
        # of whoever else uses this broker; its queues expire once it is gone.
        env = dict(
            os.environ,
            MONGO_URL=self.mongo.url,
            AMQP_URL=AMQP_URL,
            CRM_INSTANCE=self.instance,
            QUEUE_EXPIRES_S="300",
            PORT=str(self.port),
            LOG_LEVEL="WARNING",
            OUTBOX_POLL_S="0.2",
        )
        self.log = open(self.tmp / "serve.log", "wb")  # noqa: SIM115
        self.server = subprocess.Popen(
            [sys.executable, "-m", "crm.cli", "serve", "customer"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.server.poll() is not None:
                    raise RuntimeError(
                        f"crm serve customer exited with {self.server.returncode}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.base}/readyz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"/readyz not 200 within {READY_TIMEOUT_S}s:\n{self.log_tail()}")
                time.sleep(0.1)
        self.timings["start (mongo + service ready)"] = time.perf_counter() - t0
        asyncio.run(self.check_own_queue())
        self.token = subprocess.run(
            [sys.executable, "-m", "crm.cli", "token", "--role", "SALES", "--user", "bench"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()

    async def check_own_queue(self) -> None:
        """Refuses to go on unless the service consumes its own queues, not ones shared with others."""
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(self.queue, passive=True)
            except aio_pika.exceptions.ChannelClosed as error:
                raise RuntimeError(
                    f"the service did not declare {self.queue}: CRM_INSTANCE not applied; "
                    "stopping before it touches shared queues"
                ) from error
            if not queue.declaration_result.consumer_count:
                raise RuntimeError(f"nobody consumes {self.queue}")

    def log_tail(self, lines: int = 30) -> str:
        path = self.tmp / "serve.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    async def cleanup(self) -> list[str]:
        problems: list[str] = []
        if self.server is not None and self.server.poll() is None:
            t0 = time.perf_counter()
            self.server.terminate()
            try:
                self.server.wait(timeout=STOP_TIMEOUT_S)
                self.timings["crm serve stopped after SIGTERM"] = time.perf_counter() - t0
            except subprocess.TimeoutExpired:
                problems.append(
                    f"crm serve did not stop within {STOP_TIMEOUT_S:.0f} s after SIGTERM; killed. "
                    f"Its log ends:\n{self.log_tail(10)}"
                )
                self.server.kill()
                self.server.wait()
        with contextlib.suppress(Exception):
            self.log.close()
        problems += await delete_service_queues(AMQP_URL, self.service)
        if self.mongo is not None:
            self.mongo.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems

    # --- HTTP ----------------------------------------------------------------------------------------

    async def gql(self, client: httpx.AsyncClient, query: str, variables: dict) -> dict:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLError(
                f"{response.status_code} {json.dumps(body.get('errors'), ensure_ascii=False)[:300]}"
            )
        return body["data"]

    def next_name(self) -> str:
        self.counter += 1
        return f"{self.prefix} 客户 {self.counter:05d} 有限公司"

    async def register(self, client: httpx.AsyncClient) -> None:
        data = await self.gql(
            client,
            REGISTER,
            {
                "input": {
                    "name": self.next_name(),
                    "kind": "COMPANY",
                    "nature": "ORDINARY_COMPANY",
                    "region": ("east", "north", "south", "west")[self.counter % 4],
                }
            },
        )
        self.ids.append(data["registerCustomer"]["id"])

    async def search(self, client: httpx.AsyncClient) -> None:
        data = await self.gql(client, SEARCH, {"text": self.prefix})
        assert len(data["customers"]["edges"]) == 20, data

    async def one(self, client: httpx.AsyncClient) -> None:
        data = await self.gql(client, ONE, {"id": secrets.choice(self.ids)})
        assert data["customer"] and data["customer"]["history"], data

    async def scenario(
        self,
        client: httpx.AsyncClient,
        name: str,
        call: Callable[[httpx.AsyncClient], Awaitable[None]],
        clients: int,
        requests: int,
        warmup: int,
    ) -> Result:
        errors: list[str] = []

        # A fair share of what is left before the events' reserve: on a busy machine every scenario is
        # cut short a little rather than the last ones not run at all.
        share = (self.deadline - RESERVE_S - time.monotonic()) / max(1, self.scenarios_left)
        deadline = time.monotonic() + max(1.0, min(SCENARIO_CAP_S, share))
        self.scenarios_left -= 1

        async def drive(total: int, latencies: list[float] | None) -> bool:
            remaining = total

            async def worker() -> None:
                nonlocal remaining
                while remaining > 0 and time.monotonic() < deadline:
                    remaining -= 1
                    t = time.perf_counter()
                    try:
                        await call(client)
                    except Exception as error:  # noqa: BLE001 - counted and shown, the run goes on
                        errors.append(repr(error))
                        continue
                    if latencies is not None:
                        latencies.append((time.perf_counter() - t) * 1000)

            await asyncio.gather(*(worker() for _ in range(clients)))
            return remaining > 0

        await drive(warmup, None)
        errors.clear()
        latencies: list[float] = []
        t0 = time.perf_counter()
        capped = await drive(requests, latencies)
        wall = time.perf_counter() - t0
        if errors:
            print(f"  ! {name} x{clients}: {len(errors)} errors, first: {errors[0]}", flush=True)
        result = Result(name, clients, len(latencies), len(errors), wall, latencies, capped)
        print(f"    {name} x{clients}: {result.requests} in {wall:.1f} s", flush=True)
        return result

    async def seed(self, upto: int) -> float:
        """Adds customers until `upto` exist, straight into the service's database (HTTP would take ~40 s).

        The documents come from the service's own code (`Customer.register`, `to_document`,
        `revision_document`), codes from its counter; there are no outbox events for them.
        """
        t0 = time.perf_counter()
        missing = upto - len(self.ids)
        if missing <= 0:
            return 0.0
        client = connect(self.mongo.url)
        try:
            db = client[f"crm_customer_{self.instance}"]
            counter = await db["counters"].find_one_and_update(
                {"_id": "customer_code"},
                {"$inc": {"n": missing}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            first_code = counter["n"] - missing + 1
            now = datetime.now(UTC)
            docs, revisions = [], []
            for i in range(missing):
                customer = Customer.register(
                    id=str(uuid.uuid4()),
                    code=f"C{first_code + i:06d}",
                    by="bench",
                    now=now,
                    name=self.next_name(),
                    kind=CustomerKind.COMPANY,
                    nature=CustomerNature.ORDINARY_COMPANY,
                    region=("east", "north", "south", "west")[self.counter % 4],
                )
                customer.version = max(
                    1, len(customer.revisions)
                )  # as CustomerStore.save does for a new card
                docs.append(to_document(customer))
                docs[-1]["indexed_as"] = search_signature(docs[-1])  # as the store saves it with its keys
                revisions.extend(revision_document(r) for r in customer.revisions)
                self.ids.append(customer.id)
            keys = [k for d in docs for k in search_key_documents(d)]
            for start in range(0, missing, 500):
                await db["customers"].insert_many(docs[start : start + 500], ordered=False)
                await db["revisions"].insert_many(revisions[start : start + 500], ordered=False)
            for start in range(0, len(keys), 5000):
                await db["search_keys"].insert_many(keys[start : start + 5000], ordered=False)
        finally:
            await client.close()
        return time.perf_counter() - t0

    async def store_alone(self, clients: int, total: int, *, as_committed: bool = False) -> float:
        """The store's own rate for registerCustomer's transaction (the card + an outbox row), at the same
        concurrency, with plain pymongo: one transaction at a time, as the stand-in needs (it cannot keep
        concurrent ones apart). Returns transactions per second. `as_committed`: everything the commit writes
        today (card, revision, search keys, outbox row) into collections indexed as the service indexes them.
        """
        client = connect(self.mongo.url)
        database = Database(client, f"crm_store_alone_{self.instance}")
        db, lock, left = database.db, asyncio.Lock(), list(range(total))
        now = datetime.now(UTC)
        if as_committed:
            await CustomerStore(database).ensure_indexes()

        async def worker() -> None:
            while left:
                left.pop()
                customer = Customer.register(id=str(uuid.uuid4()), code=f"S{uuid.uuid4().hex[:8]}", by="bench",
                                             now=now, name=self.next_name(), kind=CustomerKind.COMPANY,
                                             nature=CustomerNature.ORDINARY_COMPANY, region="east")
                outbox = {"_id": str(uuid.uuid4()), "type": "customer.registered", "subject": customer.id,
                          "body": json.dumps({"id": customer.id}), "created_at": now, "position": 0}
                card = to_document(customer)
                async with lock, client.start_session() as session, await session.start_transaction():
                    await db["customers"].insert_one(card, session=session)
                    if as_committed:
                        await db["revisions"].insert_many([revision_document(r) for r in customer.revisions],
                                                          session=session)
                        await db["search_keys"].insert_many(search_key_documents(card), session=session)
                    await db["outbox"].insert_one(outbox, session=session)

        try:
            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(clients)))
            return total / (time.perf_counter() - t0)
        finally:
            await client.drop_database(db.name)
            await client.close()

    # --- events ----------------------------------------------------------------------------------------

    async def events_end_to_end(self) -> dict[str, float]:
        connection = await aio_pika.connect(AMQP_URL)
        mongo = AsyncMongoClient(self.mongo.url)
        inbox = mongo[f"crm_customer_{self.instance}"]["inbox"]
        try:
            before = await inbox.estimated_document_count()
            channel = await connection.channel(publisher_confirms=True)
            if VIA_EXCHANGE:
                exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
                routing_key = "invoice.issued"
            else:
                exchange = await channel.get_exchange(entrance_name(self.service), ensure=False)
                routing_key = "invoice.issued"
            customers = (
                self.ids[:EVENTS]
                if len(self.ids) >= EVENTS
                else [self.ids[i % len(self.ids)] for i in range(EVENTS)]
            )
            now = datetime.now(UTC)
            bodies = []
            for i, customer_id in enumerate(customers):
                event_id = f"{self.instance}-inv-{i}-{uuid.uuid4().hex[:8]}"
                bodies.append(
                    (
                        event_id,
                        json.dumps(
                            {
                                "specversion": "1.0",
                                "id": event_id,
                                "source": "bench",
                                "type": "invoice.issued",
                                "time": now.isoformat(),
                                "subject": customer_id,
                                "datacontenttype": "application/json",
                                "data": {
                                    "invoiceId": event_id,
                                    "customerId": customer_id,
                                    "amountFen": 100_000,
                                    "issuedAt": now.isoformat(),
                                    "dueAt": (now + timedelta(days=30)).isoformat(),
                                },
                            }
                        ).encode(),
                    )
                )
            t0 = time.perf_counter()
            # Publisher confirms awaited together: the publisher is not what is measured here.
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body,
                            message_id=event_id,
                            content_type="application/cloudevents+json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=routing_key,
                    )
                    for event_id, body in bodies
                )
            )
            published = time.perf_counter() - t0
            deadline = min(time.monotonic() + EVENTS_TIMEOUT_S, self.deadline - 3)
            stored = before
            while stored - before < EVENTS and time.monotonic() < deadline:
                # The cheap count, seldom: a filtered count makes the stand-in scan, slowing the service.
                await asyncio.sleep(0.2)
                stored = await inbox.estimated_document_count()
            total = time.perf_counter() - t0
            done = stored - before
            updated = (
                await mongo[f"crm_customer_{self.instance}"]["customers"].count_documents(
                    {"_id": {"$in": customers}, "lifecycle": "NEW"}
                )
                if done
                else 0
            )
            return {"published_s": published, "total_s": total, "done": done, "lifecycle_new": updated}
        finally:
            await connection.close()
            await mongo.close()

    async def raw_broker(self) -> dict[str, float]:
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=32)  # the service's PREFETCH default
            queue = await channel.declare_queue(
                f"crm.bench.raw.{self.instance}", exclusive=True, auto_delete=True
            )
            got = 0
            done = asyncio.Event()

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal got
                await message.ack()
                got += 1
                if got >= RAW_MESSAGES:
                    done.set()

            t0 = time.perf_counter()
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(b'{"n": %d}' % i, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=queue.name,
                    )
                    for i in range(RAW_MESSAGES)
                )
            )
            published = time.perf_counter() - t0
            t1 = time.perf_counter()
            tag = await queue.consume(on_message)
            await asyncio.wait_for(done.wait(), 30)
            consumed = time.perf_counter() - t1
            await queue.cancel(tag)
            await queue.delete(if_unused=False, if_empty=False)
            return {"published_s": published, "consumed_s": consumed, "total_s": published + consumed}
        finally:
            await connection.close()

    # --- run --------------------------------------------------------------------------------------------

    async def run(self) -> None:
        results: list[Result] = []
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        async with httpx.AsyncClient(
            base_url=self.base, timeout=30.0, limits=limits, headers={"Authorization": f"Bearer {self.token}"}
        ) as client:
            print("  GraphQL: registerCustomer", flush=True)
            for i, c in enumerate(CONCURRENCY):
                results.append(
                    await self.scenario(
                        client,
                        "registerCustomer",
                        self.register,
                        c,
                        REQUESTS["registerCustomer"][i],
                        WARMUP["registerCustomer"],
                    )
                )
            print("  the store alone: the same transaction, plain pymongo", flush=True)
            self.store_rate = await self.store_alone(CONCURRENCY[-1], REQUESTS["registerCustomer"][-1])
            self.store_rate_as_committed = await self.store_alone(
                CONCURRENCY[-1], REQUESTS["registerCustomer"][-1], as_committed=True)
            registered = len(self.ids)
            self.timings[f"seed {CUSTOMERS - registered} customers into Mongo directly"] = await self.seed(
                CUSTOMERS
            )
            print(
                f"  GraphQL: reads over {len(self.ids)} customers ({registered} registered over HTTP)",
                flush=True,
            )
            for name, call in (
                ("customers(text, first 20)", self.search),
                ("customer(id){history}", self.one),
            ):
                for i, c in enumerate(CONCURRENCY):
                    results.append(
                        await self.scenario(client, name, call, c, REQUESTS[name][i], WARMUP[name])
                    )
        print(
            f"  events: {EVENTS} invoice.issued end to end, published to "
            f"{EXCHANGE if VIA_EXCHANGE else entrance_name(self.service) + ' (this copy only)'}",
            flush=True,
        )
        events = await self.events_end_to_end()
        print(f"  broker: {RAW_MESSAGES} raw messages, temporary queue", flush=True)
        raw = await self.raw_broker()
        self.report(results, events, raw)

    def report(self, results: list[Result], events: dict[str, float], raw: dict[str, float]) -> None:
        registering = next(r for r in results if r.name == "registerCustomer" and r.clients == CONCURRENCY[-1])
        print(f"\n  registerCustomer x{registering.clients}: {registering.rps:.0f} req/s; the store alone, the same "
              f"transaction (card + outbox row): {self.store_rate:.0f}/s")
        print(f"  the store alone, everything the commit writes now (card, revision, search keys, outbox row; the "
              f"service's indexes): {self.store_rate_as_committed:.0f}/s")
        print(f"table: register\t{registering.rps:.0f} vs {self.store_rate:.0f} /s = "
              f"{registering.rps / self.store_rate:.0%} (vs the store writing all the commit writes now: "
              f"{self.store_rate_as_committed:.0f} /s = {registering.rps / self.store_rate_as_committed:.0%})")
        searching = next(r for r in results if r.name.startswith("customers(text") and r.clients == 1)
        print(f"  search: p50 {statistics.median(searching.latencies_ms):.0f} ms, p99 {searching.pct(99):.0f} ms at "
              f"{CUSTOMERS:,} cards (bench/customer_search.py measures it at 100,000)")
        print()
        head = f"{'GraphQL over HTTP':<28}{'clients':>8}{'reqs':>7}{'errors':>7}{'median ms':>11}{'p99 ms':>9}{'req/s':>9}"
        print(head)
        print("-" * len(head))
        for r in results:
            print(
                f"{r.name:<28}{r.clients:>8}{r.requests:>7}{r.errors:>7}{statistics.median(r.latencies_ms) if r.latencies_ms else float('nan'):>11.1f}"
                f"{r.pct(99):>9.1f}{r.rps:>9.1f}{'  (stopped at its time share)' if r.capped else ''}"
            )
        print(
            "  (latency measured in the client, request to parsed response; a p99 of fewer than 100 requests"
            " is about the maximum)"
        )
        print()
        head = f"{'events':<44}{'count':>7}{'seconds':>9}{'per s':>9}"
        print(head)
        print("-" * len(head))
        print(
            f"{'invoice.issued: publish (confirmed)':<44}{EVENTS:>7}{events['published_s']:>9.2f}"
            f"{EVENTS / events['published_s']:>9.0f}"
        )
        print(
            f"{'invoice.issued: publish -> inbox count = N':<44}{int(events['done']):>7}{events['total_s']:>9.2f}"
            f"{events['done'] / events['total_s']:>9.0f}"
        )
        print(
            f"{'raw broker: publish (persistent, confirmed)':<44}{RAW_MESSAGES:>7}{raw['published_s']:>9.2f}"
            f"{RAW_MESSAGES / raw['published_s']:>9.0f}"
        )
        print(
            f"{'raw broker: consume + ack':<44}{RAW_MESSAGES:>7}{raw['consumed_s']:>9.2f}"
            f"{RAW_MESSAGES / raw['consumed_s']:>9.0f}"
        )
        print(
            f"{'raw broker: publish + consume':<44}{RAW_MESSAGES:>7}{raw['total_s']:>9.2f}"
            f"{RAW_MESSAGES / raw['total_s']:>9.0f}"
        )
        if events["done"] < EVENTS:
            print(
                f"  ! only {int(events['done'])}/{EVENTS} events reached the inbox within {events['total_s']:.0f} s"
            )
        print(f"  customers moved POTENTIAL -> NEW by the events: {int(events['lifecycle_new'])}")
        print()
        for label, seconds in self.timings.items():
            print(f"  {label}: {seconds:.1f} s")


def main() -> int:
    started = time.perf_counter()
    bench = Bench()
    print(
        f"crm customer archive bench — {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )
    print(
        "Note: MongoDB here is the embedded stand-in nx-27017 (wire protocol on SQLite), not real MongoDB;"
        " the figures measure that."
    )
    print(
        f"  instance {bench.instance}; RabbitMQ {AMQP_URL.split('@')[-1]}; client, service and Mongo share these cores"
    )
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(
            f"  ! load average {load_before:.1f} before the bench started: other work shares these cores, and skews the figures"
        )
    code = 0
    try:
        bench.start()
        asyncio.run(bench.run())
    except Exception as error:  # noqa: BLE001
        print(f"\nbench failed: {error!r}", file=sys.stderr)
        tail = bench.log_tail()
        if tail:
            print(f"--- crm serve log (tail) ---\n{tail}", file=sys.stderr)
        code = 1
    finally:
        problems = asyncio.run(bench.cleanup())
        for problem in problems:
            print(f"  ! cleanup: {problem}", file=sys.stderr)
        stopped = bench.timings.get("crm serve stopped after SIGTERM")
        print(
            f"  cleanup: crm serve stopped {f'{stopped:.1f} s after SIGTERM' if stopped is not None else '(killed)'}"
            f", queues {bench.queue}(.dead, .retry.*) deleted, Mongo stopped, temp dir removed"
            + (" — with problems, see above" if problems else "")
        )
    wall = time.perf_counter() - started
    own = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = children.ru_utime + children.ru_stime
    cores = os.cpu_count() or 1
    print(
        f"  CPU: bench client {own:.0f} s, service + Mongo + crm token {spent:.0f} s, in {wall:.0f} s wall "
        f"= {(own + spent) / wall / cores:.0%} of {cores} cores; load average now {os.getloadavg()[0]:.1f}"
    )
    print(f"\ntotal {wall:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
