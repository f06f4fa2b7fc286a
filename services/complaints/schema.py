"""The complaints subgraph: a thin skin over the complaints desk. Validate, authorise, call a handler, map.

Who may do what (anyone else gets FORBIDDEN naming the allowed roles; no token: UNAUTHENTICATED):

- read: complaint, complaints, complaintStatistics, Customer.complaints — anyone signed in.
- fileComplaint — anyone signed in: whoever receives a complaint (visit, call, letter) records it
  and becomes its first responder (CMP-2, 首问负责: nobody may refuse one).
- move it forward: acknowledgeComplaint, startInvestigation, recordFinding, proposeResolution,
  resolveComplaint, closeComplaint, reopenComplaint, extendDeadline, recordFirstResponse,
  handOverComplaint — SERVICE (客户中心 / 公关部), REGION_MANAGER, SALES_MANAGER, GENERAL_MANAGER
  (`domain.HANDLING_ROLES`), or the complaint's own first responder or current handler, whatever
  their role. FINANCE, ADMIN, REGION_ASSISTANT and other salespeople may file but not handle.
- recordClaimRecovery — SERVICE, FINANCE, SALES_MANAGER, GENERAL_MANAGER (money came back).
- writeOffClaim — FINANCE, GENERAL_MANAGER (giving up money is theirs to decide).

A step the flow does not allow now is a RULE_VIOLATION naming the rule (CMP-3 …) and the allowed steps.
"""

from datetime import datetime

import strawberry
from strawberry.types.info import Info

from chassis.auth import Role
from chassis.errors import Invalid
from chassis.graphql import Fen, ServiceSchema, caller, service_of
from services.complaints import claims, deadlines, domain, findings, flow, handlers
from services.complaints.analysis import DurationSummary
from services.complaints.store import ComplaintFilter as Filter

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

CLAIM_RECORDERS = (Role.SERVICE, Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER)
CLAIM_WRITERS_OFF = (Role.FINANCE, Role.GENERAL_MANAGER)


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
    escalated_at: datetime | None
    escalated_to: str | None
    customer_acknowledgement: str | None = strawberry.field(
        description="CMP-4: the customer's acknowledgement that allowed this later deadline")


@strawberry.type(description="CMP-3: one step: who, when, what, and the customer-facing promise at that moment")
class ComplaintStep:
    action: ComplaintAction
    by: str
    at: datetime
    status: ComplaintStatus
    note: str
    promised_at: datetime | None


@strawberry.type(description="A customer complaint (客户投诉)")
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
    region: str | None
    first_responder_id: strawberry.ID = strawberry.field(description="CMP-2 首问负责: who received it")
    handler_id: strawberry.ID = strawberry.field(description="who handles it now (the first responder unless "
                                                             "handed over); escalations go to their manager")
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
    round: int = strawberry.field(description="1, then one more for each reopening")
    version: int

    @classmethod
    def from_domain(cls, c: domain.Complaint, now: datetime) -> "Complaint":
        acknowledge = c.deadline(deadlines.DeadlineKind.ACKNOWLEDGE)
        resolution = c.deadline(deadlines.DeadlineKind.RESOLUTION)
        return cls(
            id=strawberry.ID(c.id), reference=c.reference, customer_id=strawberry.ID(c.customer_id), kind=c.kind,
            severity=c.severity, status=c.status, description=c.description, product=c.product, channel=c.channel,
            region=c.region, first_responder_id=strawberry.ID(c.first_responder_id),
            handler_id=strawberry.ID(c.handler_id), filed_at=c.filed_at, due_at=c.due_at,
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
            version=c.version,
        )


@strawberry.federation.type(keys=["id"], description="A customer card; complaints adds the customer's complaints")
class Customer:
    id: strawberry.ID

    @strawberry.field(description="Every complaint of this customer, closed ones too, newest first")
    async def complaints(self, info: Info) -> list[Complaint]:
        caller(info)
        service = service_of(info)
        now = service.clock.now()
        return [Complaint.from_domain(c, now) for c in await service.store.of_customer(str(self.id))]

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.type
class ComplaintEdge:
    node: Complaint
    cursor: str


@strawberry.federation.type(shareable=True)  # the customer subgraph defines it too, with these fields
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class ComplaintConnection:
    edges: list[ComplaintEdge]
    page_info: PageInfo
    total_count: int


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
    escalated_to: strawberry.ID | None = strawberry.field(default=None, description="escalated to this manager")
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
    amount_fen: Fen | None = None
    promised_at: datetime | None = strawberry.field(default=None, description="the date promised to the customer")
    description: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def complaint(self, info: Info, id: strawberry.ID) -> Complaint | None:
        caller(info)
        service = service_of(info)
        found = await service.store.find(str(id))
        return Complaint.from_domain(found, service.clock.now()) if found else None

    @strawberry.field(description="CMP-7: search, newest first, with stable cursors")
    async def complaints(self, info: Info, filter: ComplaintFilter | None = None, first: int | None = 20,
                         after: str | None = None) -> ComplaintConnection:
        caller(info)
        service = service_of(info)
        page = await service.store.search(_filter(filter), 20 if first is None else first, after)
        now = service.clock.now()
        edges = [ComplaintEdge(node=Complaint.from_domain(c, now), cursor=cursor)
                 for c, cursor in zip(page.complaints, page.cursors, strict=True)]
        return ComplaintConnection(edges=edges, page_info=PageInfo(end_cursor=page.end_cursor,
                                                                   has_next_page=page.has_next_page),
                                   total_count=page.total_count)

    @strawberry.field(description="CMP-7 留档分析: by kind, responsibility, product, region, month; durations")
    async def complaint_statistics(self, info: Info, filter: ComplaintFilter | None = None) -> ComplaintStatistics:
        caller(info)
        stats = await service_of(info).store.statistics(_filter(filter))

        def counts(dimension: str) -> list[ComplaintCount]:
            return [ComplaintCount(key=key, count=n) for key, n in stats.by[dimension]]

        return ComplaintStatistics(
            total=stats.total, by_kind=counts("kind"), by_responsibility=counts("responsibility"),
            by_product=counts("product"), by_region=counts("region"), by_month=counts("month"),
            by_severity=counts("severity"), by_status=counts("status"),
            time_to_acknowledge=DurationStatistics.from_summary(stats.time_to_acknowledge),
            time_to_resolve=DurationStatistics.from_summary(stats.time_to_resolve),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CMP-2: anyone signed in; the caller becomes the first responder. "
                                     "An unknown customer is NOT_FOUND")
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> Complaint:
        principal = caller(info)
        service = service_of(info)
        cmd = handlers.FileComplaint(
            customer_id=str(input.customer_id), kind=input.kind, description=input.description,
            severity=input.severity or domain.Severity.MEDIUM, product=input.product, channel=input.channel,
            reason=input.reason, plan=input.plan,
            expected_resolution_at=_aware("expectedResolutionAt", input.expected_resolution_at))
        complaint = await handlers.file_complaint(cmd, principal, service.policy, service.uow())
        return _shown(complaint, info)

    @strawberry.mutation(description="CMP-2: the reason, plan and expected date given to the customer")
    async def record_first_response(self, info: Info, id: strawberry.ID, input: FirstResponseInput) -> Complaint:
        principal = caller(info)
        expected = _aware("expectedResolutionAt", input.expected_resolution_at)
        complaint = await handlers.record_first_response(str(id), input.reason, input.plan, expected, principal,
                                                         service_of(info).uow())
        return _shown(complaint, info)

    @strawberry.mutation(description="CMP-2: hand it to the responsible department; the first responder stays")
    async def hand_over_complaint(self, info: Info, id: strawberry.ID, handler_id: strawberry.ID,
                                  note: str) -> Complaint:
        principal = caller(info)
        complaint = await handlers.hand_over(str(id), str(handler_id), note, principal, service_of(info).uow())
        return _shown(complaint, info)

    @strawberry.mutation(description="CMP-3: RECEIVED → ACKNOWLEDGED (CMP-4: within 1 working day)")
    async def acknowledge_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        principal = caller(info)
        return _shown(await handlers.acknowledge(str(id), principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-3: ACKNOWLEDGED or REOPENED → INVESTIGATING")
    async def start_investigation(self, info: Info, id: strawberry.ID) -> Complaint:
        principal = caller(info)
        return _shown(await handlers.start_investigation(str(id), principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-5: who is responsible (during investigation); CMP-6: a SUPPLIER "
                                     "finding opens a claim against the supplier")
    async def record_finding(self, info: Info, id: strawberry.ID, input: FindingInput) -> Complaint:
        principal = caller(info)
        meeting = input.meeting
        cmd = handlers.RecordFinding(
            responsibility=input.responsibility, summary=input.summary, supplier=input.supplier,
            claim_amount_fen=input.claim_amount_fen,
            meeting=findings.Meeting(_aware("meeting.heldAt", meeting.held_at), tuple(meeting.parties),
                                     meeting.notes) if meeting else None)
        return _shown(await handlers.record_finding(str(id), cmd, principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-3: INVESTIGATING → RESOLUTION_PROPOSED, only once the finding is "
                                     "recorded (no concession before the cause is known); CMP-6: the remedy")
    async def propose_resolution(self, info: Info, id: strawberry.ID, input: ResolutionInput) -> Complaint:
        principal = caller(info)
        cmd = handlers.ProposeResolution(remedy=input.remedy, amount_fen=input.amount_fen,
                                         promised_at=_aware("promisedAt", input.promised_at),
                                         description=input.description)
        return _shown(await handlers.propose_resolution(str(id), cmd, principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-3: RESOLUTION_PROPOSED → RESOLVED (the customer accepted)")
    async def resolve_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        principal = caller(info)
        return _shown(await handlers.resolve(str(id), principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-3: RESOLVED (or INVESTIGATING, settled by the finding alone) → CLOSED; "
                                     "never without a finding (CMP-5)")
    async def close_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        principal = caller(info)
        return _shown(await handlers.close(str(id), principal, service_of(info).uow()), info)

    @strawberry.mutation(description="CMP-3: RESOLVED or CLOSED → REOPENED, then back into investigation")
    async def reopen_complaint(self, info: Info, id: strawberry.ID, reason: str) -> Complaint:
        principal = caller(info)
        service = service_of(info)
        return _shown(await handlers.reopen(str(id), reason, principal, service.policy, service.uow()), info)

    @strawberry.mutation(description="CMP-4: a later resolution deadline, only with the customer's acknowledgement")
    async def extend_deadline(self, info: Info, id: strawberry.ID, new_due_at: datetime,
                              customer_acknowledgement: str) -> Complaint:
        principal = caller(info)
        complaint = await handlers.extend_deadline(str(id), _aware("newDueAt", new_due_at),
                                                   customer_acknowledgement, principal, service_of(info).uow())
        return _shown(complaint, info)

    @strawberry.mutation(description="CMP-6: money the supplier paid back on its claim")
    async def record_claim_recovery(self, info: Info, id: strawberry.ID, amount_fen: Fen,
                                    note: str | None = None) -> Complaint:
        principal = caller(info)
        principal.require(*CLAIM_RECORDERS)
        complaint = await handlers.record_claim_recovery(str(id), amount_fen, note, principal,
                                                         service_of(info).uow())
        return _shown(complaint, info)

    @strawberry.mutation(description="CMP-6: give up on what the supplier still owes, saying why")
    async def write_off_claim(self, info: Info, id: strawberry.ID, reason: str) -> Complaint:
        principal = caller(info)
        principal.require(*CLAIM_WRITERS_OFF)
        return _shown(await handlers.write_off_claim(str(id), reason, principal, service_of(info).uow()), info)


def _filter(given: ComplaintFilter | None) -> Filter:
    return Filter(**vars(given)) if given else Filter()


def _aware(field: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(field, "needs a time zone (e.g. 2026-03-09T18:00:00+08:00)")
    return value


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _shown(complaint: domain.Complaint, info: Info) -> Complaint:
    return Complaint.from_domain(complaint, service_of(info).clock.now())


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
