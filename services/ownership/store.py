"""Ownership in MongoDB: one document per customer, the salespeople, missing reports, handover cases.

Collections (database `crm_ownership`):
- `ownerships`: `_id` = customer id, `version` for optimistic saves (a claim race is many versioned
  saves of one document: exactly one wins). History is kept inside (OWN-10). `available_at` (when it
  is or will be in the pool) orders the pool and `expires_at` drives the lapse sweep.
- `salespeople`: region, capacity weight, active (OWN-9).
- `missing_reports`: OWN-6, one per automatic return without a report; `_id` = customer + instant.
- `cases`: OWN-7 / OWN-8 handovers and transfers; `open_cases`: `_id` = what may have one open case
  at a time ("handover:<salesperson>", "transfer:<customer>"): the unique `_id` settles races.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from chassis.auth import Role
from chassis.clock import business_date
from chassis.directory import Department
from chassis.errors import Conflict, NotFound
from chassis.pagination import Slice, page_of
from chassis.store import Database, UnitOfWork
from services.ownership.domain import (
    Absence,
    Basis,
    Change,
    Load,
    Ownership,
    PoolReason,
    PoolRules,
    Protection,
    RecallPeriods,
    Report,
    Salesperson,
    refuse_over_cap,
    refuse_over_daily_claims,
)
from services.ownership.handover import CaseKind, CaseReason, CaseStatus, HandoverCase, Item
from services.ownership.staff import StaffMember


@dataclass(frozen=True)
class PoolFilter:
    region: str | None = None
    reason: PoolReason | None = None
    pool: str | None = None


@dataclass(frozen=True)
class MissingReport:
    """OWN-6: a customer went back automatically and its owner had filed no report."""

    customer_id: str
    salesperson_id: str
    lapsed_at: datetime
    reason: PoolReason


class OwnershipStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        db = database.db
        self.ownerships = db["ownerships"]
        self.salespeople = db["salespeople"]
        self.missing_reports = db["missing_reports"]
        self.cases = db["cases"]
        self.open_cases = db["open_cases"]
        self.receivables = db["receivables"]  # OWN-7/8: credit's figure per customer (credit.receivables_changed)
        self.staff = db["staff"]  # the staff directory (staff.py): ownership keeps it
        self.claims = db["claims"]  # one document per pool claim: the daily limit counts them

    async def ensure_indexes(self) -> None:
        for name in ("owner_id", "expires_at", "available_at", "region", "protected_by", "listed_pool"):
            await self.ownerships.create_index([(name, ASCENDING)])
        await self.salespeople.create_index([("region", ASCENDING)])
        await self.claims.create_index([("salesperson_id", ASCENDING), ("day", ASCENDING)])
        await self.missing_reports.create_index([("salesperson_id", ASCENDING)])
        await self.cases.create_index([("salesperson_id", ASCENDING), ("status", ASCENDING)])

    # -- ownership ------------------------------------------------------------------------------

    async def get(self, customer_id: str) -> Ownership:
        found = await self.find(customer_id)
        if found is None:
            raise NotFound(f"no customer {customer_id} (ownership has not heard of its registration)",
                           id=customer_id)
        return found

    async def find(self, customer_id: str) -> Ownership | None:
        doc = await self._database.find_by_id(self.ownerships, customer_id)
        return to_ownership(doc) if doc else None

    async def get_many(self, customer_ids: list[str]) -> dict[str, Ownership]:
        """One query for any number of customers (`_entities`, a handover's customers)."""
        return {d["_id"]: to_ownership(d) async for d in self.ownerships.find({"_id": {"$in": customer_ids}})}

    async def pool(self, where: PoolFilter, first: int, after: str | None, now: datetime
                   ) -> tuple[list[Ownership], Slice]:
        """OWN-5: pool customers, longest in the pool first; a claim that ran out counts from its expiry."""
        query: dict[str, Any] = {"terminated": False, "available_at": {"$lte": now}}
        if where.region is not None:
            query["region"] = where.region
        if where.reason is not None:
            query["listed_reason"] = where.reason.value
        if where.pool is not None:
            query["listed_pool"] = where.pool
        found = await page_of(self.ownerships, query, by="available_at", first=first, after=after)
        return [to_ownership(d) for d in found.documents], found

    async def due_for_recall_warning(self, now: datetime, rules: PoolRules, limit: int = 500) -> list[str]:
        """Claims running out within the warning period whose owner was not warned of that expiry yet."""
        soon = {"expires_at": {"$gt": now, "$lte": now + timedelta(days=rules.recall_warning_days)}}
        cursor = self.ownerships.find(soon, {"_id": 1, "expires_at": 1, "warned_for": 1}).sort("expires_at", 1)
        return [d["_id"] async for d in cursor.limit(limit) if d.get("warned_for") != d["expires_at"]]

    async def due_for_lapse(self, now: datetime, limit: int = 500) -> list[str]:
        cursor = self.ownerships.find({"expires_at": {"$lte": now}}, {"_id": 1}).sort("expires_at", 1).limit(limit)
        return [d["_id"] async for d in cursor]

    async def owned_by(self, salesperson_id: str) -> list[str]:
        cursor = self.ownerships.find({"owner_id": salesperson_id, "terminated": False}, {"_id": 1}).sort("_id", 1)
        return [d["_id"] async for d in cursor]

    async def load_of(self, salesperson_id: str) -> Load:
        owned = {"owner_id": salesperson_id, "terminated": False}
        count = await self.ownerships.count_documents(owned)
        first = await self.ownerships.find(owned, {"expires_at": 1}).sort("expires_at", 1).limit(1).to_list(1)
        return Load(count, first[0].get("expires_at") if first else None)

    async def owned_by_each(self, salesperson_ids: list[str]) -> dict[str, list[str]]:
        """The customers each of these salespeople owns (one query for them all)."""
        found: dict[str, list[str]] = {}
        query = {"owner_id": {"$in": salesperson_ids}, "terminated": False}
        async for d in self.ownerships.find(query, {"_id": 1, "owner_id": 1}).sort("_id", 1):
            found.setdefault(d["owner_id"], []).append(d["_id"])
        return found

    async def loads(self, salesperson_ids: list[str]) -> dict[str, int]:
        pipeline = [{"$match": {"owner_id": {"$in": salesperson_ids}, "terminated": False}},
                    {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}}]
        return {d["_id"]: d["n"] async for d in await self.ownerships.aggregate(pipeline)}

    def save(self, ownership: Ownership, uow: UnitOfWork) -> None:
        """Stage the ownership for the unit of work's commit: insert at version 0, else a versioned replace."""
        expected, ownership.version = ownership.version, ownership.version + 1
        doc = to_document(ownership)

        uow.save_versioned(self.ownerships, doc, expected)
        uow.track(ownership)

    def refuse_over_cap_at_commit(self, salesperson_id: str, incoming: int, rules: PoolRules,
                                  uow: UnitOfWork) -> None:
        """OWN-5 again inside the transaction, after the saves: concurrent gains cannot pass the cap together."""

        async def check(session: AsyncClientSession) -> None:
            owned = await self.ownerships.count_documents({"owner_id": salesperson_id, "terminated": False},
                                                          session=session)
            refuse_over_cap(salesperson_id, Load(owned - incoming), rules, incoming)

        uow.stage(check)

    def record_claim(self, salesperson_id: str, customer_id: str, now: datetime, rules: PoolRules,
                     uow: UnitOfWork) -> None:
        """A pool claim, counted against the claimant's daily limit again inside the transaction: concurrent
        claims by one person cannot pass it together."""
        day = business_date(now).isoformat()
        uow.insert(self.claims, [{"_id": uuid.uuid4().hex, "salesperson_id": salesperson_id, "day": day,
                                  "customer_id": customer_id, "at": now}])

        async def check(session: AsyncClientSession) -> None:
            claimed = await self.claims.count_documents({"salesperson_id": salesperson_id, "day": day},
                                                        session=session)
            refuse_over_daily_claims(salesperson_id, claimed - 1, rules)

        uow.stage(check)

    async def protected_by(self, salesperson_id: str) -> list[Ownership]:
        """The customers this salesperson keeps out of automatic recall."""
        found = self.ownerships.find({"protected_by": salesperson_id}).sort("_id", ASCENDING)
        return [to_ownership(d) async for d in found]

    async def claimed_on(self, salesperson_id: str, now: datetime) -> int:
        return await self.claims.count_documents({"salesperson_id": salesperson_id,
                                                  "day": business_date(now).isoformat()})

    # -- OWN-6: missing reports -------------------------------------------------------------------

    async def receivables_seq(self, customer_id: str) -> int | None:
        """How many of credit's figures for this customer were kept (None: none yet)."""
        known = await self.receivables.find_one({"_id": customer_id}, {"version": 1})
        return known["version"] if known else None

    def record_receivables(self, customer_id: str, receivables_fen: int, seq: int, known_seq: int | None,
                           uow: UnitOfWork) -> None:
        """Credit's figure number `seq` (kept as the record's version), in place of the one read."""
        doc = {"_id": customer_id, "receivables_fen": receivables_fen, "version": seq}
        uow.save_versioned(self.receivables, doc, known_seq or 0)

    async def receivables_of(self, customer_ids: list[str]) -> dict[str, int]:
        """What credit says each customer owes; one credit never told of owes nothing."""
        found = {d["_id"]: d["receivables_fen"] async for d in self.receivables.find({"_id": {"$in": customer_ids}})}
        return {c: found.get(c, 0) for c in customer_ids}

    def flag_missing_report(self, customer_id: str, change: Change, uow: UnitOfWork) -> None:
        doc = {"_id": f"{customer_id}:{change.at.isoformat()}", "customer_id": customer_id,
               "salesperson_id": change.from_owner, "lapsed_at": change.at,
               "reason": change.reason.value if change.reason else None}
        uow.insert(self.missing_reports, [doc])

    async def missing_reports_of(self, salesperson_id: str) -> list[MissingReport]:
        cursor = self.missing_reports.find({"salesperson_id": salesperson_id}).sort("lapsed_at", 1)
        return [MissingReport(d["customer_id"], d["salesperson_id"], d["lapsed_at"], PoolReason(d["reason"]))
                async for d in cursor]

    async def missing_report(self, customer_id: str, salesperson_id: str) -> MissingReport | None:
        found = [m for m in await self.missing_reports_of(salesperson_id) if m.customer_id == customer_id]
        return found[-1] if found else None

    def clear_missing_report(self, missing: MissingReport, uow: UnitOfWork) -> None:
        key = f"{missing.customer_id}:{missing.lapsed_at.isoformat()}"

        async def delete(session: AsyncClientSession) -> None:
            if (await self.missing_reports.delete_one({"_id": key}, session=session)).deleted_count == 0:
                raise Conflict(f"the missing report of {missing.customer_id} was filed meanwhile")

        uow.stage(delete)

    # -- salespeople ------------------------------------------------------------------------------

    async def salesperson(self, salesperson_id: str) -> Salesperson:
        found = await self.find_salesperson(salesperson_id)
        if found is None:
            raise NotFound(f"no salesperson {salesperson_id}: an admin or the regional manager adds them first",
                           id=salesperson_id)
        return found

    async def find_salesperson(self, salesperson_id: str) -> Salesperson | None:
        doc = await self._database.find_by_id(self.salespeople, salesperson_id)
        return to_salesperson(doc) if doc else None

    async def salespeople_by_id(self, salesperson_ids: list[str]) -> dict[str, Salesperson]:
        return {d["_id"]: to_salesperson(d) async for d in self.salespeople.find({"_id": {"$in": salesperson_ids}})}

    async def salespeople_in(self, region: str | None) -> list[Salesperson]:
        query = {} if region is None else {"region": region}
        return [to_salesperson(d) async for d in self.salespeople.find(query).sort([("name", 1), ("_id", 1)])]

    def save_salesperson(self, salesperson: Salesperson, uow: UnitOfWork) -> None:
        expected, salesperson.version = salesperson.version, salesperson.version + 1
        doc = {"_id": salesperson.id, "name": salesperson.name, "region": salesperson.region,
               "capacity_weight": salesperson.capacity_weight, "active": salesperson.active,
               "absences": [vars(a) for a in salesperson.absences], "version": salesperson.version}

        uow.save_versioned(self.salespeople, doc, expected)

    async def find_staff_member(self, user_id: str) -> StaffMember | None:
        d = await self._database.find_by_id(self.staff, user_id)
        if d is None:
            return None
        department = Department(d["department"]) if d.get("department") else None
        return StaffMember(d["_id"], d["name"], tuple(Role(r) for r in d["roles"]), d.get("region"),
                           d.get("manager_id"), department, d["active"], d["version"])

    def save_staff_member(self, member: StaffMember, uow: UnitOfWork) -> None:
        """Versioned like every record; `staff.changed` goes out with it."""
        expected, member.version = member.version, member.version + 1
        doc = {"_id": member.id, "name": member.name, "roles": [str(r) for r in member.roles],
               "region": member.region, "manager_id": member.manager_id, "department": member.department,
               "active": member.active,
               "version": member.version}
        uow.save_versioned(self.staff, doc, expected)
        uow.track(member)

    # -- OWN-7 / OWN-8: cases ---------------------------------------------------------------------

    async def case(self, case_id: str) -> HandoverCase:
        found = await self.find_case(case_id)
        if found is None:
            raise NotFound(f"no handover or transfer case {case_id}", id=case_id)
        return found

    async def find_case(self, case_id: str) -> HandoverCase | None:
        doc = await self._database.find_by_id(self.cases, case_id)
        return to_case(doc) if doc else None

    async def cases_of(self, salesperson_id: str | None, status: CaseStatus | None) -> list[HandoverCase]:
        query: dict[str, Any] = {}
        if salesperson_id is not None:
            query["salesperson_id"] = salesperson_id
        if status is not None:
            query["status"] = status.value
        return [to_case(d) async for d in self.cases.find(query).sort([("opened_at", 1), ("_id", 1)])]

    async def open_case_for(self, key: str) -> str | None:
        doc = await self._database.find_by_id(self.open_cases, key)
        return doc["case_id"] if doc else None

    def save_case(self, case: HandoverCase, uow: UnitOfWork) -> None:
        expected, case.version = case.version, case.version + 1
        doc = case_document(case)
        key = open_key(case)

        async def write_open_case(session: AsyncClientSession) -> None:
            if expected == 0:
                try:
                    await self.open_cases.insert_one({"_id": key, "case_id": case.id}, session=session)
                except DuplicateKeyError as e:
                    raise Conflict(f"there is already an open case for {key.split(':', 1)[1]}", openCase=key) from e
            elif case.status is not CaseStatus.OPEN:
                await self.open_cases.delete_one({"_id": key, "case_id": case.id}, session=session)

        uow.save_versioned(self.cases, doc, expected)
        uow.stage(write_open_case)
        uow.track(case)


def open_key(case: HandoverCase) -> str:
    if case.kind is CaseKind.HANDOVER:
        return f"handover:{case.salesperson_id}"
    return f"transfer:{case.items[0].customer_id}"


# -- documents <-> domain ------------------------------------------------------------------------------


def to_document(o: Ownership) -> dict[str, Any]:
    return {
        "_id": o.customer_id,
        "region": o.region,
        "card_version": o.card_version,
        "pool": o.pool,
        "level": o.level,
        "level_changed_at": o.level_changed_at,
        "periods": vars(o.periods),
        "regraded_at": o.regraded_at,
        "owner_id": o.owner_id,
        "basis": _v(o.basis),
        "since": o.since,
        "pool_reason": _v(o.pool_reason),
        "first_deal_at": o.first_deal_at,
        "last_sale_at": o.last_sale_at,
        "terminated": o.terminated,
        "pending_report": vars(o.pending_report) if o.pending_report else None,
        "protection": vars(o.protection) if o.protection else None,
        "protection_lifted_at": o.protection_lifted_at,
        "warned_for": o.warned_for,
        "history": [_change_doc(c) for c in o.history],
        "version": o.version,
        # derived, for queries:
        "expires_at": o.expires_at,
        "available_at": o.available_at(),
        "listed_reason": _v(o.pool_reason if o.in_pool else o.lapse_reason()),
        "listed_pool": o.current_pool,
        "protected_by": o.owner_id if o.protection else None,
    }


def to_ownership(d: dict[str, Any]) -> Ownership:
    return Ownership(
        customer_id=d["_id"],
        since=d["since"],
        region=d.get("region"),
        card_version=d.get("card_version", 0),
        pool=d.get("pool"),
        level=d.get("level"),
        level_changed_at=d.get("level_changed_at"),
        periods=RecallPeriods(**d["periods"]) if d.get("periods") else RecallPeriods(),
        regraded_at=d.get("regraded_at"),
        owner_id=d.get("owner_id"),
        basis=Basis(d["basis"]) if d.get("basis") else None,
        pool_reason=PoolReason(d["pool_reason"]) if d.get("pool_reason") else None,
        first_deal_at=d.get("first_deal_at"),
        last_sale_at=d.get("last_sale_at"),
        terminated=d.get("terminated", False),
        pending_report=Report(**d["pending_report"]) if d.get("pending_report") else None,
        protection=Protection(**d["protection"]) if d.get("protection") else None,
        protection_lifted_at=d.get("protection_lifted_at"),
        warned_for=d.get("warned_for"),
        history=[_change(c) for c in d.get("history") or []],
        version=d["version"],
    )


def _change_doc(c: Change) -> dict[str, Any]:
    return {"from": c.from_owner, "to": c.to_owner, "basis": c.basis.value, "at": c.at, "by": c.by,
            "reason": _v(c.reason), "report": vars(c.report) if c.report else None, "note": c.note,
            "receivables_fen": c.receivables_fen}


def _change(d: dict[str, Any]) -> Change:
    return Change(d.get("from"), d.get("to"), Basis(d["basis"]), d["at"], d["by"],
                  reason=PoolReason(d["reason"]) if d.get("reason") else None,
                  report=Report(**d["report"]) if d.get("report") else None, note=d.get("note"),
                  receivables_fen=d.get("receivables_fen"))


def to_salesperson(d: dict[str, Any]) -> Salesperson:
    return Salesperson(id=d["_id"], name=d["name"], region=d["region"], capacity_weight=float(d["capacity_weight"]),
                       active=bool(d["active"]), version=d["version"],
                       absences=tuple(Absence(**a) for a in d.get("absences") or ()))


def case_document(c: HandoverCase) -> dict[str, Any]:
    return {
        "_id": c.id, "kind": c.kind.value, "reason": c.reason.value, "salesperson_id": c.salesperson_id,
        "region": c.region, "opened_by": c.opened_by, "opened_at": c.opened_at,
        "items": [vars(i) for i in c.items], "status": c.status.value, "decided_by": c.decided_by,
        "decided_at": c.decided_at, "note": c.note, "staying": c.staying, "version": c.version,
        "commission_hold": c.commission_on_hold,
    }


def to_case(d: dict[str, Any]) -> HandoverCase:
    return HandoverCase(
        id=d["_id"], kind=CaseKind(d["kind"]), reason=CaseReason(d["reason"]), salesperson_id=d["salesperson_id"],
        region=d.get("region"), opened_by=d["opened_by"], opened_at=d["opened_at"],
        items=[Item(**{**i, "to_pool": bool(i.get("to_pool"))}) for i in d.get("items") or []],
        status=CaseStatus(d["status"]), decided_by=d.get("decided_by"), decided_at=d.get("decided_at"),
        note=d.get("note"), staying=bool(d.get("staying")), version=d["version"],
    )


def _v(enum: Any) -> str | None:
    return enum.value if enum is not None else None
