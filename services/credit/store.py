"""Credit in MongoDB: profiles with their ledger, alerts, requests, reviews and investigation reports.

Collections (database `crm_credit`):
- `profiles`: one document per customer (`_id` = customer id), `version` for optimistic saves; the
  ledger (invoices, payments, notes) lives inside it, so one versioned replace keeps every payment
  of a customer consistent. Derived top-level fields (`exposure_fen`, `earliest_open_due_at`,
  `salesperson_id`, `investigation_due_at`, ...) are for queries only.
- `note_owners`: `_id` = note id → customer id (note.settled / note.dishonoured name only the note).
- `alerts`: CRD-3, one document per alert raised, `recipients` a flat array of strings.
- `requests`: CRD-7 change requests; `reviews`: CRD-8, `_id` = "<customer>:<quarter>" (once per
  quarter, even with several replicas); `investigations`: CRD-9 reports filed.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from chassis.auth import Role
from chassis.clock import business_date
from chassis.directory import Department, StaffDirectory, holding
from chassis.errors import Conflict, NotFound
from chassis.policy import Scope
from chassis.store import Database, UnitOfWork
from contracts.envelope import Envelope
from services.credit.alerts import PRODUCT_CENTRE, Alert, AlertLevel, role_of
from services.credit.approval import CreditRequest, Decision, Origin, RequestStatus, Step, StepRecord, Terms
from services.credit.domain import AcceptedReason, CreditProfile, CreditRating, Dispute
from services.credit.emergency import Countermeasure, Emergency, EmergencyKind, EmergencyStatus
from services.credit.ledger import (
    Allocation,
    Invoice,
    InvoiceSource,
    Note,
    NoteStatus,
    Payment,
)
from services.credit.limits import LimitCalculation, LimitMethod
from services.credit.reconciliation import (
    LedgerMismatch,
    Receipt,
    Reconciliation,
    Rejected,
    day_of,
    ledger_mismatch,
    reconcile,
)
from services.credit.review import Direction, ReviewOutcome

MAX_LIST = 500
NEWEST_ALERTS_FIRST = [("raised_at", DESCENDING), ("version", DESCENDING), ("level", DESCENDING)]


@dataclass(frozen=True)
class StoredAlert:
    id: str
    alert: Alert


@dataclass(frozen=True)
class InvestigationReport:
    id: str
    customer_id: str
    summary: str
    rating: CreditRating | None
    by: str
    at: datetime


@dataclass(frozen=True)
class StoredReview:
    outcome: ReviewOutcome
    reviewed_at: datetime
    request_id: str | None


class CreditStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        db = database.db
        self.profiles = db["profiles"]
        self.note_owners = db["note_owners"]
        self.alerts = db["alerts"]
        self.requests = db["requests"]
        self.reviews = db["reviews"]
        self.investigations = db["investigations"]
        self.directory = StaffDirectory(database)  # CRD-3: whom an alert names (staff.changed)
        # Finance events received (reconciliation.py): accepted over HTTP, refused there, applied by the consumer.
        self.intake = db["intake"]
        self.rejections = db["rejections"]
        self.receipts = db["receipts"]
        self.dead_letters = db["dead_letters"]  # the chassis keeps them (Service.dead_lettered)

    async def ensure_indexes(self) -> None:
        await self.directory.ensure_indexes()
        for collection in (self.rejections, self.receipts, self.intake):
            await collection.create_index([("source", ASCENDING), ("day", ASCENDING)])
        await self.receipts.create_index([("customer_id", ASCENDING)])
        for name in ("region", "salesperson_id", "earliest_open_due_at", "investigation_due_at",
                     "last_reviewed_quarter", "on_hold", "receivables_fen", "long_overdue_due_at"):
            await self.profiles.create_index([(name, ASCENDING)])
        await self.alerts.create_index([("customer_id", ASCENDING), ("raised_at", DESCENDING)])
        await self.alerts.create_index([("recipients", ASCENDING)])
        await self.requests.create_index([("customer_id", ASCENDING), ("applied_at", DESCENDING)])
        await self.requests.create_index([("status", ASCENDING), ("step", ASCENDING)])
        await self.reviews.create_index([("customer_id", ASCENDING), ("quarter", ASCENDING)])
        await self.investigations.create_index([("customer_id", ASCENDING), ("at", DESCENDING)])

    # -- profiles --------------------------------------------------------------------------------

    async def find(self, customer_id: str) -> CreditProfile | None:
        doc = await self._database.find_by_id(self.profiles, customer_id)
        return to_profile(doc) if doc else None

    async def get(self, customer_id: str) -> CreditProfile:
        profile = await self.find(customer_id)
        if profile is None:
            raise NotFound(f"no credit profile for customer {customer_id} (not registered yet?)", id=customer_id)
        return profile

    async def get_many(self, customer_ids: list[str]) -> dict[str, CreditProfile]:
        """One query for any number of customers (`_entities`, lists)."""
        return {d["_id"]: to_profile(d) async for d in self.profiles.find({"_id": {"$in": customer_ids}})}

    async def find_customer_of_note(self, note_id: str) -> str | None:
        doc = await self._database.find_by_id(self.note_owners, note_id)
        return doc["customer_id"] if doc else None

    async def customer_of_note(self, note_id: str) -> str:
        """note.settled / note.dishonoured name only the note: whose it is (NotFound until it was received)."""
        customer_id = await self.find_customer_of_note(note_id)
        if customer_id is None:
            raise NotFound(f"no note {note_id} received yet", noteId=note_id)
        return customer_id

    async def with_receivables(self, scope: Scope, limit: int = MAX_LIST) -> list[CreditProfile]:
        """CRD-5: profiles with anything open, for the overall ageing."""
        query = {**_in(scope), "receivables_fen": {"$gt": 0}}
        return [to_profile(d) async for d in self.profiles.find(query).sort("_id", ASCENDING).limit(limit)]

    async def overdue(self, now: datetime, scope: Scope, limit: int = MAX_LIST) -> list[CreditProfile]:
        """CRD-5: profiles whose earliest open invoice is due before now (the domain says which are overdue)."""
        query = {**_in(scope), "earliest_open_due_at": {"$lt": now}}
        cursor = self.profiles.find(query).sort("earliest_open_due_at", ASCENDING).limit(limit)
        return [to_profile(d) async for d in cursor]

    async def investigations_due(self, by: datetime, scope: Scope, limit: int = MAX_LIST) -> list[CreditProfile]:
        """CRD-9: profiles whose next report is due by then."""
        query = {**_in(scope), "investigation_due_at": {"$lte": by}}
        cursor = self.profiles.find(query).sort("investigation_due_at", ASCENDING).limit(limit)
        return [to_profile(d) async for d in cursor]

    async def due_for_long_overdue(self, now: datetime, limit: int = MAX_LIST) -> list[str]:
        """CUS-3: profiles with an invoice that has passed 30 days overdue and was not announced yet."""
        cursor = self.profiles.find({"long_overdue_due_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [d["_id"] async for d in cursor]

    async def on_hold(self, scope: Scope, limit: int = MAX_LIST) -> list[CreditProfile]:
        cursor = self.profiles.find({**_in(scope), "on_hold": True}).sort("_id", ASCENDING).limit(limit)
        return [to_profile(d) async for d in cursor]

    async def due_for_review(self, quarter: str, quarter_end: datetime, limit: int = MAX_LIST) -> list[str]:
        """CRD-8: profiles that existed in the quarter and were not reviewed for it yet."""
        # $nin, not $ne: the stand-in nx-27017 drops null fields from a $ne combined with another condition.
        query = {"last_reviewed_quarter": {"$nin": [quarter]}, "registered_at": {"$lt": quarter_end}}
        return [d["_id"] async for d in self.profiles.find(query, {"_id": 1}).sort("_id", ASCENDING).limit(limit)]

    def save(self, profile: CreditProfile, uow: UnitOfWork) -> None:
        """Stage the profile and the alerts it raised for the unit of work's commit; its events go out with it."""
        expected, profile.version = profile.version, profile.version + 1
        doc = profile_document(profile)
        alerts = [alert_document(f"{profile.customer_id}:{profile.version}:{e.level.value}", profile.version, e)
                  for e in profile.events if isinstance(e, Alert)]

        uow.save_versioned(self.profiles, doc, expected)
        uow.insert(self.alerts, alerts)
        uow.track(profile)

    def link_note(self, note_id: str, customer_id: str, uow: UnitOfWork) -> None:
        doc = {"_id": note_id, "customer_id": customer_id}
        uow.insert(self.note_owners, [doc])

    # -- finance events received: reconciliation ----------------------------------------------------

    async def intake_known(self, event_ids: list[str]) -> set[str]:
        return {d["_id"] async for d in self.intake.find({"_id": {"$in": event_ids}}, {"_id": 1})}

    def record_intake(self, envelope: Envelope[Any], day: str, now: datetime, uow: UnitOfWork) -> None:
        uow.insert(self.intake, [{"_id": envelope.id, "source": envelope.source, "type": envelope.type, "day": day,
                                  "at": now, "copies": 0}])

    def count_intake_copy(self, event_id: str, uow: UnitOfWork) -> None:
        """The same event sent again: counted on the one accepted (after it, if it was accepted just now)."""
        uow.stage(lambda session: self.intake.update_one({"_id": event_id}, {"$inc": {"copies": 1}},
                                                         session=session))

    def record_rejection(self, rejection: dict[str, Any], uow: UnitOfWork) -> None:
        uow.insert(self.rejections, [rejection])

    def record_receipt(self, envelope: Envelope[Any], customer_id: str, amount_fen: int | None, applied: bool,
                       uow: UnitOfWork) -> None:
        """A finance event the consumer took, whether it applied it or knew the document already."""
        uow.insert(self.receipts, [{"_id": envelope.id, "source": envelope.source, "type": envelope.type,
                                    "day": business_date(envelope.time).isoformat(), "customer_id": customer_id,
                                    "amount_fen": amount_fen, "applied": applied}])

    async def reconciliation(self, source: str, day: str, customer_id: str | None) -> Reconciliation:
        mine = {"source": source, "day": day} | ({"customer_id": customer_id} if customer_id else {})
        receipts = [Receipt(d["type"], d.get("amount_fen"), d["applied"]) async for d in self.receipts.find(mine)]
        copies = 0
        if customer_id is None:  # a copy refused at the intake is counted for its sender and day
            copies = sum([d.get("copies", 0) async for d in self.intake.find({"source": source, "day": day})])
        rejected = [Rejected(d.get("event_id"), d.get("type"), f"{d['field']}: {d['reason']}", "HTTP", d["at"])
                    async for d in self.rejections.find(mine)]
        async for d in self.dead_letters.find({"source": source}):
            said = _said(d.get("body"))
            if day_of(d.get("time"), d["at"]) == day and customer_id in (None, said.get("customerId")):
                rejected.append(Rejected(d.get("id"), d.get("type"), d["reason"], "AMQP", d["at"]))
        return reconcile(source, day, customer_id, receipts, copies, rejected)

    async def ledger_mismatches(self, limit: int = MAX_LIST) -> list[LedgerMismatch]:
        """Customers whose ledger does not add up to the invoices and payments received for them."""
        received: dict[str, list[Receipt]] = {}
        async for d in self.receipts.find({"applied": True}):
            received.setdefault(d["customer_id"], []).append(Receipt(d["type"], d.get("amount_fen"), True))
        found: list[LedgerMismatch] = []
        for customer_id, profile in sorted((await self.get_many(sorted(received))).items()):
            mismatch = ledger_mismatch(customer_id, [(i.source, i.amount_fen) for i in profile.invoices],
                                       [p.amount_fen for p in profile.payments], received[customer_id])
            if mismatch is not None:
                found.append(mismatch)
        return found[:limit]

    # -- alerts ------------------------------------------------------------------------------------

    async def people_for(self, recipients: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """CRD-3: who the staff directory says holds each role an alert names, in its region if it names one (the
        product centre is a department, not a role); people named already need no look-up."""
        named = {name: role_of(name) for name in recipients}
        roles = [Role(role) for role, _ in named.values() if role in Role.__members__]
        staff = await self.directory.any_of(roles, [Department.PRODUCT_CENTRE])
        people: dict[str, tuple[str, ...]] = {}
        for name, (role, region) in named.items():
            if role == PRODUCT_CENTRE:
                people[name] = tuple(p.id for p in staff if p.department == Department.PRODUCT_CENTRE)
            elif role in Role.__members__:
                people[name] = holding(staff, role, region)
        return people

    async def alerts_for(self, keys: list[str], customer_id: str | None, limit: int) -> list[StoredAlert]:
        """CRD-3: the alerts meant for someone (any of their recipient keys), newest first."""
        query: dict[str, Any] = {"recipients": {"$in": keys}}
        if customer_id is not None:
            query["customer_id"] = customer_id
        cursor = self.alerts.find(query).sort(NEWEST_ALERTS_FIRST).limit(limit)
        return [to_alert(d) async for d in cursor]

    async def alerts_of(self, customer_ids: list[str]) -> dict[str, list[StoredAlert]]:
        """Each customer's alerts, newest first (one query for them all; an alert fires once per crossing)."""
        found: dict[str, list[StoredAlert]] = {}
        async for d in self.alerts.find({"customer_id": {"$in": customer_ids}}).sort(NEWEST_ALERTS_FIRST):
            found.setdefault(d["customer_id"], []).append(to_alert(d))
        return found

    # -- requests ----------------------------------------------------------------------------------

    async def find_request(self, request_id: str) -> CreditRequest | None:
        doc = await self._database.find_by_id(self.requests, request_id)
        return to_request(doc) if doc else None

    async def get_request(self, request_id: str) -> CreditRequest:
        request = await self.find_request(request_id)
        if request is None:
            raise NotFound(f"no credit request {request_id}", id=request_id)
        return request

    async def find_requests(self, *, customer_id: str | None = None, status: RequestStatus | None = None,
                            steps: list[Step] | None = None, limit: int = MAX_LIST) -> list[CreditRequest]:
        query: dict[str, Any] = {}
        if customer_id is not None:
            query["customer_id"] = customer_id
        if status is not None:
            query["status"] = status.value
        if steps is not None:
            query["step"] = {"$in": [s.value for s in steps]}
        cursor = self.requests.find(query).sort([("applied_at", DESCENDING), ("_id", ASCENDING)]).limit(limit)
        return [to_request(d) async for d in cursor]

    def save_request(self, request: CreditRequest, uow: UnitOfWork) -> None:
        expected, request.version = request.version, request.version + 1
        doc = request_document(request)

        uow.save_versioned(self.requests, doc, expected)

    # -- reviews and investigations ------------------------------------------------------------------

    def add_review(self, outcome: ReviewOutcome, request_id: str | None, uow: UnitOfWork) -> None:
        """Inserted, never replaced: a second replica reviewing the same quarter fails on the `_id`."""
        doc = review_document(outcome, uow.now(), request_id)

        async def write(session: AsyncClientSession) -> None:
            try:
                await self.reviews.insert_one(doc, session=session)
            except DuplicateKeyError as e:
                raise Conflict(f"{doc['_id']} was reviewed meanwhile") from e

        uow.stage(write)

    async def find_reviews(self, customer_id: str | None, quarter: str | None, limit: int = MAX_LIST
                           ) -> list[StoredReview]:
        query: dict[str, Any] = {}
        if customer_id is not None:
            query["customer_id"] = customer_id
        if quarter is not None:
            query["quarter"] = quarter
        cursor = self.reviews.find(query).sort([("quarter", DESCENDING), ("customer_id", ASCENDING)]).limit(limit)
        return [to_review(d) async for d in cursor]

    def add_investigation(self, report: InvestigationReport, uow: UnitOfWork) -> None:
        doc = {"_id": report.id, "customer_id": report.customer_id, "summary": report.summary,
               "rating": _value(report.rating), "by": report.by, "at": report.at}
        uow.insert(self.investigations, [doc])

    async def investigations_of(self, customer_ids: list[str]) -> dict[str, list[InvestigationReport]]:
        """Each customer's reports, newest first (one query for them all; one is due every month at most)."""
        found: dict[str, list[InvestigationReport]] = {}
        async for d in self.investigations.find({"customer_id": {"$in": customer_ids}}).sort("at", DESCENDING):
            found.setdefault(d["customer_id"], []).append(InvestigationReport(
                d["_id"], d["customer_id"], d["summary"], _rating(d.get("rating")), d["by"], d["at"]))
        return found


def _in(scope: Scope) -> dict[str, Any]:
    """The profiles a caller's scope covers; the owner is kept as `salesperson_id`."""
    return scope.query(owner_field="salesperson_id")


# -- documents <-> domain ---------------------------------------------------------------------------


def profile_document(p: CreditProfile) -> dict[str, Any]:
    return {
        "_id": p.customer_id,
        "region": p.region,
        "registered_by": p.registered_by,
        "registered_at": p.registered_at,
        "rating": _value(p.rating),
        "limit_fen": p.limit_fen,
        "term_days": p.term_days,
        "rated_at": p.rated_at,
        "owner_known": p.owner_known,
        "owner_id": p.owner_id,
        "owner_changed_at": p.owner_changed_at,
        "invoices": [{**vars(i), "source": i.source.value} for i in p.invoices],
        "notes": [{**vars(n), "status": n.status.value} for n in p.notes],
        "payments": [{"payment_id": x.payment_id, "amount_fen": x.amount_fen, "received_at": x.received_at,
                      "allocations": [vars(a) for a in x.allocations], "to_balance_fen": x.to_balance_fen}
                     for x in p.payments],
        "credit_balance_fen": p.credit_balance_fen,
        "alerted": sorted(level.value for level in p.alerted),
        "receivables_told_fen": p.receivables_told_fen, "receivables_told_seq": p.receivables_told_seq,
        "emergencies": [{**vars(e), "kind": e.kind.value, "status": e.status.value,
                         "countermeasures": [m.value for m in e.countermeasures]} for e in p.emergencies],
        "accepted_reasons": [vars(r) for r in p.accepted_reasons.values()],
        "disputes": [vars(d) | {"invoice_ids": list(d.invoice_ids)} for d in p.disputes.values()],
        "last_investigation_at": p.last_investigation_at,
        "last_reviewed_quarter": p.last_reviewed_quarter,
        "open_request_id": p.open_request_id,
        "trading_ended_at": p.trading_ended_at,
        "card_version": p.card_version, "trading_open": p.trading_open,
        # derived, for queries
        "exposure_fen": p.exposure_fen,
        "receivables_fen": p.receivables_fen,
        "notes_fen": p.notes_fen,
        "on_hold": p.on_hold,
        "salesperson_id": p.salesperson_id,
        "earliest_open_due_at": p.earliest_open_due_at(),
        "investigation_due_at": p.investigation_due_at(),
        "long_overdue_due_at": p.long_overdue_due_at(),
        "version": p.version,
    }


def to_profile(d: dict[str, Any]) -> CreditProfile:
    return CreditProfile(
        customer_id=d["_id"],
        region=d.get("region"),
        registered_by=d["registered_by"],
        registered_at=d["registered_at"],
        rating=_rating(d.get("rating")),
        limit_fen=d["limit_fen"],
        term_days=d["term_days"],
        rated_at=d.get("rated_at"),
        owner_known=bool(d.get("owner_known")),
        owner_id=d.get("owner_id"),
        owner_changed_at=d.get("owner_changed_at"),
        invoices=[Invoice(**{**i, "source": InvoiceSource(i["source"])}) for i in d.get("invoices") or []],
        notes=[Note(**{**n, "status": NoteStatus(n["status"])}) for n in d.get("notes") or []],
        payments=[Payment(x["payment_id"], x["amount_fen"], x["received_at"],
                          tuple(Allocation(**a) for a in x["allocations"]), x["to_balance_fen"])
                  for x in d.get("payments") or []],
        credit_balance_fen=d.get("credit_balance_fen", 0),
        alerted={AlertLevel(level) for level in d.get("alerted") or []},
        receivables_told_fen=d.get("receivables_told_fen", 0), receivables_told_seq=d.get("receivables_told_seq", 0),
        emergencies=[Emergency(**{**e, "kind": EmergencyKind(e["kind"]), "status": EmergencyStatus(e["status"]),
                                  "countermeasures": tuple(Countermeasure(m) for m in e["countermeasures"])})
                     for e in d.get("emergencies") or []],
        accepted_reasons={r["invoice_id"]: AcceptedReason(**r) for r in d.get("accepted_reasons") or []},
        disputes={x["complaint_id"]: Dispute(**x | {"invoice_ids": tuple(x["invoice_ids"])})
                  for x in d.get("disputes") or []},
        last_investigation_at=d.get("last_investigation_at"),
        last_reviewed_quarter=d.get("last_reviewed_quarter"),
        open_request_id=d.get("open_request_id"),
        trading_ended_at=d.get("trading_ended_at"),
        card_version=d.get("card_version", 0), trading_open=bool(d.get("trading_open")),
        version=d["version"],
    )


def alert_document(alert_id: str, version: int, a: Alert) -> dict[str, Any]:
    """`version`: the profile's, so alerts raised in the same instant still sort newest first."""
    return {"_id": alert_id, "customer_id": a.customer_id, "level": a.level.value, "exposure_fen": a.exposure_fen,
            "limit_fen": a.limit_fen, "recipients": list(a.recipients), "raised_at": a.raised_at,
            "salesperson_id": a.salesperson_id, "region": a.region, "version": version}


def to_alert(d: dict[str, Any]) -> StoredAlert:
    return StoredAlert(d["_id"], Alert(d["customer_id"], AlertLevel(d["level"]), d["exposure_fen"], d["limit_fen"],
                                       tuple(d["recipients"]), d["raised_at"], d.get("salesperson_id"),
                                       d.get("region")))


def _terms_doc(t: Terms | None) -> dict[str, Any] | None:
    return None if t is None else {"rating": _value(t.rating), "limit_fen": t.limit_fen, "term_days": t.term_days}


def _terms(d: dict[str, Any] | None) -> Terms | None:
    return None if d is None else Terms(_rating(d.get("rating")), d.get("limit_fen"), d.get("term_days"))


def request_document(r: CreditRequest) -> dict[str, Any]:
    calculation = r.calculation
    return {
        "_id": r.id,
        "customer_id": r.customer_id,
        "region": r.region,
        "origin": r.origin.value,
        "requested": _terms_doc(r.requested),
        "justification": r.justification,
        "applied_by": r.applied_by,
        "applied_at": r.applied_at,
        # Decimal inputs are kept as strings: exact, and BSON has no plain decimal.
        "calculation": {"method": calculation.method.value, "limit_fen": calculation.limit_fen,
                        "explanation": calculation.explanation,
                        "inputs": {k: str(v) if isinstance(v, Decimal) else v for k, v in calculation.inputs.items()}}
        if calculation else None,
        "proposed": _terms_doc(r.proposed),
        "status": r.status.value,
        "step": _value(r.step),
        "history": [{"step": h.step, "role": h.role, "by": h.by, "at": h.at, "decision": h.decision.value,
                     "comment": h.comment, "terms": _terms_doc(h.terms)} for h in r.history],
        "version": r.version,
    }


def to_request(d: dict[str, Any]) -> CreditRequest:
    c = d.get("calculation")
    return CreditRequest(
        id=d["_id"],
        customer_id=d["customer_id"],
        region=d.get("region"),
        origin=Origin(d["origin"]),
        requested=_terms(d["requested"]) or Terms(),
        justification=d["justification"],
        applied_by=d["applied_by"],
        applied_at=d["applied_at"],
        calculation=LimitCalculation(LimitMethod(c["method"]), c["limit_fen"], c["explanation"], c["inputs"])
        if c else None,
        proposed=_terms(d.get("proposed")),
        status=RequestStatus(d["status"]),
        step=Step(d["step"]) if d.get("step") else None,
        history=[StepRecord(h["step"], h["role"], h["by"], h["at"], Decision(h["decision"]), h.get("comment"),
                            _terms(h.get("terms"))) for h in d["history"]],
        version=d["version"],
    )


def review_document(o: ReviewOutcome, at: datetime, request_id: str | None) -> dict[str, Any]:
    return {"_id": f"{o.customer_id}:{o.quarter}", "customer_id": o.customer_id, "quarter": o.quarter,
            "direction": o.direction.value, "findings": list(o.findings), "proposal": _terms_doc(o.proposal),
            "reviewed_at": at, "request_id": request_id}


def to_review(d: dict[str, Any]) -> StoredReview:
    outcome = ReviewOutcome(d["customer_id"], d["quarter"], Direction(d["direction"]), tuple(d["findings"]),
                            _terms(d.get("proposal")))
    return StoredReview(outcome, d["reviewed_at"], d.get("request_id"))


def _value(enum: Any) -> str | None:
    return enum.value if enum is not None else None


def _rating(value: str | None) -> CreditRating | None:
    return CreditRating(value) if value else None


def _said(body: Any) -> dict[str, Any]:
    """The `data` of a dead-lettered body, if it is a JSON object that has one."""
    try:
        parsed = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return {}
    data = parsed.get("data") if isinstance(parsed, dict) else None
    return data if isinstance(data, dict) else {}
