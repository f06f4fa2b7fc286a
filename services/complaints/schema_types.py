"""The complaints subgraph's types: GraphQL's view of a complaint, converted at the edge (`from_domain`)."""

from datetime import datetime

import strawberry

from chassis.graphql import DepartmentType, ServiceContext, list_size
from chassis.scalars import Fen
from services.complaints import claims, deadlines, domain, findings, flow, policy
from services.complaints.analysis import DurationSummary
from services.complaints.handlers import ComplaintsService

Info = strawberry.Info[ServiceContext[ComplaintsService], None]

ComplaintKind = strawberry.enum(domain.ComplaintKind, description="CMP-1: what the complaint is about")
Severity = strawberry.enum(domain.Severity)
ComplaintChannel = strawberry.enum(domain.Channel, name="ComplaintChannel")
ComplaintStatus = strawberry.enum(flow.ComplaintStatus, description="CMP-3: where the complaint is in its flow")
ComplaintAction = strawberry.enum(flow.Action, name="ComplaintAction")
Responsibility = strawberry.enum(findings.Responsibility, description="CMP-5: who is responsible")
MeetingParty = strawberry.enum(findings.Party, name="MeetingParty")
Remedy = strawberry.enum(findings.Remedy, description="CMP-6: what the customer is offered")
DeadlineKind = strawberry.enum(deadlines.DeadlineKind, name="ComplaintDeadlineKind")
ClaimStatus = strawberry.enum(claims.ClaimStatus, name="SupplierClaimStatus")

@strawberry.type(name="ComplaintFirstResponse",
                 description="CMP-2: what the customer was told when it could not be solved on the spot")
class FirstResponse:
    reason: str
    plan: str
    expected_resolution_at: datetime
    by: str
    at: datetime


@strawberry.type(name="ComplaintMeeting", description="CMP-5: the parties met to settle a disputed responsibility")
class Meeting:
    held_at: datetime
    parties: list[MeetingParty]
    notes: str | None


@strawberry.type(name="ComplaintFinding", description="CMP-5: who is responsible, as the investigation found")
class Finding:
    responsibility: Responsibility
    summary: str
    supplier: str | None
    meeting: Meeting | None
    by: str
    at: datetime
    round: int

    @classmethod
    def from_domain(cls, f: findings.Finding) -> "Finding":
        meeting = f.meeting
        return cls(responsibility=f.responsibility, summary=f.summary, supplier=f.supplier, by=f.by, at=f.at,
                   round=f.round, meeting=Meeting(held_at=meeting.held_at, parties=list(meeting.parties),
                                                  notes=meeting.notes) if meeting else None)


@strawberry.type(description="CMP-6: a remedy proposed to the customer, with the promise that goes with it")
class ComplaintResolution:
    remedy: Remedy
    amount_fen: Fen | None
    promised_at: datetime | None
    description: str | None
    by: str
    at: datetime
    round: int
    with_apology: bool
    no_replacement_available: bool


@strawberry.type
class ClaimRecovery:
    amount_fen: Fen
    at: datetime
    by: str
    note: str | None


@strawberry.type(description="CMP-6 索赔: the claim against the supplier at fault, tracked to recovery")
class SupplierClaim:
    supplier: str
    claimed_fen: Fen
    recovered_fen: Fen
    outstanding_fen: Fen
    status: ClaimStatus
    opened_by: str
    opened_at: datetime
    recoveries: list[ClaimRecovery]
    closed_by: str | None
    closed_at: datetime | None
    closing_note: str | None

    @classmethod
    def from_domain(cls, c: claims.SupplierClaim) -> "SupplierClaim":
        return cls(supplier=c.supplier, claimed_fen=Fen(c.claimed_fen), recovered_fen=Fen(c.recovered_fen),
                   outstanding_fen=Fen(c.outstanding_fen), status=c.status, opened_by=c.opened_by,
                   opened_at=c.opened_at, recoveries=[ClaimRecovery(**vars(r)) for r in c.recoveries],
                   closed_by=c.closed_by, closed_at=c.closed_at, closing_note=c.closing_note)


@strawberry.type(description="CMP-4: a deadline, whether it was met, missed and escalated, or extended")
class ComplaintDeadline:
    kind: DeadlineKind
    due_at: datetime
    set_by: str
    set_at: datetime
    met_at: datetime | None
    superseded_at: datetime | None = strawberry.field(description="replaced by an extension")
    escalated_at: datetime | None = strawberry.field(description="CMP-4: when it last went higher")
    escalated_to: str | None = strawberry.field(description="CMP-4: to whom it last went")
    customer_acknowledgement: str | None = strawberry.field(
        description="CMP-4: the customer's acknowledgement that allowed this later deadline")
    level: int = strawberry.field(description="how many times it went higher: 1 to whom the directory names, then "
                                              "one level up each time it stays missed")
    again_at: datetime | None = strawberry.field(description="when it goes one level higher if still missed")
    reminded_at: datetime | None = strawberry.field(description="when its handler was told it is coming due")


@strawberry.type(description="CMP-3: one step: who, when, what, and the customer-facing promise at that moment")
class ComplaintStep:
    action: ComplaintAction
    by: str
    at: datetime
    status: ComplaintStatus
    note: str
    promised_at: datetime | None


@strawberry.type(description="The customer's satisfaction at closing")
class ComplaintSatisfaction:
    score: int
    comment: str | None
    at: datetime


@strawberry.federation.type(keys=["id"], description="A customer complaint (客户投诉)")
class Complaint:
    id: strawberry.ID
    reference: str = strawberry.field(description="the number the customer is told")
    customer_id: strawberry.ID
    kind: ComplaintKind
    severity: Severity
    status: ComplaintStatus
    description: str
    product: str | None
    channel: ComplaintChannel | None
    invoice_ids: list[str] = strawberry.field(description="the invoices it concerns (CRD-8: a quality or contract "
                                                          "dispute holds them out of a credit downgrade)")
    region: str | None
    first_responder_id: strawberry.ID = strawberry.field(description="CMP-2 首问负责: who received it")
    handler_id: strawberry.ID = strawberry.field(description="who handles it now (the first responder unless "
                                                             "handed over); escalations go to their manager")
    department: DepartmentType | None = strawberry.field(description="CMP-2: the department it was handed to")
    filed_at: datetime
    due_at: datetime | None = strawberry.field(description="CMP-4: the next deadline (acknowledge, then propose "
                                                           "a resolution); null once a resolution is proposed")
    overdue: bool
    acknowledge_due_at: datetime | None
    resolution_due_at: datetime | None
    promised_at: datetime | None = strawberry.field(description="the resolution date promised to the customer")
    awaiting_first_response: bool = strawberry.field(
        description="CMP-2: unresolved and the customer not yet told the reason, plan and expected date")
    first_response: FirstResponse | None
    finding: Finding | None = strawberry.field(description="CMP-5: the finding of the current investigation")
    findings: list[Finding]
    resolution: ComplaintResolution | None = strawberry.field(description="the proposal of the current round")
    resolutions: list[ComplaintResolution]
    claim: SupplierClaim | None
    deadlines: list[ComplaintDeadline]
    escalated_to: list[str]
    steps: list[ComplaintStep]
    allowed_actions: list[ComplaintAction] = strawberry.field(description="what the flow allows next")
    acknowledged_at: datetime | None
    resolved_at: datetime | None = strawberry.field(
        description="when the customer accepted the resolution, or it was closed on the finding alone")
    closed_at: datetime | None
    satisfaction: ComplaintSatisfaction | None
    round: int = strawberry.field(description="1, then one more for each reopening")
    version: int

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Complaint | None":
        """A complaint another subgraph links (a notification): as `complaint(id:)` shows it, FORBIDDEN to whoever
        may not see it. Look-ups of one answer share a query (`Database.find_by_id`)."""
        found = await info.context.service.store.find(str(id))
        if found is None:
            return None
        policy.require_sees(info.context.caller, found)
        return shown(info, [found])[0]

    @classmethod
    def from_domain(cls, c: domain.Complaint, now: datetime) -> "Complaint":
        acknowledge = c.deadline(deadlines.DeadlineKind.ACKNOWLEDGE)
        resolution = c.deadline(deadlines.DeadlineKind.RESOLUTION)
        return cls(
            id=strawberry.ID(c.id), reference=c.reference, customer_id=strawberry.ID(c.customer_id), kind=c.kind,
            severity=c.severity, status=c.status, description=c.description, product=c.product, channel=c.channel,
            invoice_ids=list(c.invoice_ids), region=c.region, first_responder_id=strawberry.ID(c.first_responder_id),
            handler_id=strawberry.ID(c.handler_id), department=c.department, filed_at=c.filed_at, due_at=c.due_at,
            overdue=c.due_at is not None and c.due_at <= now,
            acknowledge_due_at=acknowledge.due_at if acknowledge else None,
            resolution_due_at=resolution.due_at if resolution else None, promised_at=c.promised_at,
            awaiting_first_response=c.awaiting_first_response,
            first_response=FirstResponse(**vars(c.first_response)) if c.first_response else None,
            finding=Finding.from_domain(c.finding) if c.finding else None,
            findings=[Finding.from_domain(f) for f in c.findings],
            resolution=ComplaintResolution(**vars(c.resolution)) if c.resolution else None,
            resolutions=[ComplaintResolution(**vars(r)) for r in c.resolutions],
            claim=SupplierClaim.from_domain(c.claim) if c.claim else None,
            deadlines=[ComplaintDeadline(**vars(d)) for d in c.deadlines], escalated_to=c.escalated_to,
            steps=[ComplaintStep(**vars(s)) for s in c.steps], allowed_actions=c.allowed_actions(),
            acknowledged_at=c.acknowledged_at, resolved_at=c.resolved_at, closed_at=c.closed_at, round=c.round,
            satisfaction=ComplaintSatisfaction(**vars(c.satisfaction)) if c.satisfaction else None,
            version=c.version,
        )


@strawberry.federation.type(keys=["id"], description="A customer card; complaints adds the customer's complaints")
class Customer:
    id: strawberry.ID

    @strawberry.field(description="Every complaint of this customer the caller may see, closed ones too, newest first",
                      directives=list_size(20))
    async def complaints(self, info: Info) -> list[Complaint]:
        loader = info.context.loader("complaints", info.context.service.store.of_customers)
        return shown(info, [c for c in await loader.load(str(self.id)) or []
                            if policy.sees(info.context.caller, c)])

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.type
class ComplaintCount:
    key: str | None = strawberry.field(description="the kind, region, month…; null where none is recorded yet")
    count: int


@strawberry.type(description="CMP-7: how long it took, over the complaints that got there")
class DurationStatistics:
    count: int
    median_hours: float | None
    p90_hours: float | None

    @classmethod
    def from_summary(cls, s: DurationSummary) -> "DurationStatistics":
        return cls(count=s.count, median_hours=_hours(s.median_s), p90_hours=_hours(s.p90_s))


@strawberry.type(description="CMP-7 留档分析: counts by dimension and the time to acknowledge and to resolve")
class ComplaintStatistics:
    total: int
    by_kind: list[ComplaintCount]
    by_responsibility: list[ComplaintCount]
    by_product: list[ComplaintCount]
    by_region: list[ComplaintCount]
    by_month: list[ComplaintCount]
    by_severity: list[ComplaintCount]
    by_status: list[ComplaintCount]
    time_to_acknowledge: DurationStatistics
    time_to_resolve: DurationStatistics = strawberry.field(
        description="from filing to the customer's acceptance (or to closing on the finding alone)")
    by_satisfaction: list[ComplaintCount] = strawberry.field(
        description="the customer's satisfaction at closing, 1–5 (null: not given, or not closed yet)")
    average_satisfaction: float | None = strawberry.field(description="over the complaints closed with one")


@strawberry.input(description="CMP-7: how satisfied the customer is with how the complaint was handled")
class SatisfactionInput:
    score: int = strawberry.field(description="1 (not satisfied at all) to 5 (fully satisfied)")
    comment: str | None = None



@strawberry.input(description="CMP-7: every given condition must hold; closed complaints are found too")
class ComplaintFilter:
    customer_id: strawberry.ID | None = None
    kind: ComplaintKind | None = None
    status: ComplaintStatus | None = None
    severity: Severity | None = None
    responsibility: Responsibility | None = None
    product: str | None = strawberry.field(default=None, description="the product's name, any case")
    region: str | None = None
    month: str | None = strawberry.field(default=None, description="month of filing, YYYY-MM")
    first_responder_id: strawberry.ID | None = None
    handler_id: strawberry.ID | None = None
    escalated_to: strawberry.ID | None = strawberry.field(
        default=None, description="escalated to this manager, or to a role: REGION_MANAGER:<region>, SALES_MANAGER")
    claim_status: ClaimStatus | None = None


@strawberry.input(description="CMP-2: whoever received the complaint records it and becomes its first responder")
class FileComplaintInput:
    customer_id: strawberry.ID
    kind: ComplaintKind
    description: str
    severity: Severity | None = strawberry.field(default=None, description="MEDIUM unless told")
    product: str | None = None
    channel: ComplaintChannel | None = None
    reason: str | None = strawberry.field(default=None, description="CMP-2: not solved on the spot → the reason, "
                                                                     "the plan and the expected date, all three")
    plan: str | None = None
    expected_resolution_at: datetime | None = None
    invoice_ids: list[str] | None = strawberry.field(
        default=None, description="the invoices it concerns: a PRODUCT_QUALITY or PURCHASE_CONTRACT complaint holds "
                                  "them out of credit's downgrade while it is open (CRD-8)")


@strawberry.input(description="CMP-2: the reason, the plan and the expected resolution date told to the customer")
class FirstResponseInput:
    reason: str
    plan: str
    expected_resolution_at: datetime


@strawberry.input(description="CMP-5: who met to settle a disputed responsibility; the customer among them")
class MeetingInput:
    held_at: datetime
    parties: list[MeetingParty]
    notes: str | None = None


@strawberry.input(description="CMP-5: a finding that does not blame the company needs the meeting; "
                              "CMP-6: a SUPPLIER finding names the supplier and the amount claimed")
class FindingInput:
    responsibility: Responsibility
    summary: str
    supplier: str | None = None
    claim_amount_fen: Fen | None = None
    meeting: MeetingInput | None = None


@strawberry.input(description="CMP-6: apology, replacement, or money (with amountFen)")
class ResolutionInput:
    remedy: Remedy
    amount_fen: Fen | None = strawberry.field(default=None, description="CMP-6: a MONEY remedy's amount")
    promised_at: datetime | None = strawberry.field(default=None, description="the date promised to the customer")
    description: str | None = None
    with_apology: bool = strawberry.field(default=False, description="CMP-6: a replacement or money, and an apology")
    no_replacement_available: bool = strawberry.field(
        default=False, description="CMP-6: no good product is available to replace it (what allows MONEY)")


def shown(info: Info, complaints: list[domain.Complaint]) -> list[Complaint]:
    now = info.context.service.clock.now()
    return [Complaint.from_domain(c, now) for c in complaints]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)
