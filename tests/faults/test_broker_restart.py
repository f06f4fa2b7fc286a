"""A message waiting for its retry when the broker restarts comes back all the same (at least once at every
hop): 200 messages in a 2.5 s retry wait across `rabbitmqctl stop_app` / `start_app` on the test broker."""

import asyncio
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import aio_pika

from chassis.bus import retry_queue_name
from chassis.rabbit import RabbitBus
from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued
from tests.support import delete_services, eventually

MESSAGES = 200
WAIT_S = 2.5
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def rabbitmqctl(*args: str) -> None:
    command = shutil.which("rabbitmqctl")
    assert command, "this test restarts the local test broker with rabbitmqctl, which is not installed"
    process = await asyncio.create_subprocess_exec(command, *args, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def waiting_in(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count or 0


async def test_retries_waiting_across_a_broker_restart_all_come_back(amqp_url: str, unique: str) -> None:
    assert urlparse(amqp_url).hostname in ("localhost", "127.0.0.1"), "restarts only a local broker"

    class Probe(InvoiceIssued):
        type = f"test.{unique}.invoice.issued"

    service, calls, effects = f"restart-{unique}", Counter[str](), set[str]()

    async def fails_once(envelope: Envelope[Any]) -> None:
        calls[envelope.id] += 1
        if calls[envelope.id] == 1:
            raise RuntimeError("ledger is down")
        effects.add(envelope.id)

    bus = RabbitBus(amqp_url, retry_delays_s=[WAIT_S], prefetch=32)
    await bus.start()
    try:
        await bus.subscribe(service, {Probe: fails_once})
        for i in range(MESSAGES):
            data = Probe(invoice_id=f"inv-{i}", customer_id=f"cus-{i % 7}", amount_fen=100, issued_at=NOW,
                         due_at=NOW + timedelta(days=30))
            envelope = Envelope.wrap(data, source="test", time=NOW)
            await bus.publish(envelope.to_json(), event_type=envelope.type, message_id=envelope.id)
        retry = retry_queue_name(service, round(WAIT_S * 1000))
        await eventually(lambda: len(calls) == MESSAGES, timeout_s=30)
        await eventually(lambda: _all_waiting(amqp_url, retry), timeout_s=30)

        await rabbitmqctl("stop_app")
        # The broker stays down longer than the wait: every retry falls due while it restarts (the case
        # where an at-most-once way back drops them). Not a wait for a condition: the scenario itself.
        await asyncio.sleep(WAIT_S + 1)
        await rabbitmqctl("start_app")
        await rabbitmqctl("await_startup")

        await eventually(lambda: len(effects) == MESSAGES, timeout_s=90)
        assert set(calls.values()) <= {2, 3}  # each came back (a duplicate at most, never lost)
    finally:
        await bus.close()
        await delete_services(amqp_url, service, retry_delays_s=[WAIT_S])


async def _all_waiting(amqp_url: str, retry: str) -> bool:
    return await waiting_in(amqp_url, retry) == MESSAGES
