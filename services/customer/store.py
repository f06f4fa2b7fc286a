"""The customer archive in MongoDB: cards, their revisions, the duplicate keys, the code counter.

Collections (database `crm_customer`):
- `customers`: one document per card, `version` for optimistic saves; `name_key` / `code_key`
  for prefix search and `lifecycle_due_at` for the lifecycle sweep.
- `revisions`: CUS-7, one document per version of a card.
- `dedupe_keys`: CUS-12, `_id` = the key ("credit:…", "name+phone:…"): the unique `_id` settles races.
- `counters`: the sequence behind readable customer codes (C000123).
"""

import base64
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from chassis.errors import Invalid, NotFound, RuleViolation
from chassis.store import Database, UnitOfWork, replace_versioned
from services.customer.domain import (
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
    TradingSurvey,
    Termination,
    search_key,
)

MAX_PAGE = 100


@dataclass(frozen=True)
class CustomerFilter:
    text: str | None = None  # prefix of name or code
    region: str | None = None
    level: CustomerLevel | None = None
    nature: CustomerNature | None = None
    lifecycle: Lifecycle | None = None  # TERMINATED only when asked for: archived cards leave the active list


@dataclass(frozen=True)
class Page:
    customers: list[Customer]
    cursors: list[str]
    end_cursor: str | None
    has_next_page: bool
    total_count: int


class CustomerStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        db = database.db
        self.customers = db["customers"]
        self.revisions = db["revisions"]
        self.dedupe_keys = db["dedupe_keys"]
        self.counters = db["counters"]

    async def ensure_indexes(self) -> None:
        await self.customers.create_index([("code", ASCENDING)], unique=True)
        for name in ("name_key", "code_key", "region", "lifecycle", "nature", "level", "lifecycle_due_at"):
            await self.customers.create_index([(name, ASCENDING)])
        await self.revisions.create_index([("customer_id", ASCENDING), ("version", ASCENDING)], unique=True)
        await self.dedupe_keys.create_index([("customer_id", ASCENDING)])

    # -- reads -------------------------------------------------------------------------------

    async def get(self, customer_id: str) -> Customer:
        doc = await self.customers.find_one({"_id": customer_id})
        if doc is None:
            raise NotFound(f"no customer {customer_id}", id=customer_id)
        return to_customer(doc)

    async def get_many(self, customer_ids: list[str]) -> dict[str, Customer]:
        return {d["_id"]: to_customer(d) async for d in self.customers.find({"_id": {"$in": customer_ids}})}

    async def owner_of_key(self, key: str) -> str | None:
        doc = await self.dedupe_keys.find_one({"_id": key})
        return doc["customer_id"] if doc else None

    async def history(self, customer_id: str) -> list[Revision]:
        cursor = self.revisions.find({"customer_id": customer_id}).sort("version", ASCENDING)
        return [to_revision(d) async for d in cursor]

    async def search(self, where: CustomerFilter, first: int, after: str | None) -> Page:
        """CUS-10: ordered by name then id, so a cursor stays valid while cards are added."""
        if not 1 <= first <= MAX_PAGE:
            raise Invalid("first", f"must be between 1 and {MAX_PAGE}")
        query = _query(where)
        total = await self.customers.count_documents(query)
        if after:
            name_key, last_id = _decode_cursor(after)
            query = {"$and": [query, {"$or": [{"name_key": {"$gt": name_key}},
                                              {"name_key": name_key, "_id": {"$gt": last_id}}]}]}
        cursor = self.customers.find(query).sort([("name_key", ASCENDING), ("_id", ASCENDING)]).limit(first + 1)
        docs = await cursor.to_list(first + 1)
        page = docs[:first]
        cursors = [_encode_cursor(d["name_key"], d["_id"]) for d in page]
        return Page([to_customer(d) for d in page], cursors, cursors[-1] if cursors else after, len(docs) > first,
                    total)

    async def due_for_lifecycle(self, now: datetime, limit: int = 500) -> list[str]:
        cursor = self.customers.find({"lifecycle_due_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cursor]

    # -- writes --------------------------------------------------------------------------------

    async def next_code(self) -> str:
        """A readable, unique code. Taken outside the transaction: a gap is fine, contention is not."""
        async with self._database.write_lock:
            counter = await self.counters.find_one_and_update(
                {"_id": "customer_code"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
            )
        return f"C{counter['n']:06d}"

    def save(self, customer: Customer, uow: UnitOfWork) -> None:
        """Stage the card, its new revisions and its duplicate keys for the unit of work's commit."""
        expected, customer.version = customer.version, customer.version + max(1, len(customer.revisions))
        doc = to_document(customer)
        revisions = [revision_document(r) for r in customer.revisions]
        keys = customer.dedupe_keys()

        async def write(session: AsyncClientSession) -> None:
            if expected == 0:
                await self.customers.insert_one(doc, session=session)
            else:
                await replace_versioned(self.customers, doc, expected, session)
            if revisions:
                await self.revisions.insert_many(revisions, session=session)
            held = {d["_id"] async for d in self.dedupe_keys.find({"customer_id": customer.id}, session=session)}
            for key in held.difference(keys):
                await self.dedupe_keys.delete_one({"_id": key, "customer_id": customer.id}, session=session)
            for key in [k for k in keys if k not in held]:
                try:
                    await self.dedupe_keys.insert_one({"_id": key, "customer_id": customer.id}, session=session)
                except DuplicateKeyError as e:
                    raise duplicate(key, await self.owner_of_key(key)) from e

        customer.revisions = []
        uow.stage(write)


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
    return query


def _encode_cursor(name_key: str, customer_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([name_key, customer_id], ensure_ascii=False).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        name_key, customer_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(name_key), str(customer_id)
    except (ValueError, TypeError) as e:
        raise Invalid("after", "is not a cursor this list handed out") from e


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
        "first_sale_at": c.first_sale_at,
        "last_sale_at": c.last_sale_at,
        "trading_survey": vars(c.trading_survey) if c.trading_survey else None,
        "termination": {**vars(c.termination), "reason": c.termination.reason.value} if c.termination else None,
        "registered_by": c.registered_by,
        "registered_at": c.registered_at,
        "updated_by": c.updated_by,
        "updated_at": c.updated_at,
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
        trading_survey=TradingSurvey(**d["trading_survey"]) if d.get("trading_survey") else None,
        termination=Termination(**{**d["termination"], "reason": EndOfTrading(d["termination"]["reason"])})
        if d.get("termination") else None,
        registered_by=d["registered_by"],
        registered_at=d["registered_at"],
        updated_by=d["updated_by"],
        updated_at=d["updated_at"],
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


class CustomerUnitOfWork(UnitOfWork):
    """A unit of work that knows the archive: `uow.customers.get(...)`, `uow.customers.save(c, uow)`."""

    def __init__(self, store: CustomerStore, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customers = store
