"""Complaints in MongoDB: the complaints, the customers we heard of, the reference counter.

Collections (database `crm_complaints`):
- `complaints`: one document per complaint (steps, deadlines, findings, claim inside), `version` for
  optimistic saves; flat scalar fields beside them for search and statistics (CMP-7) and
  `next_escalation_at` for the deadline sweep (CMP-4).
- `customers`: the customers we heard of (id, code, region, owner): complaints are filed only for
  customers we know; a change of region or owner is carried onto their complaints (`region`, `owner_id`,
  with a `version` step, so a complaint saved from an older read conflicts and is retried).
- `counters`: the sequence behind readable references (CP000123).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from chassis.auth import Role
from chassis.directory import Department, StaffDirectory, holding
from chassis.errors import Invalid, NotFound
from chassis.pagination import Slice, page_of
from chassis.store import Database, UnitOfWork
from services.complaints.analysis import DurationSummary, summarise
from services.complaints.claims import ClaimStatus, Recovery, SupplierClaim
from services.complaints.deadlines import Deadline, DeadlineKind
from services.complaints.domain import (
    Channel,
    Complaint,
    ComplaintKind,
    EscalationLine,
    FirstResponse,
    KnownCustomer,
    Severity,
    Step,
)
from services.complaints.findings import (
    Finding,
    Meeting,
    Party,
    Remedy,
    Resolution,
    Responsibility,
    Satisfaction,
)
from services.complaints.flow import Action, ComplaintStatus

MAX_PER_CUSTOMER = 500  # Customer.complaints: newest first, at most this many
STATS_SAMPLE = 10_000  # durations (CMP-7) are computed from the newest this many matching complaints
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class ComplaintFilter:
    """CMP-7: every given condition must hold; closed complaints are found like any other."""

    customer_id: str | None = None
    kind: ComplaintKind | None = None
    status: ComplaintStatus | None = None
    severity: Severity | None = None
    responsibility: Responsibility | None = None
    product: str | None = None  # exact, any case
    region: str | None = None
    month: str | None = None  # 'YYYY-MM' of filing, local time
    first_responder_id: str | None = None
    handler_id: str | None = None
    escalated_to: str | None = None
    claim_status: ClaimStatus | None = None


@dataclass(frozen=True)
class Statistics:
    total: int
    by: dict[str, list[tuple[str | None, int]]]  # dimension → (value, count), most frequent first
    time_to_acknowledge: DurationSummary
    time_to_resolve: DurationSummary


DIMENSIONS = ("kind", "responsibility", "product", "region", "month", "severity", "status", "satisfaction_score")


class ComplaintStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        db = database.db
        self.complaints = db["complaints"]
        self.customers = db["customers"]
        self.directory = StaffDirectory(database)  # CMP-2, CMP-4: as ownership tells it (staff.changed)

    async def ensure_indexes(self) -> None:
        await self.directory.ensure_indexes()
        await self.customers.create_index([("region", ASCENDING)])  # also creates it outside any transaction
        await self.complaints.create_index([("reference", ASCENDING)], unique=True)
        await self.complaints.create_index([("customer_id", ASCENDING), ("filed_at", DESCENDING)])
        for name in ("filed_at", "next_escalation_at", "next_to_remind", "status", "kind", "region", "month", "responsibility",
                     "product_key", "handler_id", "escalated_to", "claim_status", "owner_id", "first_responder_id"):
            await self.complaints.create_index([(name, ASCENDING)])

    # -- customers we know (customer.registered) --------------------------------------------------

    async def find_customer(self, customer_id: str) -> KnownCustomer | None:
        d = await self._database.find_by_id(self.customers, customer_id)
        if d is None:
            return None
        return KnownCustomer(d["_id"], d.get("code"), d.get("region"), d.get("owner_id"), d.get("card_version", 0),
                             d.get("owner_changed_at"), d.get("version", 0))

    async def escalation_line(self, handler_id: str, region: str | None, escalated_to: list[str]) -> EscalationLine:
        """CMP-4: the handler's manager, the region's regional managers, the sales and general managers (active
        ones), and the manager of each person it was escalated to already."""
        directory = self.directory
        staff = await directory.any_of([Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER], [])
        managers = {person: boss for person in escalated_to if (boss := await directory.manager_of(person))}
        return EscalationLine(await directory.manager_of(handler_id),
                              holding(staff, Role.REGION_MANAGER, region) if region else (),
                              holding(staff, Role.SALES_MANAGER), holding(staff, Role.GENERAL_MANAGER), managers)

    async def known_customer(self, customer_id: str) -> KnownCustomer:
        found = await self.find_customer(customer_id)
        if found is None:
            raise NotFound(f"no customer {customer_id} (complaints are filed for registered customers)",
                           id=customer_id)
        return found

    def save_customer(self, customer: KnownCustomer, uow: UnitOfWork) -> None:
        expected, customer.version = customer.version, customer.version + 1
        doc = {"_id": customer.id, "code": customer.code, "region": customer.region, "owner_id": customer.owner_id,
               "card_version": customer.card_version, "owner_changed_at": customer.owner_changed_at,
               "version": customer.version}
        uow.save_versioned(self.customers, doc, expected)

    def follow_customer(self, customer: KnownCustomer, uow: UnitOfWork) -> None:
        """Carry the customer's region and owner onto its complaints (a version step each: see above)."""
        moved = {"$set": {"region": customer.region, "owner_id": customer.owner_id}, "$inc": {"version": 1}}
        uow.stage(lambda session: self.complaints.update_many({"customer_id": customer.id}, moved, session=session))

    # -- complaints: reads ----------------------------------------------------------------------------

    async def get(self, complaint_id: str) -> Complaint:
        doc = await self._database.find_by_id(self.complaints, complaint_id)
        if doc is None:
            raise NotFound(f"no complaint {complaint_id}", id=complaint_id)
        return to_complaint(doc)

    async def find(self, complaint_id: str) -> Complaint | None:
        doc = await self._database.find_by_id(self.complaints, complaint_id)
        return to_complaint(doc) if doc else None

    async def of_customers(self, customer_ids: list[str]) -> dict[str, list[Complaint]]:
        """Each customer's complaints, newest first (one query for them all)."""
        found: dict[str, list[Complaint]] = {}
        cursor = self.complaints.find({"customer_id": {"$in": customer_ids}}).sort(
            [("filed_at", DESCENDING), ("_id", DESCENDING)]).limit(MAX_PER_CUSTOMER * len(customer_ids))
        async for d in cursor:
            found.setdefault(d["customer_id"], []).append(to_complaint(d))
        return found

    async def search(self, where: ComplaintFilter, listed: dict[str, Any], first: int, after: str | None
                     ) -> tuple[list[Complaint], Slice]:
        """Newest first; a cursor stays valid while complaints are filed (they land before it)."""
        found = await page_of(self.complaints, _query(where, listed), by="filed_at", first=first, after=after,
                              descending=True)
        return [to_complaint(d) for d in found.documents], found

    async def statistics(self, where: ComplaintFilter, scope: dict[str, Any]) -> Statistics:
        """CMP-7: counts by dimension ($group on all matching), durations from the newest STATS_SAMPLE."""
        query = _query(where, scope)
        by = {}
        for dimension in DIMENSIONS:
            pipeline = [{"$match": query}, {"$group": {"_id": f"${dimension}", "count": {"$sum": 1}}}]
            groups = await (await self.complaints.aggregate(pipeline)).to_list(None)
            by[dimension] = sorted(((g["_id"], g["count"]) for g in groups), key=lambda g: (-g[1], str(g[0])))
        sample = self.complaints.find(query, {"acknowledge_s": 1, "resolve_s": 1}).sort(
            "filed_at", DESCENDING).limit(STATS_SAMPLE)
        acknowledge, resolve = [], []
        async for doc in sample:
            if doc.get("acknowledge_s") is not None:
                acknowledge.append(doc["acknowledge_s"])
            if doc.get("resolve_s") is not None:
                resolve.append(doc["resolve_s"])
        total = await self.complaints.count_documents(query)
        return Statistics(total, by, summarise(acknowledge), summarise(resolve))

    async def due_for_reminder(self, until: datetime) -> list[str]:
        """Complaints with a deadline due by `until` whose handler has not been reminded of it."""
        return await self._due("next_to_remind", until)

    async def due_for_escalation(self, now: datetime) -> list[str]:
        return await self._due("next_escalation_at", now)

    async def _due(self, field: str, until: datetime, limit: int = 500) -> list[str]:
        """The complaints whose `field` (a time a sweep acts at) has come by `until`, earliest first."""
        cursor = self.complaints.find({field: {"$lte": until}}, {"_id": 1}).sort(field, ASCENDING).limit(limit)
        return [d["_id"] async for d in cursor]

    # -- writes ---------------------------------------------------------------------------------------

    async def next_reference(self) -> str:
        return f"CP{await self._database.next_number('complaint_reference'):06d}"

    def save(self, complaint: Complaint, uow: UnitOfWork) -> None:
        """Stage the whole complaint for the unit of work's commit (insert, or replace at the version read)."""
        expected, complaint.version = complaint.version, complaint.version + 1
        doc = to_document(complaint)

        uow.save_versioned(self.complaints, doc, expected)
        uow.track(complaint)


def _query(where: ComplaintFilter, scope: dict[str, Any]) -> dict[str, Any]:
    if where.month is not None and not MONTH.fullmatch(where.month):
        raise Invalid("filter.month", "must be a month as YYYY-MM")
    query: dict[str, Any] = {}
    for name in ("customer_id", "kind", "status", "severity", "responsibility", "region", "month",
                 "first_responder_id", "handler_id", "escalated_to", "claim_status"):
        if (value := getattr(where, name)) is not None:
            query[name] = str(value)
    if where.product is not None and where.product.strip():
        query["product_key"] = where.product.strip().casefold()
    return {"$and": [query, scope]} if scope else query


def to_document(c: Complaint) -> dict[str, Any]:
    acknowledge, resolve = c.time_to_acknowledge, c.time_to_resolve
    return {
        "_id": c.id,
        "reference": c.reference,
        "customer_id": c.customer_id,
        "kind": c.kind.value,
        "severity": c.severity.value,
        "description": c.description,
        "first_responder_id": c.first_responder_id,
        "handler_id": c.handler_id,
        "department": c.department.value if c.department else None,
        "filed_at": c.filed_at,
        "month": c.month,
        "region": c.region,
        "owner_id": c.owner_id,
        "product": c.product,
        "channel": c.channel.value if c.channel else None,
        "invoice_ids": list(c.invoice_ids),
        "status": c.status.value,
        "round": c.round,
        "first_response": vars(c.first_response) if c.first_response else None,
        "promised_at": c.promised_at,
        "findings": [_finding_doc(f) for f in c.findings],
        "resolutions": [vars(r) | {"remedy": r.remedy.value} for r in c.resolutions],
        "claim": _claim_doc(c.claim) if c.claim else None,
        "deadlines": [vars(d) | {"kind": d.kind.value} for d in c.deadlines],
        "steps": [vars(s) | {"action": s.action.value, "status": s.status.value} for s in c.steps],
        "acknowledged_at": c.acknowledged_at,
        "resolved_at": c.resolved_at,
        "closed_at": c.closed_at,
        "satisfaction": vars(c.satisfaction) if c.satisfaction else None,
        "version": c.version,
        # Flat fields for search, statistics and the sweep:
        "product_key": c.product.casefold() if c.product else None,
        "responsibility": c.responsibility.value if c.responsibility else None,
        "claim_status": c.claim.status.value if c.claim else None,
        "escalated_to": c.escalated_to,
        "next_escalation_at": c.next_escalation_at,
        "next_to_remind": c.next_to_remind,
        "acknowledge_s": acknowledge.total_seconds() if acknowledge is not None else None,
        "resolve_s": resolve.total_seconds() if resolve is not None else None,
        "satisfaction_score": c.satisfaction.score if c.satisfaction else None,
    }


def to_complaint(d: dict[str, Any]) -> Complaint:
    return Complaint(
        id=d["_id"],
        reference=d["reference"],
        customer_id=d["customer_id"],
        kind=ComplaintKind(d["kind"]),
        severity=Severity(d["severity"]),
        description=d["description"],
        first_responder_id=d["first_responder_id"],
        handler_id=d["handler_id"],
        department=Department(d["department"]) if d.get("department") else None,
        filed_at=d["filed_at"],
        month=d["month"],
        region=d.get("region"),
        owner_id=d.get("owner_id"),
        product=d.get("product"),
        channel=Channel(d["channel"]) if d.get("channel") else None,
        invoice_ids=tuple(d.get("invoice_ids") or ()),
        status=ComplaintStatus(d["status"]),
        round=d["round"],
        first_response=FirstResponse(**d["first_response"]) if d.get("first_response") else None,
        promised_at=d.get("promised_at"),
        findings=[_finding(f) for f in d.get("findings") or []],
        resolutions=[Resolution(**r | {"remedy": Remedy(r["remedy"])}) for r in d.get("resolutions") or []],
        claim=_claim(d["claim"]) if d.get("claim") else None,
        deadlines=[Deadline(**x | {"kind": DeadlineKind(x["kind"])}) for x in d.get("deadlines") or []],
        steps=[Step(**s | {"action": Action(s["action"]), "status": ComplaintStatus(s["status"])})
               for s in d.get("steps") or []],
        acknowledged_at=d.get("acknowledged_at"),
        resolved_at=d.get("resolved_at"),
        closed_at=d.get("closed_at"),
        satisfaction=Satisfaction(**d["satisfaction"]) if d.get("satisfaction") else None,
        version=d["version"],
    )


def _finding_doc(f: Finding) -> dict[str, Any]:
    meeting = f.meeting
    return vars(f) | {
        "responsibility": f.responsibility.value,
        "meeting": {"held_at": meeting.held_at, "parties": [p.value for p in meeting.parties],
                    "notes": meeting.notes} if meeting else None,
    }


def _finding(d: dict[str, Any]) -> Finding:
    meeting = d.get("meeting")
    return Finding(**d | {
        "responsibility": Responsibility(d["responsibility"]),
        "meeting": Meeting(meeting["held_at"], tuple(Party(p) for p in meeting["parties"]), meeting.get("notes"))
        if meeting else None,
    })


def _claim_doc(claim: SupplierClaim) -> dict[str, Any]:
    return vars(claim) | {"status": claim.status.value, "recoveries": [vars(r) for r in claim.recoveries]}


def _claim(d: dict[str, Any]) -> SupplierClaim:
    return SupplierClaim(**d | {"status": ClaimStatus(d["status"]),
                                "recoveries": [Recovery(**r) for r in d.get("recoveries") or []]})
