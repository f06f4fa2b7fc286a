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
    dead_letter_queue_name,
    queue_name,
    retry_queue_name,
)
from chassis.inprocess import InProcessBus
from chassis.rabbit import RabbitBus
from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued, PaymentReceived

RETRY_DELAYS_S = [0.05, 0.1]
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
        self.bus = RabbitBus(amqp_url, retry_delays_s=RETRY_DELAYS_S, prefetch=8)
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
        """Messages still in the service's queue; call after closing the bus, which requeues unacked ones."""
        queue = await self._channel.declare_queue(queue_name(service), passive=True)
        assert queue.declaration_result.message_count is not None
        return queue.declaration_result.message_count

    async def stop(self) -> None:
        await self.bus.close()
        for service in self._services:
            names = [queue_name(service), dead_letter_queue_name(service)]
            names += [retry_queue_name(service, round(d * 1000)) for d in RETRY_DELAYS_S]
            for name in names:
                await self._channel.queue_delete(name)
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
    crashed = RabbitBus(rabbit.url, retry_delays_s=RETRY_DELAYS_S)
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
