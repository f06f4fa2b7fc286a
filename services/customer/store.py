"""The customer archive in MongoDB: cards, their revisions, the duplicate keys, the code counter.

Collections (database `crm_customer`):
- `customers`: one document per card, `version` for optimistic saves; `name_key` / `code_key`
  for prefix search and `lifecycle_due_at` for the lifecycle sweep.
- `revisions`: CUS-7, one document per version of a card.
- `dedupe_keys`: CUS-12, `_id` = the key ("credit:…", "name+phone:…"): the unique `_id` settles races.
- `search_keys`: CUS-10, one document per prefix of a card's name or code (of the `PREFIX_LENGTHS`
  characters), `_id` = prefix ␟ name key ␟ card id, with the card's fields that filters and need-to-know ask
  about: a text search is an equality on `prefix` read in `order` (by name) from the index on both
  (the embedded store answers an equality on the first field and an order or a range on the second from it; a
  range on `_id` it answers by reading everything), so its cost grows with the page, not with the archive or the
  matches. A longer text is looked up by its first characters, the rest compared in Python. A short prefix has a
  twin per card in its owner's (or the pool's) scope, `_id` and `prefix` beginning with the scope, so that a
  salesperson's search finds their few cards among a tenth of the archive without reading the rest.
- `counters` (chassis `next_number`): the sequence behind readable customer codes (C000123).
- `sales`: CUS-3 / CUS-11, one document per invoice; `overdue`: CUS-3, invoices more than 30 days overdue.

A card carries its owner (CUS-9: `owner_id`, as ownership announced it) with its own `owner_version`:
an announcement never bumps the card's `version` (a person editing at that moment is not refused), and
both kinds of save check both counters, so neither overwrites the other.

CUS-9's access log is in access_store.py, CUS-5 / CUS-6's visit log in visit_store.py; `CustomerStore`
answers for all three.
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError

from chassis.changes import DUPLICATE_KEY
from chassis.clock import add_months
from chassis.directory import StaffDirectory
from chassis.errors import NotFound, RuleViolation
from chassis.pagination import Slice, check_first, cursor_of, page_of, position_of
from chassis.store import Database, UnitOfWork
from services.customer.access_store import AccessLog
from services.customer.domain import (
    STALE_AFTER_MONTHS,
    CompanyCard,
    CompanyType,
    Contact,
    Customer,
    CustomerKind,
    CustomerLevel,
    CustomerNature,
    EndOfTrading,
    FieldChange,
    Lifecycle,
    MarketPosition,
    PersonCard,
    Qualification,
    QualificationKind,
    Revision,
    SurveyDecision,
    SurveyStatus,
    Termination,
    TradingRecord,
    TradingSurvey,
)
from services.customer.identity import search_key
from services.customer.level import Spoil
from services.customer.timeline import Dealing, TimelineEntry
from services.customer.visit_store import VisitRecords
from services.customer.visits import ProspectGrade


@dataclass(frozen=True)
class CustomerFilter:
    text: str | None = None  # prefix of name or code
    region: str | None = None
    level: CustomerLevel | None = None
    nature: CustomerNature | None = None
    lifecycle: Lifecycle | None = None  # TERMINATED only when asked for: archived cards leave the active list
    needs_review: bool | None = None  # CUS-7, as of `now`
    sold_before_trading_open: bool | None = None  # CUS-8
    now: datetime | None = None


class CustomerStore(AccessLog, VisitRecords):
    def __init__(self, database: Database) -> None:
        AccessLog.__init__(self, database)
        VisitRecords.__init__(self, database)
        self._database = database
        db = database.db
        self.customers = db["customers"]
        self.revisions = db["revisions"]
        self.dedupe_keys = db["dedupe_keys"]
        self.search_keys = db["search_keys"]  # CUS-10: prefixes of names and codes (see the module's text)
        self.sales = db["sales"]  # CUS-3 / CUS-11: one document per invoice, `_id` = invoice id
        self.overdue = db["overdue"]  # CUS-3: invoices that went more than 30 days overdue, `_id` = invoice id
        self.directory = StaffDirectory(database)  # CUS-5: whose plan is whose (staff.changed)
        self.timeline = db["timeline"]  # the dealings other services tell of (timeline.py)

    async def ensure_indexes(self) -> None:
        await self.directory.ensure_indexes()
        await self.timeline.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])
        await self.customers.create_index([("code", ASCENDING)], unique=True)
        for name in ("name_key", "code_key", "region", "lifecycle", "nature", "level", "lifecycle_due_at",
                     "review_due_at", "owner_id", "in_pool"):
            await self.customers.create_index([(name, ASCENDING)])
        await self.revisions.create_index([("customer_id", ASCENDING), ("version", ASCENDING)], unique=True)
        await self.dedupe_keys.create_index([("customer_id", ASCENDING)])
        # Both: the pair serves a search (an equality, then `order`); the embedded store takes an equality for one
        # it can answer from an index only when an index is named after that field alone (else it adds a clause
        # for arrays that reads everything), and MongoDB takes the pair.
        await self.search_keys.create_index([("prefix", ASCENDING)])
        await self.search_keys.create_index([("prefix", ASCENDING), ("order", ASCENDING)])
        await self.search_keys.create_index([("customer_id", ASCENDING)])
        await self._index_the_archive()
        await self.ensure_access_indexes()
        await self.ensure_visit_indexes()
        await self.customers.create_index([("registered_by", ASCENDING)])
        await self.customers.create_index([("level_due_at", ASCENDING)])
        await self.sales.create_index([("customer_id", ASCENDING), ("issued_at", ASCENDING)])
        await self.sales.create_index([("issued_at", ASCENDING)])
        await self.overdue.create_index([("customer_id", ASCENDING)])

    # -- reads -------------------------------------------------------------------------------

    async def get(self, customer_id: str) -> Customer:
        doc = await self._database.find_by_id(self.customers, customer_id)
        if doc is None:
            raise NotFound(f"no customer {customer_id}", id=customer_id)
        return to_customer(doc)

    async def get_many(self, customer_ids: list[str]) -> dict[str, Customer]:
        """One query for any number of cards (`_entities`, analyses); none for none (the embedded store reads every
        card for an empty `$in`)."""
        if not customer_ids:
            return {}
        return {d["_id"]: to_customer(d) async for d in self.customers.find({"_id": {"$in": customer_ids}})}

    async def owner_of_key(self, key: str) -> str | None:
        doc = await self._database.find_by_id(self.dedupe_keys, key)
        return doc["customer_id"] if doc else None

    async def told(self, entry: TimelineEntry) -> bool:
        return await self._database.find_by_id(self.timeline, entry.id) is not None

    def tell(self, entry: TimelineEntry, uow: UnitOfWork) -> None:
        uow.insert(self.timeline, [{"_id": entry.id, "customer_id": entry.customer_id, "dealing": entry.dealing.value,
                                    "at": entry.at, "complaint_id": entry.complaint_id, "summary": entry.summary}])

    async def timelines(self, customer_ids: list[str]) -> dict[str, list[TimelineEntry]]:
        """Each customer's dealings, newest first (one query for them all); told in the same instant, a complaint's
        resolution before its filing."""
        found: dict[str, list[TimelineEntry]] = {}
        newest_first = [("customer_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]
        cursor = self.timeline.find({"customer_id": {"$in": customer_ids}}).sort(newest_first)
        async for d in cursor:
            found.setdefault(d["customer_id"], []).append(TimelineEntry(
                d["customer_id"], Dealing(d["dealing"]), d["at"], d["complaint_id"], d["summary"]))
        return found

    async def histories(self, customer_ids: list[str]) -> dict[str, list[Revision]]:
        """CUS-7: each card's versions, oldest first (one query for them all)."""
        found: dict[str, list[Revision]] = {}
        cursor = self.revisions.find({"customer_id": {"$in": customer_ids}}).sort([("customer_id", ASCENDING),
                                                                                ("version", ASCENDING)])
        async for d in cursor:
            found.setdefault(d["customer_id"], []).append(to_revision(d))
        return found

    async def search(self, where: CustomerFilter, listed: list[dict[str, Any]], first: int, after: str | None
                     ) -> tuple[list[Customer], Slice]:
        """CUS-10: the cards one of the `listed` cases covers that match, ordered by name then id, so a cursor stays
        valid while cards are added. A text the search keys hold is looked up there; any other list reads the cards."""
        text = search_key(where.text or "")
        if (by_keys := _key_queries(text, where, listed)) is not None:
            return await self._search_keys(by_keys, text, first, after)
        query = _query(where)
        shown = _either(listed)
        if shown:  # one flat $and: the stand-in loses conditions nested one $and deeper
            query = {"$and": [*query["$and"], shown]} if list(query) == ["$and"] else {"$and": [query, shown]}
        found = await page_of(self.customers, query, by="name_key", first=first, after=after)
        return [to_customer(d) for d in found.documents], found

    async def _search_keys(self, queries: list[dict[str, Any]], text: str, first: int, after: str | None
                           ) -> tuple[list[Customer], Slice]:
        """A page of the keys each query (one per listed case, plain matches that never overlap) finds after the
        cursor, merged in `order` (by name); the count is the cases' counts added up. A text longer than the keys is
        looked up by its longest kept prefix and the rest compared here."""
        check_first(first)
        beyond = position_of(after)[0] if after else None
        rows: dict[str, str] = {}
        for query in queries:
            rows |= {d["order"]: d["customer_id"] async for d in self._matching_keys(query, text, beyond, first + 1)}
        ordered = sorted(rows.items())[:first + 1]
        page = ordered[:first]
        cards = await self.get_many([customer_id for _, customer_id in page])
        found = [(key, cards[customer_id]) for key, customer_id in page if customer_id in cards]
        cursors = [cursor_of(key, card.id) for key, card in found]

        async def count() -> int:
            return sum([await self._count_keys(query, text) for query in queries])

        return [card for _, card in found], Slice([], cursors, cursors[-1] if cursors else after,
                                                  len(ordered) > first, count)

    async def _matching_keys(self, query: dict[str, Any], text: str, beyond: Any, most: int
                             ) -> AsyncIterator[dict[str, Any]]:
        """Up to `most` keys of `query` after `beyond`, in `order`, whose name or code begins with all of `text`."""
        if len(text) in PREFIX_LENGTHS:
            cursor = self.search_keys.find(query | _after(beyond), {"customer_id": 1, "order": 1})
            async for row in cursor.sort("order", ASCENDING).limit(most):
                yield row
            return
        while most:
            batch = await self.search_keys.find(query | _after(beyond)).sort(
                "order", ASCENDING).limit(KEY_BATCH).to_list(KEY_BATCH)
            for row in batch:
                if _begins(row, text):
                    yield row
                    most -= 1
                    if not most:
                        return
            if len(batch) < KEY_BATCH:
                return
            beyond = batch[-1]["order"]

    async def _count_keys(self, query: dict[str, Any], text: str) -> int:
        """A few hundred matches are counted by reading them from the index; more by `$match` + `$count`, which
        the embedded store answers from the index too, at a cost that grows with the collection
        (`count_documents`, a `$group`, reads all of it there). The same counts on MongoDB."""
        if len(text) not in PREFIX_LENGTHS:  # compared here: every key of the shorter prefix read
            return len([row async for row in self._matching_keys(query, text, None, -1)])
        ids = await self.search_keys.find(query, {"_id": 1}).limit(COUNT_BY_READING + 1).to_list(None)
        if len(ids) <= COUNT_BY_READING:
            return len(ids)
        found = await (await self.search_keys.aggregate([{"$match": query}, {"$count": "n"}])).to_list(1)
        return found[0]["n"] if found else 0

    async def _index_the_archive(self) -> None:
        """Search keys for the cards saved before they were kept (an upgrade), once per version of the keys: keys
        of an older version are dropped first (searches miss cards until this is done); cards that have keys of
        this version keep theirs (a save since wrote them)."""
        counters = self._database.db["counters"]
        built = (await counters.find_one({"_id": "search_keys"}) or {}).get("version")
        if built == SEARCH_KEYS_VERSION:
            return
        if built is not None:
            async with self._database.alone():
                await self.search_keys.delete_many({})
        batch: list[dict[str, Any]] = []
        async for card in self.customers.find({}):
            batch.append(card)
            if len(batch) == 500:
                await self._index_cards(batch)
                batch = []
        await self._index_cards(batch)
        await counters.update_one({"_id": "search_keys"}, {"$set": {"version": SEARCH_KEYS_VERSION}}, upsert=True)

    async def _index_cards(self, cards: list[dict[str, Any]]) -> None:
        ids = [c["_id"] for c in cards]
        indexed = {d["customer_id"] async for d in self.search_keys.find({"customer_id": {"$in": ids}},
                                                                          {"customer_id": 1})}
        keys = [k for c in cards if c["_id"] not in indexed for k in search_key_documents(c)]
        if keys:
            async with self._database.alone():
                try:
                    await self.search_keys.insert_many(keys, ordered=False)
                except BulkWriteError as e:  # another replica starting at the same time wrote them first
                    if any(error.get("code") != DUPLICATE_KEY for error in e.details.get("writeErrors", ())):
                        raise

    async def due_for_lifecycle(self, now: datetime, limit: int = 500) -> list[str]:
        cursor = self.customers.find({"lifecycle_due_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cursor]

    # -- CUS-3: the trading record behind the level --------------------------------------------

    def record_sale(self, sale: dict[str, Any], uow: UnitOfWork) -> None:
        """Stage one invoice (idempotent by invoice id: ERP may resend it under another event id)."""
        async def write(session: AsyncClientSession) -> None:
            if await self.sales.find_one({"_id": sale["_id"]}, session=session) is None:
                await self.sales.insert_one(sale, session=session)

        uow.stage(write)

    async def paid_at(self, invoice_id: str) -> datetime | None:
        """When a spoiled invoice is known to have been paid."""
        known = await self.overdue.find_one({"_id": invoice_id}, {"paid_at": 1})
        return (known or {}).get("paid_at")

    def record_spoiled_payment(self, invoice_id: str, customer_id: str, spoil: Spoil, days_overdue: int,
                               uow: UnitOfWork) -> None:
        doc = {"_id": invoice_id, "customer_id": customer_id, "spoiled_at": spoil[0], "paid_at": spoil[1],
               "days_overdue": days_overdue}

        async def write(session: AsyncClientSession) -> None:
            await self.overdue.replace_one({"_id": invoice_id}, doc, upsert=True, session=session)

        uow.stage(write)

    async def trading_record(self, customer_id: str, since: datetime, *, deciding: dict[str, Spoil] | None = None
                             ) -> TradingRecord:
        """`deciding`: spoils this unit of work is writing, by invoice, in place of what is stored."""
        sales = [(d["issued_at"], d["amount_fen"]) async for d in
                 self.sales.find({"customer_id": customer_id, "issued_at": {"$gt": since}})]
        spoiled = {d["_id"]: (d["spoiled_at"], d.get("paid_at"))
                   async for d in self.overdue.find({"customer_id": customer_id})} | (deciding or {})
        return TradingRecord(tuple(sales), tuple(spoiled.values()))

    async def known_sales(self, customer_id: str, invoice_ids: list[str]) -> set[str]:
        return {d["_id"] async for d in self.sales.find({"_id": {"$in": invoice_ids}, "customer_id": customer_id},
                                                        {"_id": 1})}

    async def sales_totals(self, start: datetime, end: datetime) -> list[tuple[str, str | None, int]]:
        """CUS-11: (customer id, product line, amount in fen) of the invoices issued in (start, end]."""
        totals: dict[tuple[str, str | None], int] = {}
        cursor = self.sales.find({"issued_at": {"$gt": start, "$lte": end}},
                                 {"customer_id": 1, "product_line": 1, "amount_fen": 1})
        async for d in cursor:  # summed here: the Mongo stand-in cannot $group by a compound key
            key = (d["customer_id"], d.get("product_line"))
            totals[key] = totals.get(key, 0) + d["amount_fen"]
        return [(c, p, fen) for (c, p), fen in totals.items()]

    async def due_for_level(self, now: datetime, limit: int = 500) -> list[str]:
        cursor = self.customers.find({"level_due_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cursor]

    # -- CUS-5: the customers a visit plan covers ---------------------------------------------

    async def owners(self) -> list[str]:
        """Everyone who owns an active customer."""
        grouped = await self.customers.aggregate([
            {"$match": {"owner_id": {"$ne": None}, "lifecycle": {"$ne": Lifecycle.TERMINATED.value}}},
            {"$group": {"_id": "$owner_id"}}])
        return sorted([d["_id"] async for d in grouped])

    async def owned_customers(self, user_ids: list[str]) -> list[Customer]:
        """CUS-9's owner: announced to one of `user_ids`, or registered by them and not announced to anyone yet."""
        query = {"owner_id": {"$in": user_ids}, "lifecycle": {"$ne": Lifecycle.TERMINATED.value}}
        return [to_customer(d) async for d in self.customers.find(query).sort("_id", ASCENDING)]

    async def active_customers(self, *, region: str | None = None, levels: list[str] | None = None,
                               limit: int = 5000) -> list[Customer]:
        query: dict[str, Any] = {"lifecycle": {"$ne": Lifecycle.TERMINATED.value}}
        if region is not None:
            query["region"] = region
        if levels is not None:
            query["level"] = {"$in": levels}
        return [to_customer(d) async for d in self.customers.find(query).limit(limit)]

    # -- writes --------------------------------------------------------------------------------

    async def next_code(self) -> str:
        return f"C{await self._database.next_number('customer_code'):06d}"

    def save(self, customer: Customer, uow: UnitOfWork) -> None:
        """Stage the card, its new revisions and its duplicate keys for the unit of work's commit; its events
        go out with it."""
        expected, customer.version = customer.version, customer.version + max(1, len(customer.revisions))
        doc = to_document(customer)
        revisions = [revision_document(r) for r in customer.revisions]
        keys = customer.dedupe_keys()
        owner_read = {"owner_version": customer.owner_version}

        async def write_keys(session: AsyncClientSession) -> None:
            held = set() if expected == 0 else {
                d["_id"] async for d in self.dedupe_keys.find({"customer_id": customer.id}, session=session)}
            for key in held.difference(keys):
                await self.dedupe_keys.delete_one({"_id": key, "customer_id": customer.id}, session=session)
            added = [k for k in keys if k not in held]
            try:
                if added:
                    await self.dedupe_keys.insert_many([{"_id": k, "customer_id": customer.id} for k in added],
                                                       session=session)
            except BulkWriteError as e:
                key = added[e.details["writeErrors"][0]["index"]]  # ordered: the first duplicate stopped it
                raise duplicate(key, await self.owner_of_key(key)) from e

        customer.revisions = []
        self._rewrite_search_keys(customer, doc, uow, new=expected == 0)
        uow.save_versioned(self.customers, doc, expected, read=owner_read)
        uow.insert(self.revisions, revisions)
        uow.stage(write_keys)
        uow.track(customer)

    def save_owner(self, customer: Customer, uow: UnitOfWork) -> None:
        """Stage an owner announcement: the card's own version stays, its owner's moves on."""
        expected, customer.owner_version = customer.owner_version, customer.owner_version + 1
        doc = to_document(customer)
        owner_read = {"owner_version": expected}
        self._rewrite_search_keys(customer, doc, uow)
        uow.save_versioned(self.customers, doc, customer.version, read=owner_read)

    def _rewrite_search_keys(self, customer: Customer, card: dict[str, Any], uow: UnitOfWork, *,
                             new: bool = False) -> None:
        """The card's search keys written again when a field they repeat changed (a sale that changes none of
        them, most of them, writes none); the card remembers what they were written from."""
        signature = search_signature(card)
        if signature == customer.indexed_as:
            return
        customer.indexed_as = card["indexed_as"] = signature
        if new:  # nothing to replace: its keys go with the other new cards' in one insert
            uow.insert(self.search_keys, search_key_documents(card))
            return

        async def write(session: AsyncClientSession) -> None:
            # Found by the indexed field, deleted by `_id`: the embedded store deletes by any other field by reading
            # the whole collection (27 ms at 60,000 keys, 0.5 ms by `_id`).
            written = [d["_id"] async for d in self.search_keys.find({"customer_id": card["_id"]}, {"_id": 1},
                                                                      session=session)]
            if written:
                await self.search_keys.delete_many({"_id": {"$in": written}}, session=session)
            await self.search_keys.insert_many(search_key_documents(card), session=session)

        uow.stage(write)


# The prefix lengths kept (each a key document to write): a text of another length is looked up by the longest
# kept prefix shorter than it, and the rest compared in Python (few keys share a 4-character prefix).
PREFIX_LENGTHS = (1, 2, 3, 4, 6, 8, 12)
# A short prefix is shared by a tenth of the archive or more (every code begins "C0"): a salesperson's few cards
# among them would be found by reading all of them. Up to this length, a card's owned (or pooled) keys have a
# twin whose prefix names the owner (or the pool), and the salesperson's cases look those up.
SCOPED_UP_TO = 3
KEY_BATCH = 200  # keys read at once when the rest of a longer text is compared here
COUNT_BY_READING = 500  # matches counted by reading their ids; beyond, the store counts them
SEARCH_KEYS_VERSION = 4  # one more when what a key holds changes: every card's keys are written again
# What a search key repeats of its card: what `_key_queries` asks about (filters, need-to-know), and the name.
SEARCH_KEY_FIELDS = ("name_key", "code_key", "region", "nature", "owner_id", "in_pool")


def search_key_documents(card: dict[str, Any]) -> list[dict[str, Any]]:
    """One document per prefix of the card's name and code (the same prefix of both is one), and a twin in its
    owner's (or the pool's) scope for each short one. `order` sorts a prefix's keys by name, the same in every
    scope."""
    shared = {name: card.get(name) for name in SEARCH_KEY_FIELDS} | {"archived": _archived(card)}
    prefixes = {key[:n] for key in (card["name_key"], card["code_key"])
                for n in PREFIX_LENGTHS if n <= len(key)}
    scope = _scope(card)
    keys = []
    for prefix in sorted(prefixes):
        order = f"{prefix}\x1f{card['name_key']}\x1f{card['_id']}"
        keys.append({"_id": order, "order": order, "prefix": prefix, "customer_id": card["_id"], **shared})
        if scope is not None and len(prefix) <= SCOPED_UP_TO:
            keys.append({"_id": f"{scope}\x1e{order}", "order": order, "prefix": f"{scope}\x1e{prefix}",
                         "customer_id": card["_id"], **shared})
    return keys


def _scope(case: dict[str, Any]) -> str | None:
    """The scope of a card's twins, or of a salesperson's listed case: an owner's, or the pool's."""
    if case.get("in_pool"):
        return "pool"
    return f"owner:{case['owner_id']}" if case.get("owner_id") else None


def _after(key: str | None) -> dict[str, Any]:
    """Keys beyond a cursor, by `order`: the embedded store reads every document for a range on `_id`."""
    return {"order": {"$gt": key}} if key else {}


def search_signature(card: dict[str, Any]) -> str:
    """What a card's search keys are written from: when it changes, so must they."""
    return "\x1f".join(str(value) for value in (card["_id"], *(card.get(n) for n in SEARCH_KEY_FIELDS),
                                                 _archived(card)))


def _archived(card: dict[str, Any]) -> bool:
    return card.get("lifecycle") == Lifecycle.TERMINATED.value


def _begins(key: dict[str, Any], text: str) -> bool:
    return key["name_key"].startswith(text) or (key.get("code_key") or "").startswith(text)


def _key_queries(text: str, where: CustomerFilter, listed: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The search keys' queries for this search, one per listed case; None: the keys cannot answer it (no text,
    or a filter they do not hold). Plain equalities only: the embedded store uses an index only for a query of
    plain conditions, and misreads `$or` beside another condition."""
    if not text or any(value is not None for value in (where.lifecycle, where.level, where.needs_review,
                                                       where.sold_before_trading_open)):
        return None  # what a sale or time changes is not repeated on the keys (they would be written again each time)
    base: dict[str, Any] = {"archived": False}
    base |= {name: str(value) for name in ("region", "nature") if (value := getattr(where, name)) is not None}
    prefix = text[:max(n for n in PREFIX_LENGTHS if n <= len(text))]
    queries = []
    for case in listed:
        if any(name in base and base[name] != value for name, value in case.items()):
            continue  # the filter asks for what this case never shows
        scope = _scope(case) if len(prefix) <= SCOPED_UP_TO else None
        queries.append(base | case | {"prefix": prefix if scope is None else f"{scope}\x1e{prefix}"})
    return queries


def _either(listed: list[dict[str, Any]]) -> dict[str, Any]:
    """The listed cases as one condition on the cards ({}: everything)."""
    if not listed:
        return {"_id": {"$in": []}}
    return listed[0] if len(listed) == 1 else {"$or": listed}


def duplicate(key: str, existing_id: str | None) -> RuleViolation:
    what = "unified social credit code" if key.startswith("credit:") else "name and phone"
    return RuleViolation("CUS-12", f"a customer with the same {what} is already registered: {existing_id}",
                         existingCustomerId=existing_id)


def _query(where: CustomerFilter) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if where.text and where.text.strip():
        prefix = "^" + re.escape(search_key(where.text))
        query["$or"] = [{"name_key": {"$regex": prefix}}, {"code_key": {"$regex": prefix}}]
    for name in ("region", "level", "nature"):
        if (value := getattr(where, name)) is not None:
            query[name] = str(value)
    query["lifecycle"] = str(where.lifecycle) if where.lifecycle else {"$ne": Lifecycle.TERMINATED.value}
    if where.sold_before_trading_open is not None:
        query["sold_before_trading_open_at"] = {"$nin" if where.sold_before_trading_open else "$in": [None]}
    if where.needs_review is not None:
        if where.now is None:
            raise ValueError("a needsReview filter needs `now`")
        stale = {"$or": [{"review_due_at": {"$lte": where.now}},
                         # cards saved before `review_due_at` was stored: the same rule from `updated_at`
                         {"review_due_at": {"$exists": False}, "termination": None,
                          "updated_at": {"$lte": add_months(where.now, -STALE_AFTER_MONTHS)}}]}
        fresh = {"$or": [{"review_due_at": {"$gt": where.now}}, {"termination": {"$ne": None}},
                         {"review_due_at": {"$exists": False},
                          "updated_at": {"$gt": add_months(where.now, -STALE_AFTER_MONTHS)}}]}
        query = {"$and": [query, stale if where.needs_review else fresh]}
    return query


# -- documents <-> domain ------------------------------------------------------------------------
# Dates (without time) are ISO strings: BSON has only datetimes.


def to_document(c: Customer) -> dict[str, Any]:
    return {
        "_id": c.id,
        "code": c.code,
        "code_key": search_key(c.code),
        "name": c.name,
        "name_key": search_key(c.name),
        "kind": c.kind.value,
        "nature": c.nature.value,
        "region": c.region,
        "phone": c.phone,
        "address": c.address,
        "credit_code": c.credit_code,
        "market_position": c.market_position.value if c.market_position else None,
        "contacts": [vars(x) for x in c.contacts],
        "company": _company_doc(c.company) if c.company else None,
        "person": vars(c.person) if c.person else None,
        "level": c.level.value if c.level else None,
        "lifecycle": c.lifecycle.value,
        "lifecycle_due_at": c.lifecycle_due_at(),
        "review_due_at": c.review_due_at(),
        "first_sale_at": c.first_sale_at,
        "last_sale_at": c.last_sale_at,
        "sold_before_trading_open_at": c.sold_before_trading_open_at,
        "trading_survey": _survey_document(c.trading_survey) if c.trading_survey else None,
        "termination": {**vars(c.termination), "reason": c.termination.reason.value} if c.termination else None,
        "level_due_at": c.level_due_at,
        "prospect_grade": c.prospect_grade.value if c.prospect_grade else None,
        "prospect_graded_at": c.prospect_graded_at,
        "registered_by": c.registered_by,
        "registered_at": c.registered_at,
        "updated_by": c.updated_by,
        "updated_at": c.updated_at,
        "owner_id": c.owner_id,
        "in_pool": c.in_pool,  # derived, for lists (CUS-9: a salesperson's show their own and the pool)
        "owner_announced_at": c.owner_announced_at,
        "owner_version": c.owner_version,
        "indexed_as": c.indexed_as,
        "version": c.version,
    }


def to_customer(d: dict[str, Any]) -> Customer:
    return Customer(
        id=d["_id"],
        code=d["code"],
        name=d["name"],
        kind=CustomerKind(d["kind"]),
        nature=CustomerNature(d["nature"]),
        region=d.get("region"),
        phone=d.get("phone"),
        address=d.get("address"),
        credit_code=d.get("credit_code"),
        market_position=MarketPosition(d["market_position"]) if d.get("market_position") else None,
        contacts=tuple(Contact(**x) for x in d.get("contacts") or []),
        company=_company(d["company"]) if d.get("company") else None,
        person=PersonCard(**d["person"]) if d.get("person") else None,
        level=CustomerLevel(d["level"]) if d.get("level") else None,
        lifecycle=Lifecycle(d["lifecycle"]),
        first_sale_at=d.get("first_sale_at"),
        last_sale_at=d.get("last_sale_at"),
        sold_before_trading_open_at=d.get("sold_before_trading_open_at"),
        trading_survey=_survey(d["trading_survey"]) if d.get("trading_survey") else None,
        termination=Termination(**{**d["termination"], "reason": EndOfTrading(d["termination"]["reason"])})
        if d.get("termination") else None,
        prospect_grade=ProspectGrade(d["prospect_grade"]) if d.get("prospect_grade") else None,
        prospect_graded_at=d.get("prospect_graded_at"),
        level_due_at=d.get("level_due_at"),
        registered_by=d["registered_by"],
        registered_at=d["registered_at"],
        updated_by=d["updated_by"],
        updated_at=d["updated_at"],
        owner_id=d.get("owner_id", d["registered_by"]),
        owner_announced_at=d.get("owner_announced_at"),
        owner_version=d.get("owner_version", 0),
        indexed_as=d.get("indexed_as"),
        version=d["version"],
    )


def _company_doc(card: CompanyCard) -> dict[str, Any]:
    doc = vars(card) | {
        "company_type": card.company_type.value if card.company_type else None,
        "founded_on": _iso(card.founded_on),
        "relationship_since": _iso(card.relationship_since),
        "qualifications": [
            {"kind": q.kind.value, "number": q.number, "expires_on": _iso(q.expires_on)} for q in card.qualifications
        ],
    }
    return doc


def _company(doc: dict[str, Any]) -> CompanyCard:
    return CompanyCard(**doc | {
        "company_type": CompanyType(doc["company_type"]) if doc.get("company_type") else None,
        "founded_on": _date(doc.get("founded_on")),
        "relationship_since": _date(doc.get("relationship_since")),
        "qualifications": tuple(
            Qualification(QualificationKind(q["kind"]), q["number"], _date(q.get("expires_on")))
            for q in doc.get("qualifications") or []
        ),
    })


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def revision_document(r: Revision) -> dict[str, Any]:
    return {
        "_id": f"{r.customer_id}:{r.version:09d}",
        "customer_id": r.customer_id,
        "version": r.version,
        "action": r.action,
        "by": r.by,
        "at": r.at,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in r.changes],
    }


def to_revision(d: dict[str, Any]) -> Revision:
    changes = tuple(FieldChange(c["field"], c.get("old"), c.get("new")) for c in d["changes"])
    return Revision(d["customer_id"], d["version"], d["action"], d["by"], d["at"], changes)


def _survey_document(survey: TradingSurvey) -> dict[str, Any]:
    return vars(survey) | {"status": survey.status.value, "decisions": [vars(d) for d in survey.decisions]}


def _survey(d: dict[str, Any]) -> TradingSurvey:
    return TradingSurvey(d["summary"], d["written_by"], d["written_at"], SurveyStatus(d["status"]),
                         tuple(SurveyDecision(**x) for x in d["decisions"]))
