"""MongoDB for a service: its database, and the unit of work that saves state with its events.

A unit of work reads immediately (outside any transaction: optimistic `version` checks catch
races) and collects its writes; `commit()` applies them, the outgoing events (outbox) and the
consumed event's id (inbox) in one short transaction. So an event is published only if its state
change committed, and a redelivered event finds its id in the inbox and changes nothing.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from chassis.clock import Clock
from chassis.errors import Conflict
from contracts.envelope import Envelope, Event

log = logging.getLogger("crm.store")

Write = Callable[[AsyncClientSession], Awaitable[Any]]


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
        # Commits in one process run one at a time: they are a few writes each, concurrent
        # transactions on the same documents would only abort each other with write conflicts,
        # and the embedded nx-27017 cannot interleave transactions on one database at all.
        self.write_lock = asyncio.Lock()
        self.outbox_pending = asyncio.Event()

    async def ensure_indexes(self) -> None:
        await self.outbox.create_index([("created_at", ASCENDING), ("position", ASCENDING)])

    async def ping(self) -> None:
        await self.db.command("ping")

    async def next_number(self, sequence: str) -> int:
        """The next number of a named sequence, for readable codes. Taken outside any transaction: a gap
        (a refused registration) is harmless, contention on one counter document inside every commit is not."""
        async with self.write_lock:
            counter = await self.db["counters"].find_one_and_update(
                {"_id": sequence}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        return counter["n"]

    async def run_in_transaction(self, writes: list[Write]) -> None:
        try:
            async with self.write_lock, self.client.start_session() as session:
                async with await session.start_transaction():
                    for write in writes:
                        await write(session)
        except PyMongoError as e:
            # Another replica wrote the same document first: the same answer as a stale version.
            if e.has_error_label("TransientTransactionError"):
                raise Conflict(f"a concurrent change won ({e}); reload and retry") from e
            raise


class AlreadyConsumed(Exception):
    """The consumed event's id is in the inbox: a redelivery, nothing to do."""


class UnitOfWork:
    """One use case's changes: staged writes, events to publish, the event consumed (if any)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        source: str,
        consumed: Envelope[Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.source = source
        self.consumed = consumed
        self.correlation_id = correlation_id or (consumed.correlationid or consumed.id if consumed else None)
        self.committed = False
        self._writes: list[Write] = []
        self._events: list[Event] = []

    def now(self) -> datetime:
        return self.clock.now()

    def stage(self, write: Write) -> None:
        """A write applied at commit, inside the transaction (repositories call this)."""
        self._writes.append(write)

    def publish(self, *events: Event) -> None:
        self._events.extend(events)

    async def already_consumed(self) -> bool:
        return self.consumed is not None and await self.database.inbox.find_one({"_id": self.consumed.id}) is not None

    async def commit(self) -> None:
        if self.committed:
            raise RuntimeError("a unit of work commits once")
        now = self.clock.now()
        writes = list(self._writes)
        if self._events:
            outbox = [self._outbox_document(event, now, position) for position, event in enumerate(self._events)]
            writes.append(lambda s: self.database.outbox.insert_many(outbox, session=s))
        if self.consumed is not None:
            received = {"_id": self.consumed.id, "type": self.consumed.type, "at": now}
            writes.append(lambda s: self.database.inbox.insert_one(received, session=s))
        try:
            await self.database.run_in_transaction(writes)
        except DuplicateKeyError as e:
            # Another delivery of the same event committed first: ours must change nothing.
            if await self.already_consumed():
                raise AlreadyConsumed(self.consumed.id) from e  # type: ignore[union-attr]
            raise
        self.committed = True
        if self._events:
            self.database.outbox_pending.set()

    def _outbox_document(self, event: Event, now: datetime, position: int) -> dict[str, Any]:
        envelope = Envelope.wrap(event, source=self.source, time=now, correlation_id=self.correlation_id)
        return {
            "_id": envelope.id,
            "type": event.type,
            "body": envelope.to_json().decode(),
            "created_at": now,
            "position": position,
        }


async def replace_versioned(
    collection: Any, document: dict[str, Any], expected_version: int, session: AsyncClientSession
) -> None:
    """Save a changed aggregate only if nobody saved it since we read `expected_version`."""
    result = await collection.replace_one({"_id": document["_id"], "version": expected_version}, document, session=session)
    if result.matched_count == 0:
        raise Conflict(
            f"{document['_id']} was changed by someone else (expected version {expected_version}); reload and retry",
            expectedVersion=expected_version,
        )
