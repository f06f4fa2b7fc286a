"""What a unit of work writes at commit, and how the writes of many units of work go in a few requests.

The common writes are data, not code: a new or changed aggregate checked against the version it was read at
(`SaveVersioned`) and plain inserts (`Insert`: inbox rows, outbox events, logs). A commit that carries many
units of work writes each collection's documents in one request whatever their number. A repository that
needs more (reads inside the transaction, conditional deletes) stages a `Write` of its own, run after them.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from chassis.errors import Conflict

Write = Callable[[AsyncClientSession], Awaitable[Any]]
DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class SaveVersioned:
    """Insert a new aggregate (`expected_version` 0), or replace a changed one only if nobody saved it since
    we read `expected_version` (and, if given, the fields in `read` still hold what we read)."""

    collection: AsyncCollection
    document: dict[str, Any]
    expected_version: int
    read: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Insert:
    collection: AsyncCollection
    documents: list[dict[str, Any]]


Change = SaveVersioned | Insert | Write


async def apply(changes: list[Change], session: AsyncClientSession) -> None:
    """Inside the transaction: per collection, the new aggregates in one insert, the changed ones in one bulk
    replace, the plain inserts in one insert; then the repositories' own writes, in the order staged."""
    added: dict[str, list[SaveVersioned]] = defaultdict(list)
    replaced: dict[str, list[SaveVersioned]] = defaultdict(list)
    inserted: dict[str, list[Insert]] = defaultdict(list)
    own: list[Write] = []
    for change in changes:
        match change:
            case SaveVersioned(collection=c, expected_version=0):
                added[c.full_name].append(change)
            case SaveVersioned(collection=c):
                replaced[c.full_name].append(change)
            case Insert(collection=c, documents=documents) if documents:
                inserted[c.full_name].append(change)
            case Insert():
                pass
            case _:
                own.append(change)
    for saves in added.values():
        await _add(saves, session)
    for saves in replaced.values():
        await _replace(saves, session)
    for inserts in inserted.values():
        await _insert(inserts[0].collection, [d for i in inserts for d in i.documents], session)
    for write in own:
        await write(session)


async def _insert(collection: AsyncCollection, documents: list[dict[str, Any]], session: AsyncClientSession) -> None:
    """`insert_many`, failing on a duplicate `_id` as `insert_one` does (with `DuplicateKeyError`): that is what
    the unit of work takes for a redelivery already applied."""
    try:
        await collection.insert_many(documents, session=session)
    except BulkWriteError as e:
        errors = e.details.get("writeErrors", [])
        if errors and all(error.get("code") == DUPLICATE_KEY for error in errors):
            raise DuplicateKeyError(errors[0].get("errmsg", "duplicate key"), DUPLICATE_KEY, e.details) from e
        raise


async def _add(saves: list[SaveVersioned], session: AsyncClientSession) -> None:
    try:
        await _insert(saves[0].collection, [s.document for s in saves], session)
    except DuplicateKeyError as e:
        raise Conflict(f"{_ids(saves)} was added by someone else meanwhile; reload and retry",
                       expectedVersion=0) from e


async def _replace(saves: list[SaveVersioned], session: AsyncClientSession) -> None:
    requests = [ReplaceOne({"_id": s.document["_id"], "version": s.expected_version, **s.read}, s.document)
                for s in saves]
    result = await saves[0].collection.bulk_write(requests, ordered=True, session=session)
    if result.matched_count == len(saves):
        return
    if len(saves) == 1:
        expected = saves[0].expected_version
        raise Conflict(f"{_ids(saves)} was changed by someone else (expected version {expected}); reload and retry",
                       expectedVersion=expected)
    raise Conflict(f"one of {_ids(saves)} was changed by someone else; reload and retry")


def _ids(saves: list[SaveVersioned]) -> str:
    return ", ".join(str(s.document["_id"]) for s in saves)
