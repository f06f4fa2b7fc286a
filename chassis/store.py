"""MongoDB for a service: its database, and the unit of work that saves state with its events.

A unit of work reads immediately (outside any transaction: optimistic `version` checks catch
races) and collects its writes; `commit()` applies them, the outgoing events (outbox) and the
consumed event's id (inbox) in one short transaction, which under load it shares with the other units
of work ready at the same time (`Database.commit`). So an event is published only if its state
change committed, and a redelivered event finds its id in the inbox and changes nothing.

Aggregates record what happened in their own `events` list; a repository's save hands the
aggregate to the unit of work (`uow.track`), which collects those events at commit and turns each
into its published contract with the service's mapper (cosmicpython's `collect_new_events`).
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from chassis import tracing
from chassis.batching import Batcher
from chassis.changes import Change, Insert, SaveVersioned, Write, apply
from chassis.clock import Clock
from chassis.errors import Conflict
from contracts.envelope import Envelope, Event

log = logging.getLogger("crm.store")

StoreT = TypeVar("StoreT")
SettingsT = TypeVar("SettingsT")

# Transactions one process runs at once: one where the store cannot keep them apart; on MongoDB enough to keep
# its round trips overlapping. Units of work that become ready meanwhile commit together, at most GROUP_MAX
# to a transaction: a bounded group, so that a failing one costs the others little.
TRANSACTIONS_AT_ONCE = 8
GROUP_MAX = 64
READ_MAX = 256  # ids in one batched read by id


def connect(url: str) -> AsyncMongoClient:
    """Nothing connects until first use; the client belongs to the running event loop."""
    return AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard", appname="crm")


class Database:
    """One service's database, with its `outbox` and `inbox` collections."""

    def __init__(self, client: AsyncMongoClient, name: str) -> None:
        self.client = client
        self.db = client[name]
        self.outbox = self.db["outbox"]
        self.inbox = self.db["inbox"]
        self.outbox_pending = asyncio.Event()
        self._lock = asyncio.Lock()
        self._interleaves: bool | None = None  # asked of the server on first use
        self._commits: Batcher[list[Change], None] | None = None  # made once `_interleaves` is known
        self._reads: dict[str, Batcher[Any, dict[str, Any] | None]] = {}
        self._numbers: dict[str, Batcher[None, int]] = {}

    async def ensure_indexes(self) -> None:
        await self.outbox.create_index([("created_at", ASCENDING), ("position", ASCENDING)])

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        """Around a commit, and around what must not see one half done. MongoDB keeps concurrent transactions
        apart, so there this waits for nothing; a store that cannot (the embedded nx-27017 runs them all on
        one SQLite connection, nested) gets them one at a time in this process."""
        if await self._keeps_transactions_apart():
            yield
        else:
            async with self._lock:
                yield

    async def _keeps_transactions_apart(self) -> bool:
        if self._interleaves is None:
            self._interleaves = interleaves_transactions(await self.client.admin.command("hello"))
        return self._interleaves

    async def ping(self) -> None:
        await self.db.command("ping")

    async def next_number(self, sequence: str) -> int:
        """The next number of a named sequence, for readable codes. Taken outside any transaction: a gap
        (a refused registration) is harmless, contention on one counter document inside every commit is not.
        Concurrent callers share one request: the counter moves on by as many as they are."""
        numbers = self._numbers.get(sequence)
        if numbers is None:
            numbers = self._numbers[sequence] = Batcher(functools.partial(self._take_numbers, sequence),
                                                        most=READ_MAX)
        return await numbers(None)

    async def _take_numbers(self, sequence: str, callers: list[None]) -> list[int]:
        async with self.alone():
            counter = await self.db["counters"].find_one_and_update(
                {"_id": sequence}, {"$inc": {"n": len(callers)}}, upsert=True, return_document=ReturnDocument.AFTER)
        return list(range(counter["n"] - len(callers) + 1, counter["n"] + 1))

    async def find_by_id(self, collection: AsyncCollection, id: Any) -> dict[str, Any] | None:
        """`find_one({"_id": id})`, shared: the look-ups of concurrent handlers that arrive while one is under
        way go together in one `$in` query."""
        reads = self._reads.get(collection.full_name)
        if reads is None:
            reads = self._reads[collection.full_name] = Batcher(functools.partial(_by_ids, collection),
                                                                most=READ_MAX)
        return await reads(id)

    async def commit(self, changes: list[Change]) -> None:
        """A unit of work's changes in one transaction: its own, or one it shares with the units of work that
        became ready while the store was busy with others (a group commit: under load many events' effects,
        inbox rows and outbox events go in a few requests). When a group fails, each member is tried alone, so
        one conflict or duplicate fails only its own unit of work."""
        if self._commits is None:
            at_once = TRANSACTIONS_AT_ONCE if await self._keeps_transactions_apart() else 1
            self._commits = Batcher(self._commit_group, most=GROUP_MAX, at_once=at_once)
        await self._commits(changes)

    async def _commit_group(self, group: list[list[Change]]) -> list[Exception | None]:
        if len(group) > 1:
            try:
                await self.run_in_transaction([change for changes in group for change in changes])
                return [None] * len(group)
            except Exception as error:  # noqa: BLE001 - whose it was is found by trying each alone
                log.debug("a group of %d commits failed (%s); each alone", len(group), error)
        outcomes: list[Exception | None] = []
        for changes in group:
            try:
                await self.run_in_transaction(changes)
                outcomes.append(None)
            except Exception as error:  # noqa: BLE001 - the member's own caller gets it
                outcomes.append(error)
        return outcomes

    async def run_in_transaction(self, changes: list[Change]) -> None:
        try:
            async with self.alone(), self.client.start_session() as session:
                async with await session.start_transaction():
                    await apply(changes, session)
        except PyMongoError as e:
            # Another replica wrote the same document first: the same answer as a stale version.
            if e.has_error_label("TransientTransactionError"):
                raise Conflict(f"a concurrent change won ({e}); reload and retry") from e
            raise


def interleaves_transactions(hello: Mapping[str, Any]) -> bool:
    """Whether the server keeps concurrent transactions apart, by what it says of itself: MongoDB runs them only
    as a replica set member (`setName`) or behind mongos (`isdbgrid`); a server that takes them while being
    neither is not MongoDB's engine, and gets them one at a time."""
    return "setName" in hello or hello.get("msg") == "isdbgrid"


async def _by_ids(collection: AsyncCollection, ids: list[Any]) -> list[dict[str, Any] | None]:
    found = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": list(set(ids))}})}
    return [found.get(id) for id in ids]


class AlreadyConsumed(Exception):
    """The consumed event's id is in the inbox: a redelivery, nothing to do."""


class Aggregate(Protocol):
    """What a unit of work collects events from: anything that records them in `events`."""

    events: list[Any]


ToContract = Callable[[Any], Event]


class UnitOfWork(Generic[StoreT, SettingsT]):
    """One use case's changes: staged writes, the aggregates whose events go out, the event consumed.

    `uow.store` is the service's repository, `uow.settings` its settings, `uow.now()` the time.
    Used as `async with uow:`; leaving the block without `commit()` discards everything staged.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        store: StoreT,
        settings: SettingsT,
        *,
        source: str,
        to_contract: ToContract,
        consumed: Envelope[Any] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.store = store
        self.settings = settings
        self.source = source
        self.consumed = consumed
        self.correlation_id = consumed.correlationid or consumed.id if consumed else None
        self.committed = False
        self._to_contract = to_contract
        self._changes: list[Change] = []
        self._seen: list[Aggregate] = []
        self._events: list[Event] = []
        self._forwarded: list[Envelope[Any]] = []

    async def __aenter__(self) -> "UnitOfWork[StoreT, SettingsT]":
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if not self.committed:
            self.rollback()

    def now(self) -> datetime:
        return self.clock.now()

    def save_versioned(self, collection: AsyncCollection, document: dict[str, Any], expected_version: int, *,
                       read: Mapping[str, Any] | None = None) -> None:
        """An aggregate saved at commit, if nobody saved it since it was read (repositories call this)."""
        self._changes.append(SaveVersioned(collection, document, expected_version, read or {}))

    def insert(self, collection: AsyncCollection, documents: list[dict[str, Any]]) -> None:
        """Documents inserted at commit (repositories call this)."""
        self._changes.append(Insert(collection, documents))

    def stage(self, write: Write) -> None:
        """A write of the repository's own, applied at commit inside the transaction after the saves and inserts
        (for what needs a read in the transaction, or a conditional delete)."""
        self._changes.append(write)

    def track(self, aggregate: Aggregate) -> None:
        """An aggregate being saved: its recorded events go out with this commit (repositories call this)."""
        if all(aggregate is not seen for seen in self._seen):
            self._seen.append(aggregate)

    def publish(self, *events: Event) -> None:
        """Contracts that belong to no aggregate (the chassis's access log); services record domain events."""
        self._events.extend(events)

    def forward(self, envelope: Envelope[Any]) -> None:
        """An outside system's event, published with this commit as it came (its id, source and time kept): what an
        HTTP intake accepted reaches `crm.events` as if its sender had published it there."""
        self._forwarded.append(envelope)

    def rollback(self) -> None:
        self._changes.clear()
        self._events.clear()
        self._forwarded.clear()
        for aggregate in self._seen:
            aggregate.events.clear()
        self._seen.clear()

    async def already_consumed(self) -> bool:
        return (self.consumed is not None
                and await self.database.find_by_id(self.database.inbox, self.consumed.id) is not None)

    def collect_new_events(self) -> list[Event]:
        collected = []
        for aggregate in self._seen:
            collected += [self._to_contract(event) for event in aggregate.events]
            aggregate.events.clear()
        return collected + self._events

    async def commit(self) -> None:
        if self.committed:
            raise RuntimeError("a unit of work commits once")
        now = self.clock.now()
        events = self.collect_new_events()
        changes = list(self._changes)
        envelopes = [*self._forwarded, *(self._wrap(event, now) for event in events)]
        if envelopes:
            outbox = [_outbox_document(envelope, now, position) for position, envelope in enumerate(envelopes)]
            changes.append(Insert(self.database.outbox, outbox))
        if self.consumed is not None:
            changes.append(Insert(self.database.inbox, [{"_id": self.consumed.id, "type": self.consumed.type,
                                                          "at": now}]))
        if not changes:
            self.committed = True
            return
        try:
            with tracing.span("commit", attributes={"crm.events": len(envelopes)}):
                await self.database.commit(changes)
        except DuplicateKeyError as e:
            # Another delivery of the same event committed first: ours must change nothing.
            if await self.already_consumed():
                raise AlreadyConsumed(self.consumed.id) from e  # type: ignore[union-attr]
            raise
        self.committed = True
        if envelopes:
            self.database.outbox_pending.set()

    def _wrap(self, event: Event, now: datetime) -> Envelope[Any]:
        return Envelope.wrap(event, source=self.source, time=now, correlation_id=self.correlation_id,
                             trace=tracing.carried())


def _outbox_document(envelope: Envelope[Any], now: datetime, position: int) -> dict[str, Any]:
    return {
        "_id": envelope.id,
        "type": envelope.type,
        "subject": envelope.subject,
        "traceparent": envelope.traceparent,
        "tracestate": envelope.tracestate,
        "body": envelope.to_json().decode(),
        "created_at": now,
        "position": position,
    }
