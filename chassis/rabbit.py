"""The event bus on RabbitMQ (aio-pika): the semantics of `chassis.bus`, durable and shared by replicas.

Each service has its own entrance, the consistent-hash exchange `crm.<service>`, bound to `crm.events` for
the types it handles; it hashes every message by its subject (the customer) into one of N quorum queues
`crm.<service>.<i>`. Each partition queue has a single active consumer, so however many replicas run, one
customer's events are worked by one of them at a time; the replicas share the partitions among themselves
(`_Subscription.rebalance`). A message that arrives without its subject, or with a wrong one (ERP need not
know the header; a note settlement names only the note), is moved to its customer's partition first.

Retries wait in per-delay quorum queues `crm.<service>.retry.<ms>ms` whose TTL dead-letters the message
back through the service's entrance, to the same partition, so other services never see a retry; that way
back is at least once too (quorum dead-lettering with confirms), so a broker restart loses no waiting retry.
Every copy (retry, dead letter, move) is confirmed by the broker before the original is acked: a process
dying at any line leaves the message in some queue, at the price of an occasional duplicate.
"""

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from aiormq.exceptions import ConnectionCommandInvalid
from pamqp.commands import Basic

from chassis import metrics
from chassis.bus import (
    ATTEMPTS_HEADER,
    CONTENT_TYPE,
    EXCHANGE,
    FAILED_AT_HEADER,
    LAST_ERROR_HEADER,
    REASON_HEADER,
    ROUTING_KEY_HEADER,
    SUBJECT_HEADER,
    DeadLettered,
    Handler,
    Listener,
    Poison,
    Subject,
    dead_letter_queue_name,
    decode,
    entrance_name,
    failure_reason,
    partition_queue_name,
    retry_delay_s,
    retry_queue_name,
    stated_subject,
    unheard,
)
from chassis.stopping import raise_if_cancel_lost, stop
from contracts.envelope import Event

log = logging.getLogger("crm.bus")

QUORUM = {"x-queue-type": "quorum"}
# One consumer at a time per partition: the others wait their turn, in order, and take over when it leaves.
PARTITION = QUORUM | {"x-single-active-consumer": True}
# Each partition's share of the hash ring; more points spread customers more evenly over few partitions.
PARTITION_WEIGHT = "20"
# A message waiting for its retry survives a broker restart, and its way back is at least once: a quorum
# queue dead-letters with publisher confirms (`at-least-once`, which needs `reject-publish`), so the copy
# stays until the service's partition has it.
RETRY_QUEUE = QUORUM | {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
# A replica that falls this far behind its live events drops the oldest: live views are best effort.
LIVE_QUEUE = {"x-max-length": 10_000, "x-overflow": "drop-head"}
# On close, handlers still running get this long to finish and ack before they are cancelled.
DRAIN_TIMEOUT_S = 10.0
# How often a replica compares the partitions it works with its fair share.
REBALANCE_S = 2.0
# Headers RabbitMQ writes itself when it dead-letters or redelivers; a fresh copy starts without them.
_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count")


class CopyNotRouted(Exception):
    """A retry, dead-letter or moved copy came back unroutable: its original must not be acked."""


def service_queues(service: str, partitions: int, retry_delays_s: Sequence[float]) -> list[str]:
    """Every queue a subscription of `service` may declare (for whoever cleans up after a test copy)."""
    return [*(partition_queue_name(service, i) for i in range(partitions)), dead_letter_queue_name(service),
            *(retry_queue_name(service, max(1, round(d * 1000))) for d in retry_delays_s), _replicas_name(service)]


class RabbitBus:
    def __init__(
        self,
        amqp_url: str,
        *,
        retry_delays_s: Sequence[float],
        prefetch: int = 32,
        partitions: int = 4,
        queue_expires_s: float | None = None,
        rebalance_s: float = REBALANCE_S,
    ) -> None:
        """`queue_expires_s`: let the broker delete this bus's queues once unused that long (test and
        preview copies of the system); production queues never expire."""
        self._url = amqp_url
        self._expiry = {"x-expires": round(queue_expires_s * 1000)} if queue_expires_s else {}
        self._retry_delays_s = list(retry_delays_s)
        self._prefetch = prefetch
        self._partitions = partitions
        self._rebalance_s = rebalance_s
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._subscriptions: list[_Subscription] = []
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
        # A handler may close the bus itself; it must not wait for its own end.
        await asyncio.gather(*(s.close(asyncio.current_task()) for s in self._subscriptions))
        self._subscriptions.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._exchange = None

    async def publish(self, body: bytes, *, event_type: str, message_id: str, subject: str | None = None) -> None:
        if self._exchange is None:
            raise RuntimeError("RabbitBus.publish before start()")
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={SUBJECT_HEADER: subject} if subject else None,
        )
        # Not mandatory: a type nobody consumes yet is dropped, as the topic exchange intends.
        await self._exchange.publish(message, routing_key=event_type, mandatory=False)

    async def subscribe(self, service: str, handlers: Mapping[type[Event], Handler],
                        subject: Subject = stated_subject, dead_lettered: DeadLettered = unheard) -> None:
        if self._connection is None:
            raise RuntimeError("RabbitBus.subscribe before start()")
        channel = await self._connection.channel(publisher_confirms=True)
        events = await _declare_exchange(channel)
        try:
            entrance = await channel.declare_exchange(
                entrance_name(service), "x-consistent-hash", durable=True, auto_delete=bool(self._expiry),
                arguments={"hash-header": SUBJECT_HEADER})
        except ConnectionCommandInvalid as error:  # an unknown exchange type closes the whole connection
            raise RuntimeError(f"{error}: RabbitMQ needs its consistent-hash exchange "
                               "(rabbitmq-plugins enable rabbitmq_consistent_hash_exchange)") from error
        # The partitions are bound before the entrance is: nothing is routed to an entrance with no queue.
        names = [partition_queue_name(service, i) for i in range(self._partitions)]
        for name in names:
            queue = await channel.declare_queue(name, durable=True, arguments=PARTITION | self._expiry)
            await queue.bind(entrance, routing_key=PARTITION_WEIGHT)
        for event_type in handlers:
            await entrance.bind(events, routing_key=event_type.type)
        consumer = _Consumer(service, handlers, subject, dead_lettered, channel, entrance, self._retry_delays_s,
                             self._expiry)
        await consumer.declare(dead_letter_queue_name(service), QUORUM)
        subscription = _Subscription(service, self._connection, channel, consumer, names,
                                     prefetch=self._prefetch, arguments=PARTITION | self._expiry,
                                     closing=lambda: self._closing)
        await subscription.start(self._rebalance_s)
        self._subscriptions.append(subscription)

    async def listen(self, service: str, event_types: Sequence[str], listener: Listener) -> None:
        """A queue of this replica's own, gone with its connection (exclusive): named by us, so that the robust
        connection declares it again after a reconnect (a server-named `amq.gen-…` may not be). A listener that
        fails is logged; its copy is not retried."""
        if self._connection is None:
            raise RuntimeError("RabbitBus.listen before start()")
        channel = await self._connection.channel()
        events = await _declare_exchange(channel)
        queue = await channel.declare_queue(f"crm.{service}.live.{uuid.uuid4().hex[:12]}", exclusive=True,
                                            auto_delete=True, arguments=LIVE_QUEUE)
        for event_type in event_types:
            await queue.bind(events, routing_key=event_type)

        async def hear(message: AbstractIncomingMessage) -> None:
            try:
                await listener(message.body)
            except Exception:
                log.exception("%s: a live copy of %s was not delivered", service, message.routing_key)

        await queue.consume(hear, no_ack=True)


class _Partition:
    """One partition queue as this replica consumes it: on a channel of its own, so that stepping back is
    closing that channel, which hands the unacked messages back before the next consumer in line takes over."""

    def __init__(self, name: str, subscription: "_Subscription") -> None:
        self.name = name
        self._subscription = subscription
        self._channel: AbstractChannel | None = None
        self._accepting = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_delivery = -math.inf

    async def join(self) -> None:
        """Consume as the last in line: active now if nobody else is, else when those before us leave."""
        subscription = self._subscription
        self._channel = await subscription.connection.channel()
        await self._channel.set_qos(prefetch_count=subscription.prefetch)
        queue = await self._channel.declare_queue(self.name, durable=True, arguments=subscription.arguments)
        self._accepting = True
        await queue.consume(self._on_message, no_ack=False)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if not self._accepting or self._subscription.closing():
            return  # left unacked: handed back when this channel closes, in order
        self.last_delivery = asyncio.get_running_loop().time()
        # Handlers run in our own tasks, not aio-pika's: a closing channel would cancel its tasks
        # mid-handler, and we want to let them finish instead.
        task = asyncio.create_task(self._subscription.consumer.handle(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def step_back(self) -> None:
        """Finish what is under way, hand the rest back, and queue up again behind the other replicas."""
        await self.leave(asyncio.current_task())
        self.last_delivery = -math.inf
        await self.join()

    async def leave(self, current: asyncio.Task[Any] | None) -> None:
        self._accepting = False
        others = self._tasks - {current}
        if others:
            _, unfinished = await asyncio.wait(others, timeout=DRAIN_TIMEOUT_S)
            await stop(list(unfinished))  # unacked: the broker redelivers each to the next consumer
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await self._channel.close()
            self._channel = None


class _Subscription:
    """One service's partitions in this replica, and its fair share of them.

    Every replica queues up on every partition; the broker lets the first in line work it. Left alone, the
    replica that started first would work them all, so each one periodically counts the replicas (the
    consumers of `crm.<service>.replicas`) and steps back from the busy partitions beyond its share: the next
    replica in line takes them over.
    """

    def __init__(self, service: str, connection: AbstractRobustConnection, channel: AbstractChannel,
                 consumer: "_Consumer", names: list[str], *, prefetch: int, arguments: dict[str, Any],
                 closing: Callable[[], bool]) -> None:
        self.service = service
        self.connection = connection
        self.consumer = consumer
        self.prefetch = prefetch
        self.arguments = arguments
        self.closing = closing
        self._channel = channel
        self.partitions = [_Partition(name, self) for name in names]
        self._rebalancer: asyncio.Task[None] | None = None

    async def start(self, rebalance_s: float) -> None:
        await self._channel.declare_queue(_replicas_name(self.service), durable=False, auto_delete=True)
        replicas = await self._channel.get_queue(_replicas_name(self.service), ensure=False)
        await replicas.consume(_ignore, no_ack=True)  # nothing is sent there: consuming is being counted
        for partition in self.partitions:
            await partition.join()
        self._rebalancer = asyncio.create_task(self._every(rebalance_s), name=f"{self.service}-rebalance")

    async def _every(self, rebalance_s: float) -> None:
        while True:
            await asyncio.sleep(rebalance_s)
            try:
                await self.rebalance(since=asyncio.get_running_loop().time() - rebalance_s)
            except Exception as error:  # noqa: BLE001 - the broker may be away; try again next time
                log.info("%s: rebalancing skipped (%s)", self.service, failure_reason(error))
            raise_if_cancel_lost("rebalancing")

    async def rebalance(self, *, since: float) -> None:
        channel = await self._channel.get_underlay_channel()
        for partition in self.partitions:  # the backlog, while asking the broker anyway (consumer lag)
            waiting = await channel.queue_declare(partition.name, passive=True)
            metrics.QUEUE_READY.labels(self.service, partition.name).set(waiting.message_count or 0)
        declared = await channel.queue_declare(_replicas_name(self.service), passive=True)
        share = math.ceil(len(self.partitions) / max(1, declared.consumer_count or 1))
        busy = [p for p in self.partitions if p.last_delivery >= since]
        for partition in busy[share:]:
            log.info("%s: stepping back from %s (%d busy, a fair share is %d)",
                     self.service, partition.name, len(busy), share)
            await partition.step_back()

    async def close(self, current: asyncio.Task[Any] | None) -> None:
        if self._rebalancer is not None:
            await stop([self._rebalancer])
        await asyncio.gather(*(p.leave(current) for p in self.partitions))


async def _ignore(message: AbstractIncomingMessage) -> None:
    pass


def _replicas_name(service: str) -> str:
    return f"crm.{service}.replicas"


class _Consumer:
    """Runs a delivery's handler and settles it; its copies (retry, dead letter, move) go out on `channel`."""

    def __init__(
        self,
        service: str,
        handlers: Mapping[type[Event], Handler],
        subject: Subject,
        dead_lettered: DeadLettered,
        channel: AbstractChannel,
        entrance: AbstractExchange,
        retry_delays_s: Sequence[float],
        expiry: dict[str, int],
    ) -> None:
        self.service = service
        self._handlers = handlers
        self._types = {event_type.type for event_type in handlers}
        self._subject = subject
        self._dead_lettered = dead_lettered
        self._channel = channel
        self._entrance = entrance
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
        # Only the types it handles as labels: a header an outsider wrote must not make new series.
        event_type = _routing_key(message) if _routing_key(message) in self._types else "other"
        try:
            envelope, handler = decode(message.body, self._handlers)
        except Poison as poison:
            await self._dead_letter(message, str(poison), failed_before)
            metrics.EVENTS.labels(self.service, event_type, "dead_lettered").inc()
            return
        try:
            subject = await self._subject(envelope)
            if subject is not None and subject != (message.headers or {}).get(SUBJECT_HEADER):
                await self._move(message, subject)
                metrics.EVENTS.labels(self.service, event_type, "moved").inc()
                return
            with metrics.HANDLER_SECONDS.labels(self.service, event_type).time():
                await handler(envelope)
            metrics.EVENTS.labels(self.service, event_type, "consumed").inc()
        except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            attempts = failed_before + 1
            delay_s = retry_delay_s(attempts, self._retry_delays_s)
            if delay_s is None:
                await self._dead_letter(message, failure_reason(error), attempts)
                metrics.EVENTS.labels(self.service, event_type, "dead_lettered").inc()
            else:
                await self._retry(message, failure_reason(error), attempts, delay_s)
                metrics.EVENTS.labels(self.service, event_type, "retried").inc()

    async def _retry(
        self, message: AbstractIncomingMessage, reason: str, attempts: int, delay_s: float
    ) -> None:
        delay_ms = max(1, round(delay_s * 1000))
        name = retry_queue_name(self.service, delay_ms)
        await self.declare(name, RETRY_QUEUE | {
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": self._entrance.name,
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

    async def _move(self, message: AbstractIncomingMessage, subject: str) -> None:
        """Into the partition of the customer it is about, where that customer's other events are worked."""
        await publish_confirmed(self._entrance, _copy(message, {SUBJECT_HEADER: subject}),
                                routing_key=_routing_key(message))
        log.debug("%s: moved message %s to the partition of %s", self.service, message.message_id, subject)

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
        await self._dead_lettered(message.body, reason)

    async def _send(self, queue: str, copy: aio_pika.Message) -> None:
        try:
            await publish_confirmed(self._channel.default_exchange, copy, routing_key=queue)
        except CopyNotRouted:
            self._declared.discard(queue)  # deleted behind our back: declare it again next time
            raise


async def publish_confirmed(exchange: AbstractExchange, copy: aio_pika.Message, *, routing_key: str) -> None:
    confirmation = await exchange.publish(copy, routing_key=routing_key, mandatory=True)
    if not isinstance(confirmation, Basic.Ack):
        raise CopyNotRouted(f"{exchange.name or routing_key} did not take the copy (returned unroutable)")


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
