"""The event bus in memory, for `crm dev` without `AMQP_URL`: the semantics of `chassis.bus`.

Each service has one queue, fed with every published type it subscribed to, and `prefetch`
workers that run handlers concurrently. A message counts as pending until its handler returned;
a failed one is put back after its delay (scheduled, so other messages keep flowing), then
kept in `dead_letters(service)`. Nothing survives the process, which is fine for dev mode.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chassis import metrics
from chassis.bus import (
    DeadLettered,
    Handler,
    Listener,
    Poison,
    Subject,
    decode,
    failure_reason,
    retry_delay_s,
    stated_subject,
    unheard,
)
from chassis.stopping import stop
from contracts.envelope import Event

log = logging.getLogger("crm.bus")


@dataclass(frozen=True)
class DeadLetter:
    body: bytes
    reason: str
    attempts: int
    event_type: str
    message_id: str
    failed_at: datetime


@dataclass(frozen=True)
class _Delivery:
    body: bytes
    event_type: str
    message_id: str
    attempts: int = 0  # failed handler runs so far


@dataclass
class _ServiceQueue:
    queue: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)
    types: set[str] = field(default_factory=set)
    in_flight: int = 0
    waiting_retry: int = 0
    dead: list[DeadLetter] = field(default_factory=list)
    dead_lettered: DeadLettered = unheard


class InProcessBus:
    def __init__(self, *, retry_delays_s: Sequence[float], prefetch: int = 32) -> None:
        self._retry_delays_s = list(retry_delays_s)
        self._prefetch = prefetch
        self._services: dict[str, _ServiceQueue] = {}
        self._listeners: list[tuple[frozenset[str], str, Listener]] = []
        self._workers: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._running = False

    async def start(self) -> None:
        self._running = True

    def is_ready(self) -> bool:
        return self._running

    async def close(self) -> None:
        self._running = False
        self._listeners.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        await stop(list(self._workers))
        self._workers.clear()

    async def publish(self, body: bytes, *, event_type: str, message_id: str, subject: str | None = None) -> None:
        if not self._running:
            raise RuntimeError("InProcessBus.publish before start()")
        for service in self._services.values():
            if event_type in service.types:
                service.queue.put_nowait(_Delivery(body, event_type, message_id))
        for types, service_name, listener in self._listeners:
            if event_type in types:
                try:
                    await listener(body)
                except Exception:
                    log.exception("%s: a live copy of %s was not delivered", service_name, event_type)

    async def subscribe(self, service: str, handlers: Mapping[type[Event], Handler],
                        subject: Subject = stated_subject, dead_lettered: DeadLettered = unheard) -> None:
        """`subject` is not needed here: one process, whose handlers keep each customer's order themselves."""
        if not self._running:
            raise RuntimeError("InProcessBus.subscribe before start()")
        queue = self._services.setdefault(service, _ServiceQueue())
        queue.dead_lettered = dead_lettered
        queue.types.update(event_type.type for event_type in handlers)
        for _ in range(self._prefetch):
            worker = asyncio.create_task(self._work(service, queue, handlers))
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def listen(self, service: str, event_types: Sequence[str], listener: Listener) -> None:
        self._listeners.append((frozenset(event_types), service, listener))

    def dead_letters(self, service: str) -> list[DeadLetter]:
        return list(self._services[service].dead) if service in self._services else []

    def pending(self, service: str) -> int:
        """Messages not yet settled: queued, being handled, or waiting for a retry."""
        if service not in self._services:
            return 0
        queue = self._services[service]
        return queue.queue.qsize() + queue.in_flight + queue.waiting_retry

    async def _work(
        self, service: str, queue: _ServiceQueue, handlers: Mapping[type[Event], Handler]
    ) -> None:
        while True:
            delivery = await queue.queue.get()
            queue.in_flight += 1
            try:
                await self._handle(service, queue, handlers, delivery)
            except Exception:  # a bug here must not stop the worker
                log.exception("%s: message %s dropped by the in-process bus", service, delivery.message_id)
            finally:
                queue.in_flight -= 1

    async def _handle(
        self, service: str, queue: _ServiceQueue, handlers: Mapping[type[Event], Handler], delivery: _Delivery
    ) -> None:
        try:
            envelope, handler = decode(delivery.body, handlers)
        except Poison as poison:
            await self._dead_letter(service, queue, delivery, str(poison), delivery.attempts)
            metrics.EVENTS.labels(service, delivery.event_type, "dead_lettered").inc()
            return
        try:
            with metrics.HANDLER_SECONDS.labels(service, delivery.event_type).time():
                await handler(envelope)
            metrics.EVENTS.labels(service, delivery.event_type, "consumed").inc()
        except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            attempts = delivery.attempts + 1
            delay_s = retry_delay_s(attempts, self._retry_delays_s)
            if delay_s is None:
                await self._dead_letter(service, queue, delivery, failure_reason(error), attempts)
                metrics.EVENTS.labels(service, delivery.event_type, "dead_lettered").inc()
            else:
                self._retry(service, queue, dataclasses.replace(delivery, attempts=attempts), delay_s, error)
                metrics.EVENTS.labels(service, delivery.event_type, "retried").inc()

    def _retry(
        self, service: str, queue: _ServiceQueue, delivery: _Delivery, delay_s: float, error: Exception
    ) -> None:
        def put_back() -> None:
            self._timers.discard(timer)
            queue.waiting_retry -= 1
            queue.queue.put_nowait(delivery)

        queue.waiting_retry += 1
        timer = asyncio.get_running_loop().call_later(delay_s, put_back)
        self._timers.add(timer)
        log.warning(
            "%s: retrying %s message %s in %.2fs (attempt %d failed): %s",
            service,
            delivery.event_type,
            delivery.message_id,
            delay_s,
            delivery.attempts,
            failure_reason(error),
        )

    async def _dead_letter(
        self, service: str, queue: _ServiceQueue, delivery: _Delivery, reason: str, attempts: int
    ) -> None:
        failed_at = datetime.now(UTC)
        queue.dead.append(
            DeadLetter(delivery.body, reason, attempts, delivery.event_type, delivery.message_id, failed_at)
        )
        log.error(
            "%s: dead-lettered %s message %s after %d attempts: %s",
            service,
            delivery.event_type,
            delivery.message_id,
            attempts,
            reason,
        )
        await queue.dead_lettered(delivery.body, reason)
