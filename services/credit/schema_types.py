"""The credit subgraph's types: GraphQL's view of credit, converted at the edge (`from_domain`)."""

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from chassis.errors import Invalid
from chassis.graphql import ServiceContext, selected_fields
from chassis.scalars import Fen
from services.credit import approval, domain, emergency, ledger, limits, policy, reconciliation, review
from services.credit.handlers import CreditService
from services.credit.store import InvestigationReport as StoredReport
from services.credit.store import StoredAlert, StoredReview

Info = strawberry.Info[ServiceContext[CreditService], None]

CreditRating = strawberry.enum(domain.CreditRating)
CreditStatus = strawberry.enum(domain.Standing, name="CreditStatus")
CreditReasonCode = strawberry.enum(domain.ReasonCode, name="CreditReasonCode")
AgeingBucket = strawberry.enum(ledger.Bucket, name="AgeingBucket")
ReceivableSource = strawberry.enum(ledger.InvoiceSource, name="ReceivableSource")
CreditNoteStatus = strawberry.enum(ledger.NoteStatus, name="CreditNoteStatus")
EmergencyKind = strawberry.enum(emergency.EmergencyKind)
Countermeasure = strawberry.enum(emergency.Countermeasure)
CreditEmergencyStatus = strawberry.enum(emergency.EmergencyStatus, name="CreditEmergencyStatus")
LimitMethod = strawberry.enum(limits.LimitMethod)
CreditRequestStatus = strawberry.enum(approval.RequestStatus, name="CreditRequestStatus")
CreditRequestStep = strawberry.enum(approval.Step, name="CreditRequestStep")
CreditRequestOrigin = strawberry.enum(approval.Origin, name="CreditRequestOrigin")
ApprovalDecision = strawberry.enum(approval.Decision, name="ApprovalDecision")
ReviewDirection = strawberry.enum(review.Direction, name="ReviewDirection")


# -- output types --------------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"])  # owned by customer: credit adds `credit`
class Customer:
    id: strawberry.ID

    @strawberry.field(description="CRD-1: the customer's credit profile; null before credit heard of it. "
                                  "Need-to-know: null and FORBIDDEN for whoever may not see it")
    async def credit(self, info: Info) -> "CreditProfile | None":
        profile = await profiles(info).load(str(self.id))
        return shown(info, profile) if profile else None

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.type(description="CRD-3: exposure crossed `level` % of the limit going up")
class CreditAlert:
    id: strawberry.ID
    customer_id: strawberry.ID
    level: int
    at: datetime
    exposure_fen: Fen
    limit_fen: Fen
    recipients: list[str]

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=self.customer_id)

    @classmethod
    def from_domain(cls, stored: StoredAlert) -> "CreditAlert":
        a = stored.alert
        return cls(id=strawberry.ID(stored.id), customer_id=strawberry.ID(a.customer_id), level=a.level.value,
                   at=a.raised_at, exposure_fen=Fen(a.exposure_fen), limit_fen=Fen(a.limit_fen),
                   recipients=list(a.recipients))


@strawberry.type(description="CRD-4: why a credit check refused; machine-readable by `code`")
class CreditReason:
    code: CreditReasonCode
    detail: str
    shortfall_fen: Fen | None = strawberry.field(description="OVER_LIMIT: by how much")
    invoice_ids: list[strawberry.ID] = strawberry.field(description="OVERDUE: which invoices")


@strawberry.type(description="CRD-4: may this customer take an order of `amountFen` on credit?")
class CreditDecision:
    allowed: bool
    reasons: list[CreditReason]
    customer_id: strawberry.ID
    amount_fen: Fen
    exposure_fen: Fen
    limit_fen: Fen
    available_fen: Fen

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=self.customer_id)

    @classmethod
    def from_domain(cls, d: domain.CreditDecision) -> "CreditDecision":
        return cls(allowed=d.allowed, customer_id=strawberry.ID(d.customer_id), amount_fen=Fen(d.amount_fen),
                   exposure_fen=Fen(d.exposure_fen), limit_fen=Fen(d.limit_fen), available_fen=Fen(d.available_fen),
                   reasons=[CreditReason(code=r.code, detail=r.detail, shortfall_fen=_fen(r.shortfall_fen),
                                         invoice_ids=[strawberry.ID(i) for i in r.invoice_ids]) for r in d.reasons])


@strawberry.type(description="CRD-5: one bucket of the ageing")
class AgeingBucketAmount:
    bucket: AgeingBucket
    amount_fen: Fen


@strawberry.type(description="CRD-5 应收账款账龄: open receivables by days past due")
class CreditAgeing:
    buckets: list[AgeingBucketAmount]
    total_fen: Fen
    overdue_fen: Fen

    @classmethod
    def from_domain(cls, a: ledger.Ageing) -> "CreditAgeing":
        return cls(buckets=[AgeingBucketAmount(bucket=b, amount_fen=Fen(a.buckets[b])) for b in ledger.Bucket],
                   total_fen=Fen(a.total_fen), overdue_fen=Fen(a.overdue_fen))


@strawberry.type(description="CRD-2: an invoice on credit (or a dishonoured note owed again)")
class CreditReceivable:
    customer_id: strawberry.ID
    invoice_id: strawberry.ID
    source: ReceivableSource
    amount_fen: Fen
    paid_fen: Fen
    balance_fen: Fen
    issued_at: datetime
    due_at: datetime
    settled_at: datetime | None
    salesperson_id: str | None
    days_overdue: int = strawberry.field(description="days past the due date; 0 or less: not overdue")
    overdue: bool
    bucket: AgeingBucket
    accepted_reason: str | None = strawberry.field(description="CRD-8: why finance accepts it is late")

    @classmethod
    def from_domain(cls, p: domain.CreditProfile, i: ledger.Invoice, now: datetime) -> "CreditReceivable":
        accepted = p.accepted_reasons.get(i.invoice_id)
        return cls(customer_id=strawberry.ID(p.customer_id), invoice_id=strawberry.ID(i.invoice_id), source=i.source,
                   amount_fen=Fen(i.amount_fen), paid_fen=Fen(i.paid_fen), balance_fen=Fen(i.balance_fen),
                   issued_at=i.issued_at, due_at=i.due_at, settled_at=i.settled_at, salesperson_id=i.salesperson_id,
                   days_overdue=i.days_overdue(now), overdue=i.is_overdue(now),
                   bucket=ledger.Bucket.of(i.days_overdue(now)) if i.is_open else ledger.Bucket.CURRENT,
                   accepted_reason=accepted.reason if accepted else None)


@strawberry.type(description="CRD-2: a note (票据); counts as exposure while RECEIVED")
class CreditNote:
    note_id: strawberry.ID
    amount_fen: Fen
    matures_at: datetime
    received_at: datetime
    status: CreditNoteStatus
    closed_at: datetime | None


@strawberry.type
class CreditAllocation:
    invoice_id: strawberry.ID
    amount_fen: Fen


@strawberry.type(description="A receipt and where its money went")
class CreditPayment:
    payment_id: strawberry.ID
    amount_fen: Fen
    received_at: datetime
    allocations: list[CreditAllocation]
    to_balance_fen: Fen = strawberry.field(description="overpayment kept as the customer's credit balance")


@strawberry.type(description="CRD-10 紧急报告 and the manager's countermeasures")
class CreditEmergency:
    id: strawberry.ID
    customer_id: strawberry.ID
    kind: EmergencyKind
    description: str
    reported_by: str
    reported_at: datetime
    status: CreditEmergencyStatus
    countermeasures: list[Countermeasure]
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None

    @classmethod
    def from_domain(cls, customer_id: str, e: emergency.Emergency) -> "CreditEmergency":
        return cls(id=strawberry.ID(e.emergency_id), customer_id=strawberry.ID(customer_id), kind=e.kind,
                   description=e.description, reported_by=e.reported_by, reported_at=e.reported_at, status=e.status,
                   countermeasures=list(e.countermeasures), decided_by=e.decided_by, decided_at=e.decided_at,
                   comment=e.comment)


@strawberry.type(description="CRD-9 信用调查报告")
class InvestigationReport:
    id: strawberry.ID
    customer_id: strawberry.ID
    summary: str
    rating: CreditRating | None
    by: str
    at: datetime

    @classmethod
    def from_domain(cls, r: StoredReport) -> "InvestigationReport":
        return cls(id=strawberry.ID(r.id), customer_id=strawberry.ID(r.customer_id), summary=r.summary,
                   rating=r.rating, by=r.by, at=r.at)


@strawberry.type(description="CRD-1 the customer's credit: terms, exposure (CRD-2), alerts (CRD-3), hold (CRD-10)")
class CreditProfile:
    customer_id: strawberry.ID
    rating: CreditRating | None
    limit_fen: Fen = strawberry.field(description="CRD-1: 0 = cash only")
    term_days: int
    exposure_fen: Fen = strawberry.field(description="CRD-2 占用额度: open receivables + unsettled notes")
    receivables_fen: Fen
    notes_fen: Fen
    credit_balance_fen: Fen = strawberry.field(description="overpayments kept for the customer")
    available_fen: Fen
    utilization: float | None = strawberry.field(description="exposure ÷ limit as a ratio; null without a limit")
    on_hold: bool
    status: CreditStatus
    region: str | None
    salesperson_id: str | None = strawberry.field(description="CRD-3: whom alerts name as the salesperson")
    rated_at: datetime | None
    last_investigation_at: datetime | None
    next_investigation_due_at: datetime | None = strawberry.field(description="CRD-9")
    last_reviewed_quarter: str | None = strawberry.field(description="CRD-8, e.g. 2026Q1")
    open_request_id: strawberry.ID | None
    version: int
    _profile: strawberry.Private[domain.CreditProfile]
    _now: strawberry.Private[datetime]

    @strawberry.field(description="CRD-3: the alerts raised, newest first")
    async def alerts(self, info: Info, first: int = 20) -> list[CreditAlert]:
        stored = await info.context.loader("alerts", info.context.service.store.alerts_of).load(self._profile.customer_id)
        return [CreditAlert.from_domain(a) for a in (stored or [])[:first_of(first)]]

    @strawberry.field(description="open receivables, oldest first")
    def receivables(self) -> list[CreditReceivable]:
        return [CreditReceivable.from_domain(self._profile, i, self._now) for i in self._profile.open_invoices()]

    @strawberry.field(description="CRD-5: open invoices past their due date")
    def overdue_invoices(self) -> list[CreditReceivable]:
        return [CreditReceivable.from_domain(self._profile, i, self._now)
                for i in self._profile.overdue_invoices(self._now)]

    @strawberry.field(description="CRD-5")
    def ageing(self) -> CreditAgeing:
        return CreditAgeing.from_domain(self._profile.ageing(self._now))

    @strawberry.field
    def notes(self) -> list[CreditNote]:
        return [CreditNote(note_id=strawberry.ID(n.note_id), amount_fen=Fen(n.amount_fen), matures_at=n.matures_at,
                           received_at=n.received_at, status=n.status, closed_at=n.closed_at)
                for n in self._profile.notes]

    @strawberry.field(description="receipts, newest first")
    def payments(self, first: int = 20) -> list[CreditPayment]:
        newest = sorted(self._profile.payments, key=lambda p: p.received_at, reverse=True)[:first_of(first)]
        return [CreditPayment(payment_id=strawberry.ID(p.payment_id), amount_fen=Fen(p.amount_fen),
                              received_at=p.received_at, to_balance_fen=Fen(p.to_balance_fen),
                              allocations=[CreditAllocation(invoice_id=strawberry.ID(a.invoice_id),
                                                            amount_fen=Fen(a.amount_fen)) for a in p.allocations])
                for p in newest]

    @strawberry.field(description="CRD-10")
    def emergencies(self) -> list[CreditEmergency]:
        return [CreditEmergency.from_domain(self._profile.customer_id, e) for e in self._profile.emergencies]

    @strawberry.field(description="CRD-9: reports filed, newest first")
    async def investigations(self, info: Info) -> list[InvestigationReport]:
        loader = info.context.loader("investigations", info.context.service.store.investigations_of)
        return [InvestigationReport.from_domain(r) for r in await loader.load(self._profile.customer_id) or []]

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=self.customer_id)

    @classmethod
    def from_domain(cls, p: domain.CreditProfile, now: datetime) -> "CreditProfile":
        return cls(customer_id=strawberry.ID(p.customer_id), rating=p.rating, limit_fen=Fen(p.limit_fen),
                   term_days=p.term_days, exposure_fen=Fen(p.exposure_fen), receivables_fen=Fen(p.receivables_fen),
                   notes_fen=Fen(p.notes_fen), credit_balance_fen=Fen(p.credit_balance_fen),
                   available_fen=Fen(max(0, p.limit_fen - p.exposure_fen)), utilization=p.utilization,
                   on_hold=p.on_hold, status=p.standing, region=p.region, salesperson_id=p.salesperson_id,
                   rated_at=p.rated_at, last_investigation_at=p.last_investigation_at,
                   next_investigation_due_at=p.investigation_due_at(), last_reviewed_quarter=p.last_reviewed_quarter,
                   open_request_id=strawberry.ID(p.open_request_id) if p.open_request_id else None,
                   version=p.version, _profile=p, _now=now)


@strawberry.type(description="A change of terms; null leaves that term as it is")
class CreditTerms:
    rating: CreditRating | None
    limit_fen: Fen | None
    term_days: int | None

    @classmethod
    def from_domain(cls, t: approval.Terms | None) -> "CreditTerms | None":
        return None if t is None else cls(rating=t.rating, limit_fen=_fen(t.limit_fen), term_days=t.term_days)


@strawberry.type(description="CRD-6: what a method gives, how, and from which inputs")
class LimitCalculation:
    method: LimitMethod
    limit_fen: Fen
    explanation: str
    inputs: JSON

    @classmethod
    def from_domain(cls, c: limits.LimitCalculation | None) -> "LimitCalculation | None":
        return None if c is None else cls(method=c.method, limit_fen=Fen(c.limit_fen), explanation=c.explanation,
                                          inputs={k: str(v) if isinstance(v, Decimal) else v
                                                  for k, v in c.inputs.items()})


@strawberry.type(description="CRD-6: one of the five methods, computed from the inputs given (when complete)")
class LimitMethodResult:
    method: LimitMethod
    name: str
    formula: str
    inputs: list[str]
    missing_inputs: list[str]
    calculation: LimitCalculation | None


@strawberry.type(description="CRD-7: who decided what at one step (the application is the first)")
class CreditApprovalRecord:
    step: str
    role: str
    by: str
    at: datetime
    decision: ApprovalDecision
    comment: str | None
    terms: CreditTerms | None


@strawberry.type(description="CRD-7: a change of rating, limit or term climbing the approval chain")
class CreditRequest:
    id: strawberry.ID
    customer_id: strawberry.ID
    status: CreditRequestStatus
    step: CreditRequestStep | None = strawberry.field(description="the step it waits for; null when decided")
    expected_role: str | None = strawberry.field(description="the role that decides the next step")
    origin: CreditRequestOrigin
    requested: CreditTerms
    proposed: CreditTerms | None = strawberry.field(description="finance's proposal, what the GM decides on")
    justification: str
    calculation: LimitCalculation | None
    applied_by: str
    applied_at: datetime
    history: list[CreditApprovalRecord]
    version: int

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=self.customer_id)

    @classmethod
    def from_domain(cls, r: approval.CreditRequest) -> "CreditRequest":
        return cls(id=strawberry.ID(r.id), customer_id=strawberry.ID(r.customer_id), status=r.status, step=r.step,
                   expected_role=r.expected_role.value if r.expected_role else None, origin=r.origin,
                   requested=CreditTerms.from_domain(r.requested), proposed=CreditTerms.from_domain(r.proposed),
                   justification=r.justification, calculation=LimitCalculation.from_domain(r.calculation),
                   applied_by=r.applied_by, applied_at=r.applied_at, version=r.version,
                   history=[CreditApprovalRecord(step=h.step, role=h.role, by=h.by, at=h.at, decision=h.decision,
                                                 comment=h.comment, terms=CreditTerms.from_domain(h.terms))
                            for h in r.history])


@strawberry.type(description="CRD-8: one profile's quarterly review")
class CreditReview:
    customer_id: strawberry.ID
    quarter: str
    direction: ReviewDirection
    findings: list[str]
    proposal: CreditTerms | None
    request_id: strawberry.ID | None = strawberry.field(description="the request the proposal entered CRD-7 as")
    reviewed_at: datetime

    @classmethod
    def from_domain(cls, r: StoredReview) -> "CreditReview":
        o = r.outcome
        return cls(customer_id=strawberry.ID(o.customer_id), quarter=o.quarter, direction=o.direction,
                   findings=list(o.findings), proposal=CreditTerms.from_domain(o.proposal),
                   request_id=strawberry.ID(r.request_id) if r.request_id else None, reviewed_at=r.reviewed_at)


@strawberry.type(description="CRD-9: an investigation report due (or overdue)")
class InvestigationDue:
    customer_id: strawberry.ID
    rating: CreditRating = strawberry.field(description="the rating the schedule follows: C (monthly) for a "
                                                        "customer not rated yet, new to us (CRD-9)")
    due_at: datetime
    overdue: bool
    last_report_at: datetime | None

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=self.customer_id)


# -- inputs --------------------------------------------------------------------------------------------


@strawberry.input(description="CRD-6: the inputs of the limit methods; each method reads its own")
class LimitInputs:
    annual_purchases_fen: Fen | None = None
    supply_share_percent: float | None = strawberry.field(default=None, description="e.g. 30 for 30 %")
    term_days: int | None = None
    current_assets_fen: Fen | None = None
    current_liabilities_fen: Fen | None = None
    supplier_count: int | None = None
    base_limit_fen: Fen | None = None
    industry_current_ratio: float | None = None
    total_assets_fen: Fen | None = None
    total_liabilities_fen: Fen | None = None
    amount_fen: Fen | None = None
    justification: str | None = None

    def to_domain(self) -> limits.LimitInputs:
        values = dict(vars(self))
        for name in ("supply_share_percent", "industry_current_ratio"):
            if values[name] is not None:
                values[name] = Decimal(str(values[name]))  # the decimal the person typed, not the binary float
        return limits.LimitInputs(**values)


@strawberry.input(description="CRD-6: compute the asked limit by a method and keep it with the request")
class LimitCalculationInput:
    method: LimitMethod
    inputs: LimitInputs


@strawberry.input(description="CRD-7: a salesperson applies; limitFen may come from `calculation`")
class CreditChangeInput:
    customer_id: strawberry.ID
    justification: str
    limit_fen: Fen | None = None
    term_days: int | None = None
    rating: CreditRating | None = None
    calculation: LimitCalculationInput | None = None


@strawberry.input(description="CRD-7: finance's proposal (only at the FINANCE_PROPOSAL step)")
class CreditTermsInput:
    rating: CreditRating | None = None
    limit_fen: Fen | None = None
    term_days: int | None = None


@strawberry.input(description="CRD-10 紧急报告")
class CreditEmergencyInput:
    customer_id: strawberry.ID
    kind: EmergencyKind
    description: str


@strawberry.input(description="CRD-10: the manager's decision on an emergency")
class CountermeasuresInput:
    customer_id: strawberry.ID
    emergency_id: strawberry.ID
    measures: list[Countermeasure]
    comment: str | None = None


# -- helpers -------------------------------------------------------------------------------------------

MAX_FIRST = 500


def now_of(info: Info) -> datetime:
    return info.context.service.clock.now()


def profiles(info: Info) -> DataLoader[str, domain.CreditProfile | None]:
    """The profiles this request asks for, one store query per level of the answer."""
    return info.context.loader("profiles", info.context.service.store.get_many)


def shown(info: Info, profile: domain.CreditProfile) -> "CreditProfile":
    """A profile as the caller may see it: FORBIDDEN unless need-to-know allows; a non-owner's read logged."""
    caller = info.context.caller
    policy.require_sees(caller, profile)
    if policy.is_logged(caller, profile):
        info.context.record_access(info, profile.customer_id, profile.salesperson_id, policy.WHAT,
                                   selected_fields(info))
    return CreditProfile.from_domain(profile, now_of(info))


def first_of(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise Invalid("first", f"must be between 1 and {MAX_FIRST}")
    return first


def _fen(value: int | None) -> Fen | None:
    return None if value is None else Fen(value)


@strawberry.type(description="How many, and how much")
class Tally:
    count: int
    sum_fen: Fen


@strawberry.type(description="An event refused at the HTTP intake (via HTTP, the field and why) or dead-lettered by "
                             "the consumer (via AMQP, why)")
class RejectedEvent:
    event_id: str | None
    type: str | None
    reason: str
    via: str
    at: datetime


@strawberry.type(description="What credit received from one sending system on one day (the day of each event's "
                             "`time`, company calendar): to hold against that system's own totals")
class FinanceReconciliation:
    source: str
    day: str
    customer_id: strawberry.ID | None
    invoices: Tally
    payments: Tally
    notes: Tally
    notes_settled: int
    notes_dishonoured: int
    duplicates_dropped: int = strawberry.field(description="copies dropped: the same event id again over HTTP, or "
                                                           "the same document under another id")
    rejected: list[RejectedEvent]

    @classmethod
    def from_domain(cls, r: reconciliation.Reconciliation) -> "FinanceReconciliation":
        def tally(t: reconciliation.Tally) -> Tally:
            return Tally(count=t.count, sum_fen=t.sum_fen)

        return cls(source=r.source, day=r.day, customer_id=strawberry.ID(r.customer_id) if r.customer_id else None,
                   invoices=tally(r.invoices), payments=tally(r.payments), notes=tally(r.notes),
                   notes_settled=r.notes_settled, notes_dishonoured=r.notes_dishonoured,
                   duplicates_dropped=r.duplicates_dropped,
                   rejected=[RejectedEvent(**vars(x)) for x in r.rejected])


@strawberry.type(description="A customer whose ledger holds other invoice or payment totals than the events "
                             "credit accepted for it")
class LedgerMismatch:
    customer_id: strawberry.ID
    ledger_invoiced_fen: Fen
    received_invoiced_fen: Fen
    ledger_paid_fen: Fen
    received_paid_fen: Fen
