"""MongoDB for a service: its database, and the unit of work that saves state with its events.

A unit of work reads immediately (outside any transaction: optimistic `version` checks catch
races) and collects its writes; `commit()` applies them, the outgoing events (outbox) and the
consumed event's id (inbox) in one short transaction. So an event is published only if its state
change committed, and a redelivered event finds its id in the inbox and changes nothing.

Aggregates record what happened in their own `events` list; a repository's save hands the
aggregate to the unit of work (`uow.track`), which collects those events at commit and turns each
into its published contract with the service's mapper (cosmicpython's `collect_new_events`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from chassis.clock import Clock
from chassis.errors import Conflict
from contracts.envelope import Envelope, Event

log = logging.getLogger("crm.store")

Write = Callable[[AsyncClientSession], Awaitable[Any]]
StoreT = TypeVar("StoreT")
SettingsT = TypeVar("SettingsT")


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

    async def ensure_indexes(self) -> None:
        await self.outbox.create_index([("created_at", ASCENDING), ("position", ASCENDING)])

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        """Around a commit, and around what must not see one half done. MongoDB keeps concurrent transactions
        apart, so there this waits for nothing; a store that cannot (the embedded nx-27017 runs them all on
        one SQLite connection, nested) gets them one at a time in this process."""
        if self._interleaves is None:
            self._interleaves = interleaves_transactions(await self.client.admin.command("hello"))
        if self._interleaves:
            yield
        else:
            async with self._lock:
                yield

    async def ping(self) -> None:
        await self.db.command("ping")

    async def next_number(self, sequence: str) -> int:
        """The next number of a named sequence, for readable codes. Taken outside any transaction: a gap
        (a refused registration) is harmless, contention on one counter document inside every commit is not."""
        async with self.alone():
            counter = await self.db["counters"].find_one_and_update(
                {"_id": sequence}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        return counter["n"]

    async def run_in_transaction(self, writes: list[Write]) -> None:
        try:
            async with self.alone(), self.client.start_session() as session:
                async with await session.start_transaction():
                    for write in writes:
                        await write(session)
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
        self._writes: list[Write] = []
        self._seen: list[Aggregate] = []
        self._events: list[Event] = []

    async def __aenter__(self) -> "UnitOfWork[StoreT, SettingsT]":
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if not self.committed:
            self.rollback()

    def now(self) -> datetime:
        return self.clock.now()

    def stage(self, write: Write) -> None:
        """A write applied at commit, inside the transaction (repositories call this)."""
        self._writes.append(write)

    def track(self, aggregate: Aggregate) -> None:
        """An aggregate being saved: its recorded events go out with this commit (repositories call this)."""
        if all(aggregate is not seen for seen in self._seen):
            self._seen.append(aggregate)

    def publish(self, *events: Event) -> None:
        """Contracts that belong to no aggregate (the chassis's access log); services record domain events."""
        self._events.extend(events)

    def rollback(self) -> None:
        self._writes.clear()
        self._events.clear()
        for aggregate in self._seen:
            aggregate.events.clear()
        self._seen.clear()

    async def already_consumed(self) -> bool:
        return self.consumed is not None and await self.database.inbox.find_one({"_id": self.consumed.id}) is not None

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
        writes = list(self._writes)
        if events:
            outbox = [self._outbox_document(event, now, position) for position, event in enumerate(events)]
            writes.append(lambda s: self.database.outbox.insert_many(outbox, session=s))
        if self.consumed is not None:
            received = {"_id": self.consumed.id, "type": self.consumed.type, "at": now}
            writes.append(lambda s: self.database.inbox.insert_one(received, session=s))
        if not writes:
            self.committed = True
            return
        try:
            await self.database.run_in_transaction(writes)
        except DuplicateKeyError as e:
            # Another delivery of the same event committed first: ours must change nothing.
            if await self.already_consumed():
                raise AlreadyConsumed(self.consumed.id) from e  # type: ignore[union-attr]
            raise
        self.committed = True
        if events:
            self.database.outbox_pending.set()

    def _outbox_document(self, event: Event, now: datetime, position: int) -> dict[str, Any]:
        envelope = Envelope.wrap(event, source=self.source, time=now, correlation_id=self.correlation_id)
        return {
            "_id": envelope.id,
            "type": event.type,
            "subject": envelope.subject,
            "body": envelope.to_json().decode(),
            "created_at": now,
            "position": position,
        }


async def save_versioned(collection: Any, document: dict[str, Any], expected_version: int,
                         session: AsyncClientSession, *, read: Mapping[str, Any] | None = None) -> None:
    """Insert a new aggregate (`expected_version` 0), or replace a changed one only if nobody saved it since
    we read `expected_version` (and, if given, the fields in `read` still hold what we read)."""
    if expected_version == 0:
        try:
            await collection.insert_one(document, session=session)
        except DuplicateKeyError as e:
            raise Conflict(f"{document['_id']} was added by someone else meanwhile; reload and retry",
                           expectedVersion=0) from e
        return
    unchanged = {"_id": document["_id"], "version": expected_version, **(read or {})}
    result = await collection.replace_one(unchanged, document, session=session)
    if result.matched_count == 0:
        raise Conflict(
            f"{document['_id']} was changed by someone else (expected version {expected_version}); reload and retry",
            expectedVersion=expected_version,
        )
