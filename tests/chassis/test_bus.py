"""The bus semantics of `chassis.bus`, the same scenarios on real RabbitMQ and on the in-process bus.

Each test publishes under routing keys of its own (`test.<unique>.…`) and consumes with services of
its own, so runs sharing one broker never see each other's messages.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aio_pika
import pytest

from chassis.bus import (
    ATTEMPTS_HEADER,
    FAILED_AT_HEADER,
    REASON_HEADER,
    ROUTING_KEY_HEADER,
    Handler,
    dead_letter_queue_name,
    entrance_name,
    partition_queue_name,
)
from chassis.inprocess import InProcessBus
from chassis.rabbit import RabbitBus, service_queues
from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued, PaymentReceived

RETRY_DELAYS_S = [0.05, 0.1]
PARTITIONS = 4
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
T = TypeVar("T")


# --- builders ---------------------------------------------------------------------------------


def invoice_issued_under(routing_key: str) -> type[InvoiceIssued]:
    """The real contract, published under a routing key only this test uses."""

    class TestInvoiceIssued(InvoiceIssued):
        type = routing_key

    return TestInvoiceIssued


def payment_received_under(routing_key: str) -> type[PaymentReceived]:
    class TestPaymentReceived(PaymentReceived):
        type = routing_key

    return TestPaymentReceived


@pytest.fixture
def invoice_issued(unique: str) -> type[InvoiceIssued]:
    return invoice_issued_under(f"test.{unique}.invoice.issued")


@pytest.fixture
def payment_received(unique: str) -> type[PaymentReceived]:
    return payment_received_under(f"test.{unique}.payment.received")


def an_invoice(
    event_type: type[InvoiceIssued], invoice_id: str = "inv-1", amount_fen: int = 100_00
) -> Envelope[Any]:
    data = event_type(
        invoice_id=invoice_id,
        customer_id="cus-1",
        amount_fen=amount_fen,
        issued_at=NOW,
        due_at=NOW + timedelta(days=30),
    )
    return Envelope.wrap(data, source="test", time=NOW)


def a_payment(event_type: type[PaymentReceived]) -> Envelope[Any]:
    data = event_type(payment_id="pay-1", customer_id="cus-1", amount_fen=100_00, received_at=NOW)
    return Envelope.wrap(data, source="test", time=NOW)


class Recorder:
    """A handler that fails its first `failures` calls (or every call), then records its effect."""

    def __init__(self, failures: int | None = 0, error: str = "ledger is down") -> None:
        self.failures = failures
        self.error = error
        self.calls: list[str] = []
        self.effects: list[str] = []

    async def __call__(self, envelope: Envelope[Any]) -> None:
        self.calls.append(envelope.id)
        if self.failures is None or len(self.calls) <= self.failures:
            raise RuntimeError(f"{self.error} (call {len(self.calls)})")
        self.effects.append(envelope.id)


async def publish(bus: RabbitBus | InProcessBus, envelope: Envelope[Any]) -> None:
    await bus.publish(envelope.to_json(), event_type=envelope.type, message_id=envelope.id)


async def eventually(check: Callable[[], T | Awaitable[T]], timeout_s: float = 5.0) -> T:
    """Poll until `check` gives something truthy; its last answer is in the failure message."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = check()
        if isinstance(answer, Awaitable):
            answer = await answer
        if answer:
            return answer  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {answer!r} after {timeout_s}s")
        await asyncio.sleep(0.02)


# --- one harness per implementation -----------------------------------------------------------


@dataclass(frozen=True)
class Dead:
    body: bytes
    reason: str
    attempts: int
    event_type: str
    message_id: str | None


class RabbitHarness:
    """A RabbitBus plus a side connection that reads dead letters and queue depths as an operator would."""

    def __init__(self, amqp_url: str) -> None:
        self.url = amqp_url
        self.bus = RabbitBus(amqp_url, retry_delays_s=RETRY_DELAYS_S, prefetch=8, partitions=PARTITIONS)
        self._services: set[str] = set()
        self._dead: dict[str, list[Dead]] = {}

    async def start(self) -> None:
        await self.bus.start()
        self._connection = await aio_pika.connect(self.url)
        self._channel = await self._connection.channel()

    def service(self, name: str) -> str:
        self._services.add(name)
        return name

    async def dead_letters(self, service: str) -> list[Dead]:
        received = self._dead.setdefault(service, [])
        queue = await self._channel.get_queue(dead_letter_queue_name(service), ensure=False)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            headers = message.headers
            assert isinstance(headers[FAILED_AT_HEADER], str)
            received.append(
                Dead(
                    body=message.body,
                    reason=str(headers[REASON_HEADER]),
                    attempts=int(headers[ATTEMPTS_HEADER]),  # type: ignore[arg-type]
                    event_type=str(headers[ROUTING_KEY_HEADER]),
                    message_id=message.message_id,
                )
            )
        return list(received)

    async def leftover(self, service: str) -> int:
        """Messages still in the service's partitions; call after closing the bus, which requeues unacked ones."""
        return sum(await self.depths(service))

    async def depths(self, service: str) -> list[int]:
        depths = []
        for partition in range(PARTITIONS):
            queue = await self._channel.declare_queue(partition_queue_name(service, partition), passive=True)
            depths.append(queue.declaration_result.message_count or 0)
        return depths

    async def stop(self) -> None:
        await self.bus.close()
        for service in self._services:
            for name in service_queues(service, PARTITIONS, RETRY_DELAYS_S):
                await self._channel.queue_delete(name)
            await self._channel.exchange_delete(entrance_name(service))
        await self._connection.close()


class InProcessHarness:
    def __init__(self) -> None:
        self.bus = InProcessBus(retry_delays_s=RETRY_DELAYS_S, prefetch=8)

    async def start(self) -> None:
        await self.bus.start()

    def service(self, name: str) -> str:
        return name

    async def dead_letters(self, service: str) -> list[Dead]:
        return [
            Dead(d.body, d.reason, d.attempts, d.event_type, d.message_id)
            for d in self.bus.dead_letters(service)
        ]

    async def leftover(self, service: str) -> int:
        return self.bus.pending(service)

    async def stop(self) -> None:
        await self.bus.close()


Harness = RabbitHarness | InProcessHarness


@pytest.fixture(params=["rabbitmq", "in-process"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "rabbitmq":
        harness: Harness = RabbitHarness(request.getfixturevalue("amqp_url"))
    else:
        harness = InProcessHarness()
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture
async def rabbit(amqp_url: str) -> AsyncIterator[RabbitHarness]:
    harness = RabbitHarness(amqp_url)
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture
def service(harness: Harness, unique: str) -> str:
    return harness.service(f"test-{unique}")


# --- the same scenarios on both ---------------------------------------------------------------


async def test_event_is_delivered_once_and_acked(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    handler = Recorder()
    await harness.bus.subscribe(service, {invoice_issued: handler})
    invoice = an_invoice(invoice_issued)

    await publish(harness.bus, invoice)

    await eventually(lambda: handler.effects)
    await harness.bus.close()
    assert handler.calls == [invoice.id]
    assert await harness.leftover(service) == 0
    assert await harness.dead_letters(service) == []


async def test_body_that_is_not_json_is_dead_lettered_at_once(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    handler = Recorder()
    await harness.bus.subscribe(service, {invoice_issued: handler})

    await harness.bus.publish(b"{not json", event_type=invoice_issued.type, message_id="garbled-1")

    [dead] = await eventually(lambda: harness.dead_letters(service))
    assert "not JSON" in dead.reason
    assert (dead.body, dead.attempts, dead.event_type, dead.message_id) == (
        b"{not json",
        0,
        invoice_issued.type,
        "garbled-1",
    )
    assert handler.calls == []


async def test_schema_invalid_event_is_dead_lettered_at_once_naming_the_field(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    handler = Recorder()
    await harness.bus.subscribe(service, {invoice_issued: handler})
    invoice = an_invoice(invoice_issued)
    body = json.loads(invoice.to_json())
    body["data"]["amountFen"] = -5

    await harness.bus.publish(json.dumps(body).encode(), event_type=invoice.type, message_id=invoice.id)

    [dead] = await eventually(lambda: harness.dead_letters(service))
    assert "amountFen" in dead.reason
    assert (dead.attempts, dead.message_id) == (0, invoice.id)
    assert handler.calls == []


async def test_the_subscriber_is_told_of_each_dead_letter_with_its_reason_once_the_copy_is_safe(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    told: list[tuple[bytes, str]] = []

    async def dead_lettered(body: bytes, reason: str) -> None:
        told.append((body, reason))

    await harness.bus.subscribe(service, {invoice_issued: Recorder(failures=None, error="ledger is down")},
                                dead_lettered=dead_lettered)
    invoice = an_invoice(invoice_issued)
    await harness.bus.publish(b"{not json", event_type=invoice_issued.type, message_id="garbled-2")
    await publish(harness.bus, invoice)

    await eventually(lambda: len(told) == 2)
    reasons = dict(told)
    assert "not JSON" in reasons[b"{not json"]
    assert reasons[invoice.to_json()] == "RuntimeError: ledger is down (call 3)"
    assert len(await harness.dead_letters(service)) == 2  # the queue holds them too


async def test_handler_failing_twice_is_retried_and_its_effect_happens_once(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    handler = Recorder(failures=2)
    await harness.bus.subscribe(service, {invoice_issued: handler})
    invoice = an_invoice(invoice_issued)

    await publish(harness.bus, invoice)

    await eventually(lambda: handler.effects)
    await harness.bus.close()
    assert handler.calls == [invoice.id] * 3
    assert handler.effects == [invoice.id]
    assert await harness.dead_letters(service) == []
    assert await harness.leftover(service) == 0


async def test_handler_always_failing_is_dead_lettered_with_its_error_after_every_retry(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    handler = Recorder(failures=None, error="ledger is down")
    await harness.bus.subscribe(service, {invoice_issued: handler})
    invoice = an_invoice(invoice_issued)

    await publish(harness.bus, invoice)

    [dead] = await eventually(lambda: harness.dead_letters(service))
    await harness.bus.close()
    assert handler.calls == [invoice.id] * (1 + len(RETRY_DELAYS_S))
    assert dead.reason == "RuntimeError: ledger is down (call 3)"
    assert (dead.attempts, dead.event_type, dead.message_id) == (3, invoice.type, invoice.id)
    assert dead.body == invoice.to_json()
    assert await harness.leftover(service) == 0


async def test_event_of_a_type_the_service_did_not_subscribe_is_not_delivered(
    harness: Harness, service: str, invoice_issued: type, payment_received: type
) -> None:
    handler = Recorder()
    await harness.bus.subscribe(service, {invoice_issued: handler})
    marker = an_invoice(invoice_issued)

    await publish(harness.bus, a_payment(payment_received))
    await publish(harness.bus, marker)

    await eventually(lambda: handler.effects)
    await harness.bus.close()
    assert handler.calls == [marker.id]
    assert await harness.dead_letters(service) == []  # a delivered payment would be "no handler" poison


async def test_retry_goes_back_only_to_the_service_that_failed(
    harness: Harness, unique: str, invoice_issued: type
) -> None:
    credit, ownership = harness.service(f"test-{unique}-credit"), harness.service(f"test-{unique}-ownership")
    flaky, steady = Recorder(failures=1), Recorder()
    await harness.bus.subscribe(credit, {invoice_issued: flaky})
    await harness.bus.subscribe(ownership, {invoice_issued: steady})
    invoice, marker = an_invoice(invoice_issued, "inv-1"), an_invoice(invoice_issued, "inv-2")

    await publish(harness.bus, invoice)
    await eventually(lambda: flaky.effects)
    await publish(harness.bus, marker)  # queues are FIFO: once it arrives, a stray retry would have too

    await eventually(lambda: marker.id in steady.effects)
    assert steady.calls == [invoice.id, marker.id]
    assert flaky.calls[:2] == [invoice.id, invoice.id]


async def test_handlers_of_different_messages_run_concurrently(
    harness: Harness, service: str, invoice_issued: type
) -> None:
    fast_done = asyncio.Event()
    handled: list[str] = []

    async def handler(envelope: Envelope[Any]) -> None:
        if envelope.data.invoice_id == "slow":
            await asyncio.wait_for(fast_done.wait(), timeout=5)  # would time out if handled one by one
        else:
            fast_done.set()
        handled.append(envelope.data.invoice_id)

    await harness.bus.subscribe(service, {invoice_issued: handler})

    await publish(harness.bus, an_invoice(invoice_issued, "slow"))
    await publish(harness.bus, an_invoice(invoice_issued, "fast"))

    assert await eventually(lambda: len(handled) == 2)
    assert handled == ["fast", "slow"]
    assert await harness.dead_letters(service) == []


# --- RabbitMQ only: surviving a process that dies -----------------------------------------------


async def test_message_handled_but_not_acked_before_a_crash_is_redelivered(
    rabbit: RabbitHarness, unique: str, invoice_issued: type
) -> None:
    service = rabbit.service(f"test-{unique}")
    crashed = RabbitBus(rabbit.url, retry_delays_s=RETRY_DELAYS_S, partitions=PARTITIONS)
    await crashed.start()
    effects: list[str] = []

    async def commit_then_die(envelope: Envelope[Any]) -> None:
        effects.append(envelope.id)
        await crashed.close()  # the process is gone after the commit, before the ack

    await crashed.subscribe(service, {invoice_issued: commit_then_die})
    invoice = an_invoice(invoice_issued)
    await publish(crashed, invoice)
    await eventually(lambda: effects and not crashed.is_ready())

    survivor = Recorder()
    await rabbit.bus.subscribe(service, {invoice_issued: survivor})

    await eventually(lambda: survivor.effects)
    await rabbit.bus.close()
    assert effects == [invoice.id]
    assert survivor.effects == [invoice.id]
    assert await rabbit.leftover(service) == 0


# --- RabbitMQ only: one customer's events are worked by one replica at a time --------------------


def invoices_of(event_type: type[InvoiceIssued], customers: int, each: int) -> list[Envelope[Any]]:
    return [Envelope.wrap(event_type(invoice_id=f"inv-{c}-{n}", customer_id=f"cus-{c}", amount_fen=100,
                                     issued_at=NOW, due_at=NOW + timedelta(days=30)), source="test", time=NOW)
            for c in range(customers) for n in range(each)]  # each customer's in a row: easy to collide on


async def publish_as_erp(rabbit: RabbitHarness, envelope: Envelope[Any]) -> None:
    """As an outside publisher does: no subject header, the customer only in the body."""
    await rabbit.bus._exchange.publish(  # type: ignore[union-attr]
        aio_pika.Message(envelope.to_json(), message_id=envelope.id), routing_key=envelope.type)


async def test_a_customers_events_share_one_partition_and_the_customers_spread_over_all(
    rabbit: RabbitHarness, unique: str, invoice_issued: type
) -> None:
    service = rabbit.service(f"test-{unique}")
    await rabbit.bus.subscribe(service, {invoice_issued: Recorder()})
    await rabbit.bus.close()  # the partitions stay; what arrives now waits in them
    await rabbit.bus.start()
    for envelope in invoices_of(invoice_issued, customers=40, each=3):
        await rabbit.bus.publish(envelope.to_json(), event_type=envelope.type, message_id=envelope.id,
                                 subject=envelope.subject)

    found: dict[str, set[int]] = {}
    for partition in range(PARTITIONS):
        queue = await rabbit._channel.get_queue(partition_queue_name(service, partition), ensure=False)

        async def note(message: aio_pika.abc.AbstractIncomingMessage, partition: int = partition) -> None:
            found.setdefault(json.loads(message.body)["subject"], set()).add(partition)

        await queue.consume(note, no_ack=True)
    await eventually(lambda: sum(map(len, found.values())) >= 40)
    assert len(found) == 40
    assert all(len(partitions) == 1 for partitions in found.values())
    assert set().union(*found.values()) == set(range(PARTITIONS))


async def test_an_event_without_its_subject_header_is_moved_to_its_customers_partition_once(
    rabbit: RabbitHarness, unique: str, invoice_issued: type
) -> None:
    service = rabbit.service(f"test-{unique}")
    handled = Recorder()
    await rabbit.bus.subscribe(service, {invoice_issued: handled})
    envelopes = invoices_of(invoice_issued, customers=10, each=2)
    for envelope in envelopes:
        await publish_as_erp(rabbit, envelope)

    await eventually(lambda: len(handled.effects) == len(envelopes))
    await rabbit.bus.close()
    assert sorted(handled.effects) == sorted(e.id for e in envelopes)
    assert await rabbit.leftover(service) == 0


async def test_two_replicas_share_the_partitions_and_never_work_one_customer_at_once(
    rabbit: RabbitHarness, unique: str, invoice_issued: type
) -> None:
    service = rabbit.service(f"test-{unique}")
    working: dict[str, str] = {}  # customer → the replica inside its handler now
    overlaps: list[str] = []
    done: dict[str, list[str]] = {"first": [], "second": []}

    def replica(name: str) -> Handler:
        async def handler(envelope: Envelope[Any]) -> None:
            customer = envelope.data.customer_id
            if working.get(customer, name) != name:
                overlaps.append(f"{customer}: {working[customer]} and {name}")
            working[customer] = name
            await asyncio.sleep(0.002)  # the work: long enough for another replica to collide
            del working[customer]
            done[name].append(envelope.id)
        return handler

    # Without the per-customer lock a service adds, one replica runs a customer's events one at a time here.
    first = RabbitBus(rabbit.url, retry_delays_s=RETRY_DELAYS_S, partitions=PARTITIONS, prefetch=1, rebalance_s=0.2)
    second = RabbitBus(rabbit.url, retry_delays_s=RETRY_DELAYS_S, partitions=PARTITIONS, prefetch=1, rebalance_s=0.2)
    await first.start()
    await first.subscribe(service, {invoice_issued: replica("first")})
    await second.start()
    await second.subscribe(service, {invoice_issued: replica("second")})
    envelopes = invoices_of(invoice_issued, customers=20, each=40)
    try:
        for envelope in envelopes:
            await publish_as_erp(rabbit, envelope)
        await eventually(lambda: len(done["first"]) + len(done["second"]) >= len(envelopes), timeout_s=60)
    finally:
        await first.close()
        await second.close()
    assert overlaps == []
    assert sorted(done["first"] + done["second"]) == sorted(e.id for e in envelopes)
    assert done["first"] and done["second"]  # both worked: the first to come stepped back from its extra share
    assert await rabbit.leftover(service) == 0
