"""Keyset pagination with opaque cursors: a page stays right while items are added before or after it.

Items are ordered by one field, then `_id`; a cursor holds both values of the last item handed out.
"""

import base64
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from chassis.errors import Invalid

MAX_PAGE = 100


@dataclass(frozen=True)
class Slice:
    documents: list[dict[str, Any]]
    cursors: list[str]  # one per document
    end_cursor: str | None
    has_next_page: bool
    count: Callable[[], Awaitable[int]]  # how many match in all: asked only when a client wants it


async def page_of(collection: Any, query: dict[str, Any], *, by: str, first: int, after: str | None,
                  descending: bool = False) -> Slice:
    """Up to `first` documents matching `query` after the cursor `after`, ordered by `by` then `_id`."""
    check_first(first)
    count = functools.partial(collection.count_documents, query)
    if after:
        value, last_id = position_of(after)
        beyond = "$lt" if descending else "$gt"
        query = {"$and": [query, {"$or": [{by: {beyond: value}}, {by: value, "_id": {beyond: last_id}}]}]}
    direction = DESCENDING if descending else ASCENDING
    documents = await collection.find(query).sort([(by, direction), ("_id", direction)]).limit(first + 1) \
        .to_list(first + 1)
    page = documents[:first]
    cursors = [cursor_of(d[by], d["_id"]) for d in page]
    return Slice(page, cursors, cursors[-1] if cursors else after, len(documents) > first, count)


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise Invalid("first", f"must be between 1 and {MAX_PAGE}")


def cursor_of(value: str | datetime, item_id: str) -> str:
    """The opaque cursor of an item at `value` of the field a list is ordered by."""
    shown = ["t", value.isoformat()] if isinstance(value, datetime) else ["s", value]
    return base64.urlsafe_b64encode(json.dumps([*shown, item_id], ensure_ascii=False).encode()).decode()


def position_of(cursor: str) -> tuple[str | datetime, str]:
    """What `cursor_of` encoded; VALIDATION `after` for anything else."""
    try:
        kind, value, item_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return (datetime.fromisoformat(value) if kind == "t" else str(value)), str(item_id)
    except (ValueError, TypeError) as e:
        raise Invalid("after", "is not a cursor this list handed out") from e
