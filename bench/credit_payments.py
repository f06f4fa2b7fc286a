"""Benchmark of credit's payment path as it runs: events published with plain aio-pika → exposure stored.

    .venv/bin/python bench/credit_payments.py            # from the repo root; needs RabbitMQ on AMQP_URL

Starts an embedded Mongo stand-in (nx-27017 on SQLite) and the credit service as child processes
(what `crm serve credit` runs: `create_app(Settings())` under uvicorn), registers customers and
issues invoices through RabbitMQ as the customer service and an ERP would, then publishes
`payment.received` events and waits until the service has stored every one (a payment's effect
and its inbox entry commit in one transaction, so the inbox count is the stored count). For
comparison, the raw broker: the same number of persistent messages published and consumed with no
work. Everything it creates (processes, temp dir, its own queues) is removed at the end; each phase
has its own deadline, the whole run stays well under 90 s.

On a broker others publish to as well (a shared dev box, a CI runner with parallel jobs), their
events reach this service's queue too and are measured with it. When `rabbitmqctl` can reach the
local broker, the bench therefore runs in a private vhost it adds and deletes again (BENCH_VHOST=0:
use AMQP_URL as given).
"""

import asyncio
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import httpx
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proc import broker_pid, cpu_s
from queues import delete_service_queues, delete_vhost, private_vhost

from chassis.embedded import EmbeddedMongo, free_port

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
EXCHANGE = "crm.events"
CUSTOMERS = 200
INVOICES_PER_CUSTOMER = 2
PAYMENTS = 1_000
RAW_MESSAGES = 1_000
PREFETCH = 32  # the service's default

READY_TIMEOUT_S = 30.0
PHASE_TIMEOUT_S = 35.0

SERVE = ("import uvicorn; from chassis.settings import Settings; from services.credit.app import create_app; "
         "uvicorn.run(create_app(Settings()), host='127.0.0.1', port={port}, log_level='warning')")


class Bench:
    def __init__(self) -> None:
        self.instance = "bench" + secrets.token_hex(4)
        self.tmp = Path(tempfile.mkdtemp(prefix="crm-bench-credit-"))
        self.mongo: EmbeddedMongo | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.customers = [f"{self.instance}-c{n:04d}" for n in range(CUSTOMERS)]
        self.timings: dict[str, float] = {}
        self.amqp_url = AMQP_URL
        self.vhost: str | None = None

    # --- processes -----------------------------------------------------------------------------------

    def private_vhost(self) -> None:
        vhost = f"crm-{self.instance}"
        if (url := private_vhost(AMQP_URL, vhost)) is not None:
            self.vhost, self.amqp_url = vhost, url

    def start(self) -> None:
        t0 = time.perf_counter()
        self.private_vhost()
        self.mongo = EmbeddedMongo(self.tmp / "mongo").start()
        env = dict(os.environ, MONGO_URL=self.mongo.url, AMQP_URL=self.amqp_url, CRM_INSTANCE=self.instance,
                   LOG_LEVEL="WARNING", OUTBOX_POLL_S="0.2", PREFETCH=str(PREFETCH))
        self.log = open(self.tmp / "serve.log", "wb")  # noqa: SIM115
        self.server = subprocess.Popen([sys.executable, "-c", SERVE.format(port=self.port)], cwd=ROOT, env=env,
                                       stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.server.poll() is not None:
                    raise RuntimeError(f"the credit service exited with {self.server.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"/readyz not 200 within {READY_TIMEOUT_S}s:\n{self.log_tail()}")
                time.sleep(0.1)
        self.timings["start (mongo + credit service ready)"] = time.perf_counter() - t0

    def log_tail(self, lines: int = 30) -> str:
        path = self.tmp / "serve.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    async def cleanup(self) -> list[str]:
        problems: list[str] = []
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                problems.append("the credit service did not stop within 15 s after SIGTERM; killed")
                self.server.kill()
                self.server.wait()
        with contextlib.suppress(Exception):
            self.log.close()
        if self.vhost is not None:
            return problems  # every queue we made is in our vhost: `remove_vhost` takes them with it
        problems += await delete_service_queues(AMQP_URL, f"credit.{self.instance}")
        return problems

    def remove(self) -> list[str]:
        """The vhost (with its queues), Mongo, the temp dir."""
        problems: list[str] = []
        if self.vhost is not None and (problem := delete_vhost(self.vhost)):
            problems.append(problem)
        if self.mongo is not None:
            self.mongo.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems

    # --- events ----------------------------------------------------------------------------------------

    async def publish(self, exchange: aio_pika.abc.AbstractExchange, events: list[tuple[str, str, dict]]) -> float:
        """Publishes (routing key, id, data) envelopes with confirms awaited together; returns the seconds."""
        now = datetime.now(UTC).isoformat()
        messages = [(key, aio_pika.Message(json.dumps({
            "specversion": "1.0", "id": event_id, "source": "bench", "type": key, "time": now,
            "subject": data.get("customerId"), "datacontenttype": "application/json", "data": data}).encode(),
            message_id=event_id, content_type="application/cloudevents+json",
            # As the contract asks of a publisher that can: straight into the customer's partition.
            headers={"cloudEvents:subject": data["customerId"]},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT)) for key, event_id, data in events]
        t0 = time.perf_counter()
        await asyncio.gather(*(exchange.publish(message, routing_key=key) for key, message in messages))
        return time.perf_counter() - t0

    async def stored(self, inbox, expected: int, what: str) -> float:
        """Waits until the service's inbox holds `expected` events in all; returns when (perf_counter).

        The cheap count, seldom: a filtered count_documents costs the stand-in ~50 ms for 2,000
        documents, and polling it would slow the very service being measured."""
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while (done := await inbox.estimated_document_count()) < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: only {done}/{expected} events stored within {PHASE_TIMEOUT_S:.0f} s:\n"
                                   f"{self.log_tail()}")
            await asyncio.sleep(0.1)
        return time.perf_counter()

    async def payments_end_to_end(self) -> dict[str, float]:
        connection = await aio_pika.connect(self.amqp_url)
        mongo = AsyncMongoClient(self.mongo.url, tz_aware=True)
        db = mongo[f"crm_credit_{self.instance}"]
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            await self.publish(exchange, [("customer.registered", f"{c}-registered", {
                "customerId": c, "code": c, "name": c, "kind": "COMPANY", "nature": "ORDINARY_COMPANY",
                "region": "east", "registeredBy": "bench", "registeredAt": now.isoformat()}) for c in self.customers])
            await self.stored(db["inbox"], CUSTOMERS, "customer.registered")
            self.timings[f"{CUSTOMERS} customer.registered stored"] = time.perf_counter() - t0
            invoices = [("invoice.issued", f"{c}-inv-{i}", {
                "invoiceId": f"{c}-inv-{i}", "customerId": c, "amountFen": 1_000_000,
                "issuedAt": (now + timedelta(minutes=i)).isoformat(),
                "dueAt": (now + timedelta(days=30)).isoformat()})
                for i in range(INVOICES_PER_CUSTOMER) for c in self.customers]
            t0 = time.perf_counter()
            await self.publish(exchange, invoices)
            await self.stored(db["inbox"], CUSTOMERS + len(invoices), "invoice.issued")
            self.timings[f"{len(invoices)} invoice.issued stored"] = time.perf_counter() - t0
            before = await self.exposure(db)
            payments = [("payment.received", f"{self.instance}-pay-{n}", {
                "paymentId": f"{self.instance}-pay-{n}", "customerId": self.customers[n % CUSTOMERS],
                "amountFen": 1_000 + n % 7, "receivedAt": now.isoformat()}) for n in range(PAYMENTS)]
            pids = {"credit": self.server.pid, "store": self.mongo.pid, "bench": os.getpid()}
            if (broker := broker_pid()) is not None:
                pids["broker"] = broker
            cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
            t0 = time.perf_counter()
            published = await self.publish(exchange, payments)
            done_at = await self.stored(db["inbox"], CUSTOMERS + len(invoices) + PAYMENTS, "payment.received")
            total = done_at - t0
            cpu = {name: cpu_s(pid) - cpu_before[name] for name, pid in pids.items()}
            after = await self.exposure(db)
            paid = sum(data["amountFen"] for _, _, data in payments)
            return {"published_s": published, "total_s": total, "exposure_drop": before - after, "paid": paid,
                    "cpu_s": cpu}
        finally:
            await connection.close()
            await mongo.close()

    async def exposure(self, db) -> int:
        rows = await (await db["profiles"].aggregate([{"$group": {"_id": None, "sum": {"$sum": "$exposure_fen"}}}]
                                                     )).to_list(1)
        return rows[0]["sum"] if rows else 0

    async def raw_broker(self) -> dict[str, float]:
        connection = await aio_pika.connect(self.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=PREFETCH)
            queue = await channel.declare_queue(f"crm.bench.raw.{self.instance}", exclusive=True, auto_delete=True)
            got, done = 0, asyncio.Event()

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                nonlocal got
                await message.ack()
                got += 1
                if got >= RAW_MESSAGES:
                    done.set()

            body = json.dumps({"id": str(uuid.uuid4()), "type": "payment.received", "data": {"amountFen": 1}}).encode()
            tag = await queue.consume(on_message)
            pids = {"bench": os.getpid()} | ({"broker": broker} if (broker := broker_pid()) is not None else {})
            cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
            t0 = time.perf_counter()
            await asyncio.gather(*(channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name)
                for _ in range(RAW_MESSAGES)))
            published = time.perf_counter() - t0
            await asyncio.wait_for(done.wait(), PHASE_TIMEOUT_S)
            total = time.perf_counter() - t0
            cpu = {name: cpu_s(pid) - cpu_before[name] for name, pid in pids.items()}
            await queue.cancel(tag)
            await queue.delete(if_unused=False, if_empty=False)
            return {"published_s": published, "total_s": total, "cpu_s": cpu}
        finally:
            await connection.close()

    # --- run ----------------------------------------------------------------------------------------------

    async def run(self) -> None:
        print(f"  events: {CUSTOMERS} customers, {CUSTOMERS * INVOICES_PER_CUSTOMER} invoices, then {PAYMENTS} "
              "payment.received end to end ...", flush=True)
        payments = await self.payments_end_to_end()
        print(f"  broker: {RAW_MESSAGES} raw messages published and consumed (no work) ...", flush=True)
        raw = await self.raw_broker()
        print()
        head = f"{'':<52}{'count':>7}{'seconds':>9}{'per s':>9}"
        print(head)
        print("-" * len(head))
        rows = [("payment.received: publish (persistent, confirmed)", PAYMENTS, payments["published_s"]),
                ("payment.received: publish -> exposure stored", PAYMENTS, payments["total_s"]),
                ("raw broker: publish (persistent, confirmed)", RAW_MESSAGES, raw["published_s"]),
                ("raw broker: publish -> consumed + acked", RAW_MESSAGES, raw["total_s"])]
        for label, count, seconds in rows:
            print(f"{label:<52}{count:>7}{seconds:>9.2f}{count / seconds:>9.0f}")
        print()
        ours, broker = PAYMENTS / payments["total_s"], RAW_MESSAGES / raw["total_s"]
        print(f"  payment events processed per second end to end: {ours:.0f} (raw broker: {broker:.0f})")
        print(f"table: payments\t{ours:,.0f} vs {broker:,.0f} /s = {ours / broker:.1%}")
        per_payment = {name: s * 1000 / PAYMENTS for name, s in payments["cpu_s"].items()}
        credit_ms, store_ms = per_payment["credit"], per_payment["store"]
        print(f"  CPU per payment: credit process {credit_ms:.2f} ms, embedded store {store_ms:.2f} ms "
              f"(one credit replica at a full core: {1000 / credit_ms:,.0f} payments/s; README \"Scaling out\")")
        if "broker" in per_payment:  # what bounds the rate on this machine: every process shares its cores
            whole = sum(per_payment.values())
            raw_ms = sum(raw["cpu_s"].values()) * 1000 / RAW_MESSAGES
            cores = os.cpu_count() or 1
            ceiling, without_credit = cores * 1000 / whole, cores * 1000 / (whole - credit_ms)
            print(f"  CPU per payment, every process: {', '.join(f'{n} {ms:.2f}' for n, ms in per_payment.items())}"
                  f" = {whole:.2f} ms (raw broker: {raw_ms:.2f} ms a message, broker and this bench). {cores} cores"
                  f" at that cost: at most {ceiling:,.0f} /s = {ceiling / broker:.0%} of the raw rate; with the credit"
                  f" process costing nothing at all: {without_credit:,.0f} /s = {without_credit / broker:.0%}")
        ok = payments["exposure_drop"] == payments["paid"]
        print(f"  exposure fell by {payments['exposure_drop']} fen for {payments['paid']} fen paid: "
              f"{'every payment counted' if ok else 'MISMATCH'}")
        for label, seconds in self.timings.items():
            print(f"  {label}: {seconds:.1f} s")
        if not ok:
            raise RuntimeError("exposure does not match the payments")


def main() -> int:
    started = time.perf_counter()
    bench = Bench()
    print(f"crm credit payments bench — {platform.node()}: {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print("Note: MongoDB here is the embedded stand-in nx-27017 (wire protocol on SQLite), not real MongoDB;"
          " the figures measure that.")
    print(f"  instance {bench.instance}; RabbitMQ {AMQP_URL.split('@')[-1]}; prefetch {PREFETCH}; publisher, "
          "service and Mongo share these cores")
    code = 0
    try:
        bench.start()
        asyncio.run(bench.run())
    except Exception as error:  # noqa: BLE001
        print(f"\nbench failed: {error!r}", file=sys.stderr)
        if tail := bench.log_tail():
            print(f"--- credit service log (tail) ---\n{tail}", file=sys.stderr)
        code = 1
    finally:
        for problem in asyncio.run(bench.cleanup()) + bench.remove():
            print(f"  ! cleanup: {problem}", file=sys.stderr)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
