"""`crm dlq list|show|replay|purge <service>`: a service's dead-letter queue as an ops tool.

A dead letter keeps its body and says in its headers why it failed (`chassis.bus`). Reading the queue takes
its messages without acknowledging them and hands them back when done, in their order (RabbitMQ 4's quorum
queues count that as a delivery: the queue must not have a low `delivery-limit`). A replay publishes the event
to the service's entrance with its own id and a fresh retry budget, and only then drops the dead letter: the
inbox makes a replay of something already applied change nothing, and an event that still fails comes back.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from chassis.bus import (
    ATTEMPTS_HEADER,
    FAILED_AT_HEADER,
    LAST_ERROR_HEADER,
    REASON_HEADER,
    ROUTING_KEY_HEADER,
    dead_letter_queue_name,
    entrance_name,
)
from chassis.rabbit import publish_confirmed

# What a replayed copy leaves behind: the failure's account, and what RabbitMQ wrote when it dead-lettered.
_FAILURE_HEADERS = (ATTEMPTS_HEADER, LAST_ERROR_HEADER, REASON_HEADER, FAILED_AT_HEADER, "x-death", "x-first-death-",
                    "x-last-death-", "x-delivery-count")


@dataclass(frozen=True)
class DeadLetter:
    id: str
    type: str
    reason: str
    attempts: int
    failed_at: datetime | None
    body: bytes

    def matches(self, *, id: str | None = None, type: str | None = None, reason: str | None = None) -> bool:
        """Every given criterion holds: the id exactly, the type exactly, `reason` anywhere in the reason."""
        return ((id is None or self.id == id) and (type is None or self.type == type)
                and (reason is None or reason in self.reason))


Pick = Callable[[DeadLetter], bool]


@asynccontextmanager
async def dead_letters(amqp_url: str, service: str) -> AsyncIterator["Reading"]:
    """The dead letters waiting now; those not acknowledged inside the block go back to the queue in order."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(dead_letter_queue_name(service), passive=True)
        waiting = queue.declaration_result.message_count or 0
        taken: list[tuple[DeadLetter, AbstractIncomingMessage]] = []
        while len(taken) < waiting and (message := await queue.get(no_ack=False, fail=False)) is not None:
            taken.append((_read(message), message))
        yield Reading(service, channel, taken)
        # Leaving the connection closes the channel: whatever was not acknowledged is requeued.


@dataclass
class Reading:
    service: str
    channel: AbstractChannel
    taken: list[tuple[DeadLetter, AbstractIncomingMessage]]

    @property
    def letters(self) -> list[DeadLetter]:
        return [letter for letter, _ in self.taken]

    async def replay(self, pick: Pick) -> list[DeadLetter]:
        """Each picked letter back through the service's entrance, confirmed, then dropped from here."""
        entrance = await self.channel.get_exchange(entrance_name(self.service), ensure=True)
        replayed = []
        for letter, message in self.taken:
            if not pick(letter):
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith(_FAILURE_HEADERS)}
            copy = aio_pika.Message(message.body, headers=headers, message_id=message.message_id,
                                    content_type=message.content_type, timestamp=message.timestamp,
                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await publish_confirmed(entrance, copy, routing_key=letter.type)
            await message.ack()
            replayed.append(letter)
        return replayed

    async def purge(self, pick: Pick) -> list[DeadLetter]:
        purged = []
        for letter, message in self.taken:
            if pick(letter):
                await message.ack()
                purged.append(letter)
        return purged


def _read(message: AbstractIncomingMessage) -> DeadLetter:
    headers = message.headers or {}
    failed_at = headers.get(FAILED_AT_HEADER)
    attempts = headers.get(ATTEMPTS_HEADER)
    return DeadLetter(id=message.message_id or "", type=str(headers.get(ROUTING_KEY_HEADER, message.routing_key)),
                      reason=str(headers.get(REASON_HEADER, "")),
                      attempts=attempts if isinstance(attempts, int) else 0,
                      failed_at=datetime.fromisoformat(failed_at) if isinstance(failed_at, str) else None,
                      body=message.body)


def table(letters: list[DeadLetter], now: datetime | None = None) -> str:
    """One line each: age, type, id, attempts, reason."""
    now = now or datetime.now(UTC)
    lines = [f"{'age':>8}  {'type':<24} {'id':<40} {'tries':>5}  reason"]
    for letter in letters:
        age = _age(now - letter.failed_at) if letter.failed_at else "?"
        lines.append(f"{age:>8}  {letter.type:<24} {letter.id:<40} {letter.attempts:>5}  {letter.reason[:120]}")
    return "\n".join(lines)


def shown(letter: DeadLetter) -> str:
    try:
        body = json.dumps(json.loads(letter.body), indent=2, ensure_ascii=False)
    except ValueError:
        body = letter.body.decode(errors="replace")
    return (f"id: {letter.id}\ntype: {letter.type}\nattempts: {letter.attempts}\nfailed at: {letter.failed_at}\n"
            f"reason: {letter.reason}\n{body}")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
