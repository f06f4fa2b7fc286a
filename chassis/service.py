"""What a service runs as (`Service`), made from its kit by `chassis.app`.

The chassis does the same for every service: one command runner with one retry policy on version
conflicts, one consumer (inbox, per-customer order, the same retries), one sweep helper that logs a
failing item and goes on, and jobs that run those sweeps periodically.
"""

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from opentelemetry.trace import SpanKind
from pymongo.errors import PyMongoError

from chassis import metrics, tracing
from chassis.bus import Bus, stated_subject
from chassis.clock import Clock
from chassis.errors import Conflict, NotFound, VersionMismatch
from chassis.live import LiveFeed
from chassis.logs import bound
from chassis.store import AlreadyConsumed, Database, SettingsT, StoreT, ToContract, UnitOfWork
from contracts.envelope import Envelope, Event

log = logging.getLogger("crm.service")

T = TypeVar("T")
CONFLICT_RETRIES = 5
DEAD_BODY_KEPT = 64_000  # characters of a dead-lettered body kept beside its reason
UseCase = Callable[[Any, UnitOfWork[Any, Any]], Awaitable[None]]
Locate = Callable[[Any, Any], Awaitable[str]]  # (event, store) → the customer it is about; NotFound if unknown


@dataclass(frozen=True)
class Job(Generic[SettingsT]):
    """A periodic sweep; safe in every replica at once because each change it makes is conditional."""

    name: str
    every_s: Callable[[SettingsT], float]
    run: Callable[["Service[Any, SettingsT]"], Awaitable[Any]]


@dataclass
class KeyedLocks:
    """One key (a customer) at a time in this process; locks vanish once nobody waits for them."""

    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[str, int] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def hold(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]


def qualified(name: str, instance: str = "") -> str:
    """A service as its queues, metrics and spans name it: `credit`, or `credit.<instance>` for a copy."""
    return ".".join(filter(None, [name, instance]))


@dataclass
class Service(Generic[StoreT, SettingsT]):
    """A running service: what resolvers, consumers and jobs use."""

    name: str
    subscriptions: Mapping[type[Event], UseCase]  # the events it consumes, the use case of each
    to_contract: ToContract  # its domain events as the contracts it publishes
    settings: SettingsT
    database: Database
    store: StoreT
    bus: Bus
    clock: Clock
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    # For events that may not name their customer: how the store finds it, so that they too are applied
    # in that customer's order (credit: a note settlement names only the note).
    subjects: Mapping[type[Event], Locate] = field(default_factory=dict)
    instance: str = ""  # a copy of the system sharing the store and broker (tests, previews)
    live: LiveFeed = field(default_factory=LiveFeed)  # what subscriptions follow (Kit.live)

    @property
    def qualified_name(self) -> str:
        return qualified(self.name, self.instance)

    def uow(self, consumed: Envelope[Any] | None = None) -> UnitOfWork[StoreT, SettingsT]:
        return UnitOfWork(self.database, self.clock, self.store, self.settings, source=self.name,
                          to_contract=self.to_contract, consumed=consumed)

    async def run(self, command: Callable[[UnitOfWork[StoreT, SettingsT]], Awaitable[T]], *,
                  consumed: Envelope[Any] | None = None) -> T | None:
        """A command (or a consumed event's use case) on a fresh unit of work, again from the start when
        someone saved the same aggregate meanwhile. A consumed event is recorded in the inbox even when
        its use case changed nothing, and a redelivered one is not applied again (None)."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            async with self.uow(consumed) as uow:
                try:
                    if await uow.already_consumed():
                        log.info("%s %s already consumed; acknowledging", consumed.type, consumed.id)  # type: ignore
                        return None
                    result = await command(uow)
                    if consumed is not None and not uow.committed:
                        await uow.commit()
                    return result
                except AlreadyConsumed:
                    return None
                except VersionMismatch:
                    raise  # the caller's own stale version: only they can decide again
                except Conflict:
                    if attempt == CONFLICT_RETRIES:
                        raise
        raise AssertionError("unreachable")

    async def deliver(self, envelope: Envelope[Any]) -> None:
        """The bus handler: the event's use case, one customer's events at a time in this process."""
        use_case = self.subscriptions[type(envelope.data)]
        joined = tracing.context_from({"traceparent": envelope.traceparent, "tracestate": envelope.tracestate})
        with (bound(event_id=envelope.id, event_type=envelope.type, correlation_id=envelope.correlationid or envelope.id),
              tracing.span(f"consume {envelope.type}", context=joined, kind=SpanKind.CONSUMER,
                           attributes={"crm.service": self.qualified_name})):
            async with self.locks.hold(await self.subject(envelope)):
                await self.run(lambda uow: use_case(envelope.data, uow), consumed=envelope)

    async def dead_lettered(self, body: bytes, reason: str) -> None:
        """A message this service gave up on, also kept in its own `dead_letters` collection (what the broker's
        dead-letter queue holds, queryable: credit's reconciliation reports them per source and day). Best effort:
        the queue is the record that counts."""
        try:
            said = json.loads(body)
        except ValueError:
            said = None
        said = said if isinstance(said, dict) else {}
        fields = {name: said[name] for name in ("id", "type", "source", "time") if isinstance(said.get(name), str)}
        try:
            await self.database.db["dead_letters"].insert_one(
                {"_id": uuid.uuid4().hex, **fields, "reason": reason, "at": self.clock.now(),
                 "body": body[:DEAD_BODY_KEPT].decode(errors="replace")})
        except PyMongoError:
            log.exception("%s: dead letter not recorded in the store (it is in the queue)", self.qualified_name)

    async def subject(self, envelope: Envelope[Any]) -> str | None:
        """The customer an event is about: as it says, else as the store finds it (None: nobody knows yet; the
        use case then says why it cannot be applied)."""
        said = await stated_subject(envelope)
        locate = self.subjects.get(type(envelope.data))
        if said is not None or locate is None:
            return said
        try:
            return await locate(envelope.data, self.store)
        except NotFound:
            return None

    async def sweep(self, job: str, due: Callable[[], Awaitable[Iterable[str]]],
                    step: Callable[[str, UnitOfWork[StoreT, SettingsT]], Awaitable[T]]) -> list[T]:
        """Runs `step` on every item `due()` names, each in its own unit of work, until nothing new is due;
        returns the steps' results. A failing item is logged and left for the next run; it never holds back
        the items after it."""
        tried: set[str] = set()
        done: list[T] = []
        while fresh := [item for item in await due() if item not in tried]:
            for item in fresh:
                tried.add(item)
                try:
                    result = await self.run(functools.partial(step, item))
                except Exception:
                    log.exception("%s: %s failed; the next run tries it again", job, item)
                    metrics.SWEEP_FAILURES.labels(self.qualified_name, job).inc()
                    continue
                done.append(result)  # type: ignore[arg-type]
        return done
