"""The event bus on RabbitMQ (aio-pika): the semantics of `chassis.bus`, durable and shared by replicas.

Retries wait in per-delay quorum queues `crm.<service>.retry.<ms>ms` whose TTL dead-letters the message
back to `crm.<service>` only, so other services never see a retry; that way back is at least once too
(quorum dead-lettering with confirms), so a broker restart loses no waiting retry. Every copy (retry or
dead letter) is confirmed by the broker before the original is acked: a process dying at any line
leaves the message in some queue, at the price of an occasional duplicate.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pamqp.commands import Basic

from chassis.bus import (
    ATTEMPTS_HEADER,
    CONTENT_TYPE,
    EXCHANGE,
    FAILED_AT_HEADER,
    LAST_ERROR_HEADER,
    REASON_HEADER,
    ROUTING_KEY_HEADER,
    Handler,
    Poison,
    dead_letter_queue_name,
    decode,
    failure_reason,
    queue_name,
    retry_delay_s,
    retry_queue_name,
)
from contracts.envelope import Event

log = logging.getLogger("crm.bus")

QUORUM = {"x-queue-type": "quorum"}
# A message waiting for its retry survives a broker restart, and its way back is at least once: a quorum
# queue dead-letters with publisher confirms (`at-least-once`, which needs `reject-publish`), so the copy
# stays until the service's queue has it.
RETRY_QUEUE = QUORUM | {"x-dead-letter-exchange": "", "x-dead-letter-strategy": "at-least-once",
                        "x-overflow": "reject-publish"}
# On close, handlers still running get this long to finish and ack before they are cancelled.
DRAIN_TIMEOUT_S = 10.0
# Headers RabbitMQ writes itself when it dead-letters or redelivers; a fresh copy starts without them.
_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count")


class CopyNotRouted(Exception):
    """A retry or dead-letter copy came back unroutable: its original must not be acked."""


class RabbitBus:
    def __init__(
        self,
        amqp_url: str,
        *,
        retry_delays_s: Sequence[float],
        prefetch: int = 32,
        queue_expires_s: float | None = None,
    ) -> None:
        """`queue_expires_s`: let the broker delete this bus's queues once unused that long (test and
        preview copies of the system); production queues never expire."""
        self._url = amqp_url
        self._expiry = {"x-expires": round(queue_expires_s * 1000)} if queue_expires_s else {}
        self._retry_delays_s = list(retry_delays_s)
        self._prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        # Handlers run in our own tasks, not aio-pika's: a closing channel would cancel its tasks
        # mid-handler, and we want shutdown to let them finish instead.
        self._in_flight: set[asyncio.Task[None]] = set()
        self._closing = False

    async def start(self) -> None:
        self._closing = False
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await _declare_exchange(channel)

    def is_ready(self) -> bool:
        # A robust connection is not "closed" while it reconnects; `connected` says if it is up now.
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def close(self) -> None:
        self._closing = True
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()
        # A handler may close the bus itself; it must not wait for its own end.
        others = self._in_flight - {asyncio.current_task()}
        if others:
            _, unfinished = await asyncio.wait(others, timeout=DRAIN_TIMEOUT_S)
            for task in unfinished:
                task.cancel()  # unacked: the broker redelivers it to a surviving replica
            await asyncio.gather(*unfinished, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._exchange = None

    async def publish(self, body: bytes, *, event_type: str, message_id: str) -> None:
        if self._exchange is None:
            raise RuntimeError("RabbitBus.publish before start()")
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        # Not mandatory: a type nobody consumes yet is dropped, as the topic exchange intends.
        await self._exchange.publish(message, routing_key=event_type, mandatory=False)

    async def subscribe(self, service: str, handlers: Mapping[type[Event], Handler]) -> None:
        if self._connection is None:
            raise RuntimeError("RabbitBus.subscribe before start()")
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self._prefetch)
        exchange = await _declare_exchange(channel)
        queue = await channel.declare_queue(queue_name(service), durable=True, arguments=QUORUM | self._expiry)
        for event_type in handlers:
            await queue.bind(exchange, routing_key=event_type.type)
        consumer = _Consumer(service, handlers, channel, self._retry_delays_s, self._expiry)
        await consumer.declare(dead_letter_queue_name(service), QUORUM)

        async def on_message(message: AbstractIncomingMessage) -> None:
            if self._closing:
                return  # left unacked: requeued when the connection closes
            task = asyncio.create_task(consumer.handle(message))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

        tag = await queue.consume(on_message, no_ack=False)
        self._consumers.append((queue, tag))


class _Consumer:
    """One service's subscription: runs a delivery's handler and settles it on its channel."""

    def __init__(
        self,
        service: str,
        handlers: Mapping[type[Event], Handler],
        channel: AbstractChannel,
        retry_delays_s: Sequence[float],
        expiry: dict[str, int],
    ) -> None:
        self.service = service
        self._handlers = handlers
        self._channel = channel
        self._retry_delays_s = retry_delays_s
        self._expiry = expiry
        self._declared: set[str] = set()

    async def declare(self, name: str, arguments: dict[str, Any]) -> None:
        if name not in self._declared:
            await self._channel.declare_queue(name, durable=True, arguments=arguments | self._expiry)
            self._declared.add(name)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        """Never raises: an exception here would only be logged by asyncio, and the message stuck."""
        try:
            await self._process(message)
        except Exception:
            log.exception("%s: message %s not settled; back to the queue", self.service, message.message_id)
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            return
        try:
            await message.ack()
        except Exception as error:  # noqa: BLE001 - whatever broke the channel, the broker redelivers
            log.warning(
                "%s: ack of message %s lost (%s); the broker will redeliver it",
                self.service,
                message.message_id,
                failure_reason(error),
            )

    async def _process(self, message: AbstractIncomingMessage) -> None:
        failed_before = _attempts(message)
        try:
            envelope, handler = decode(message.body, self._handlers)
        except Poison as poison:
            await self._dead_letter(message, str(poison), failed_before)
            return
        try:
            await handler(envelope)
        except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            attempts = failed_before + 1
            delay_s = retry_delay_s(attempts, self._retry_delays_s)
            if delay_s is None:
                await self._dead_letter(message, failure_reason(error), attempts)
            else:
                await self._retry(message, failure_reason(error), attempts, delay_s)

    async def _retry(
        self, message: AbstractIncomingMessage, reason: str, attempts: int, delay_s: float
    ) -> None:
        delay_ms = max(1, round(delay_s * 1000))
        name = retry_queue_name(self.service, delay_ms)
        await self.declare(name, RETRY_QUEUE | {
            "x-message-ttl": delay_ms,
            "x-dead-letter-routing-key": queue_name(self.service),
        })
        await self._send(name, _copy(message, {ATTEMPTS_HEADER: attempts, LAST_ERROR_HEADER: reason}))
        log.warning(
            "%s: retrying %s message %s in %.2fs (attempt %d failed): %s",
            self.service,
            _routing_key(message),
            message.message_id,
            delay_s,
            attempts,
            reason,
        )

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, attempts: int) -> None:
        name = dead_letter_queue_name(self.service)
        await self.declare(name, QUORUM)
        headers = {
            REASON_HEADER: reason,
            ATTEMPTS_HEADER: attempts,
            FAILED_AT_HEADER: datetime.now(UTC).isoformat(),
        }
        await self._send(name, _copy(message, headers))
        log.error(
            "%s: dead-lettered %s message %s after %d attempts: %s",
            self.service,
            _routing_key(message),
            message.message_id,
            attempts,
            reason,
        )

    async def _send(self, queue: str, copy: aio_pika.Message) -> None:
        confirmation = await self._channel.default_exchange.publish(copy, routing_key=queue, mandatory=True)
        if not isinstance(confirmation, Basic.Ack):
            self._declared.discard(queue)  # deleted behind our back: declare it again next time
            raise CopyNotRouted(f"{queue} did not take the copy (returned unroutable)")


async def _declare_exchange(channel: AbstractChannel) -> AbstractExchange:
    return await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


def _attempts(message: AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
    return value if isinstance(value, int) else 0


def _routing_key(message: AbstractIncomingMessage) -> str:
    """The event type it was published with; a retried copy comes back under the queue's name."""
    original = (message.headers or {}).get(ROUTING_KEY_HEADER)
    return original if isinstance(original, str) else (message.routing_key or "")


def _copy(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
    kept = {k: v for k, v in (message.headers or {}).items() if not k.startswith(_BROKER_HEADERS)}
    return aio_pika.Message(
        message.body,
        headers={**kept, ROUTING_KEY_HEADER: _routing_key(message), **headers},
        content_type=message.content_type,
        message_id=message.message_id,
        timestamp=message.timestamp,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
