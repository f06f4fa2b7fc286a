"""客户投诉管理: a complaint, its first responder, its flow, its deadlines, its finding and remedy.

Plain Python: no I/O, no framework; time comes in as `now`. The flow (CMP-3) is the table in
flow.py; a refused move names the ones the complaint allows now.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.auth import Role
from chassis.directory import Department, StaffRecord, head_of
from chassis.errors import Invalid, RuleViolation
from services.complaints.claims import SupplierClaim
from services.complaints.deadlines import Deadline, DeadlineKind, DeadlinePolicy
from services.complaints.findings import (
    Finding,
    Meeting,
    Party,
    Remedy,
    Resolution,
    Responsibility,
    Satisfaction,
    check_meeting,
    check_remedy,
)
from services.complaints.flow import FLOW, IN_PLACE, UNRESOLVED, Action, ComplaintStatus

SYSTEM = "system"
MAX_TEXT = 4000


class ComplaintKind(StrEnum):
    """CMP-1."""

    PRODUCT_QUALITY = "PRODUCT_QUALITY"  # 商品质量
    PURCHASE_CONTRACT = "PURCHASE_CONTRACT"  # 购销合同
    TRANSPORT = "TRANSPORT"  # 货物运输
    SERVICE = "SERVICE"  # 服务


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Channel(StrEnum):
    """CMP-2: how the first responder received it."""

    VISIT = "VISIT"
    PHONE = "PHONE"
    LETTER = "LETTER"
    ONLINE = "ONLINE"


@dataclass
class KnownCustomer:
    """A customer this service heard of (`customer.registered`), with its region and owner as the archive and
    ownership last announced them: who may see its complaints (CUS-9) and where they count (CMP-7)."""

    id: str
    code: str | None = None
    region: str | None = None
    owner_id: str | None = None
    card_version: int = 0
    owner_changed_at: datetime | None = None
    version: int = 0

    def move_region(self, region: str | None, card_version: int) -> bool:
        """The region of the card at `card_version`; an older update arriving late is ignored."""
        if card_version <= self.card_version:
            return False
        self.region, self.card_version = region, card_version
        return True

    def change_owner(self, owner_id: str | None, changed_at: datetime) -> bool:
        """The owner ownership announced; an older announcement arriving late is ignored."""
        if self.owner_changed_at is not None and changed_at < self.owner_changed_at:
            return False
        self.owner_id, self.owner_changed_at = owner_id, changed_at
        return True


@dataclass(frozen=True)
class FirstResponse:
    """CMP-2: not solved on the spot → the customer is told the reason, the plan and a date."""

    reason: str
    plan: str
    expected_resolution_at: datetime
    by: str
    at: datetime


@dataclass(frozen=True)
class Step:
    """CMP-3: who did what when, the status after it, and the customer-facing promise at that moment."""

    action: Action
    by: str
    at: datetime
    status: ComplaintStatus
    note: str
    promised_at: datetime | None = None


# -- what a change of a complaint tells the world (`events.py` turns them into contracts) ---------


@dataclass(frozen=True)
class Filed:
    complaint_id: str
    reference: str
    customer_id: str
    kind: ComplaintKind
    severity: Severity
    first_responder_id: str
    region: str | None
    product: str | None
    at: datetime
    due_at: datetime | None
    invoice_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolved:
    """The dispute is over: the customer accepted the resolution, or it was closed on the finding alone."""

    complaint_id: str
    customer_id: str
    kind: ComplaintKind
    responsibility: Responsibility | None
    remedy: Remedy | None
    amount_fen: int | None
    at: datetime


@dataclass(frozen=True)
class Reopened:
    complaint_id: str
    customer_id: str
    kind: ComplaintKind
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Escalated:
    """CMP-4: a missed deadline went to the handler's manager."""

    complaint_id: str
    customer_id: str
    deadline: DeadlineKind
    due_at: datetime
    escalated_to: str | None
    handler_id: str
    at: datetime
    level: int = 1  # 1: the first escalation; 2, 3: one level higher each time it stays missed


@dataclass(frozen=True)
class DeadlineNear:
    """CMP-4: a deadline is coming due; its handler hears of it before it is missed."""

    complaint_id: str
    customer_id: str
    deadline: DeadlineKind
    due_at: datetime
    handler_id: str
    at: datetime


ComplaintEvent = Filed | Resolved | Reopened | Escalated | DeadlineNear


@dataclass(frozen=True)
class EscalationLine:
    """CMP-4: what the staff directory (ownership's `staff.changed`) says about an escalation: the handler's
    manager, the regional managers of the customer's region, the sales managers (each by user id)."""

    handler_manager: str | None = None
    region_managers: tuple[str, ...] = ()
    sales_managers: tuple[str, ...] = ()
    general_managers: tuple[str, ...] = ()
    managers: Mapping[str, str] = field(default_factory=dict)  # each earlier escalation's target → their manager

    def escalation_to(self, region: str | None) -> str:
        """The handler's manager; else a regional manager of the region; else a sales manager. Never nobody:
        with nobody in the directory, the role itself is named as credit's alerts name it
        (`REGION_MANAGER:east`, `SALES_MANAGER`), and whoever holds it sees it."""
        person = self.handler_manager or next(iter(self.region_managers), None) or next(
            iter(self.sales_managers), None)
        if person is not None:
            return person
        return f"{Role.REGION_MANAGER}:{region}" if region else str(Role.SALES_MANAGER)

    def above(self, person: str, region: str | None) -> str | None:
        """One level higher than `person`: their own manager; else the next rank up — regional manager, sales
        manager, general manager — the first of it in the directory, or the rank itself; None above the top."""
        if boss := self.managers.get(person):
            return boss
        ranks = [(self.region_managers, f"{Role.REGION_MANAGER}:{region}" if region else None),
                 (self.sales_managers, str(Role.SALES_MANAGER)),
                 (self.general_managers, str(Role.GENERAL_MANAGER))]
        held = [i for i, (people, role) in enumerate(ranks) if person in people or person == role]
        for people, role in ranks[(held[0] + 1 if held else 0):]:
            if people or role:
                return people[0] if people else role
        return None


def department_handler(department: Department, members: list[StaffRecord], named: str | None) -> StaffRecord:
    """CMP-2: who answers for a complaint handed to `department`: the person named, who must work there, or
    else the department's head. A complaint is never handed to a department with nobody in it."""
    if named is not None:
        person = next((m for m in members if m.id == named), None)
        if person is None:
            raise Invalid("handlerId", f"{named} does not work in {department} (staff directory)")
        return person
    head = head_of(members)
    if head is None:
        raise RuleViolation("CMP-2", f"nobody works in {department} according to the staff directory: name the "
                            "department's people there first, so the complaint is not left with nobody",
                            department=str(department))
    return head


@dataclass
class Complaint:
    id: str
    reference: str
    customer_id: str
    kind: ComplaintKind
    severity: Severity
    description: str
    first_responder_id: str
    handler_id: str
    filed_at: datetime
    month: str  # local 'YYYY-MM' of filing: statistics group by it (CMP-7)
    region: str | None = None  # the customer's, kept current (CMP-7, need-to-know)
    owner_id: str | None = None  # the customer's owner, kept current (need-to-know)
    product: str | None = None
    channel: Channel | None = None
    invoice_ids: tuple[str, ...] = ()  # the invoices it concerns: a quality or contract dispute holds them (CRD-8)
    department: Department | None = None  # CMP-2: the responsible department it was handed to, if it was
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    round: int = 1  # reopening starts a new round of investigation
    first_response: FirstResponse | None = None
    promised_at: datetime | None = None
    findings: list[Finding] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    claim: SupplierClaim | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    satisfaction: Satisfaction | None = None  # the customer's, at closing (the latest closing's, if reopened)
    version: int = 0
    events: list[ComplaintEvent] = field(default_factory=list, repr=False, compare=False)  # new, not stored

    # -- CMP-2: filing; the filer is the first responder ------------------------------------------

    @classmethod
    def file(cls, *, id: str, reference: str, customer: KnownCustomer, kind: ComplaintKind, description: str,
             by: str, now: datetime, policy: DeadlinePolicy, severity: Severity = Severity.MEDIUM,
             product: str | None = None, channel: Channel | None = None, reason: str | None = None,
             plan: str | None = None, expected_resolution_at: datetime | None = None,
             invoice_ids: tuple[str, ...] = ()) -> "Complaint":
        """Anyone may receive a complaint; whoever records it is its first responder and first handler."""
        complaint = cls(
            id=id, reference=reference, customer_id=customer.id, kind=kind, severity=severity,
            description=_text("description", description), first_responder_id=by, handler_id=by, filed_at=now,
            month=policy.calendar.month_of(now), region=customer.region, owner_id=customer.owner_id,
            product=_optional_text("product", product),
            channel=channel, invoice_ids=tuple(dict.fromkeys(invoice_ids)),
            deadlines=[Deadline(DeadlineKind.ACKNOWLEDGE, policy.acknowledge_by(now), SYSTEM, now),
                       Deadline(DeadlineKind.RESOLUTION, policy.resolution_by(now, severity), SYSTEM, now)],
        )
        complaint._record(Action.FILE, by, now, f"{kind.value}, {severity.value}: {complaint.description}")
        if any(given is not None for given in (reason, plan, expected_resolution_at)):
            complaint.record_first_response(reason, plan, expected_resolution_at, by=by, now=now)
        complaint.events.append(Filed(id, reference, customer.id, kind, severity, by, complaint.region,
                                      complaint.product, now, complaint.due_at, complaint.invoice_ids))
        return complaint

    def record_first_response(self, reason: str | None, plan: str | None, expected_resolution_at: datetime | None,
                              *, by: str, now: datetime) -> None:
        """CMP-2: not solved on the spot → the reason, the plan and the expected resolution date, all three."""
        self._check_allowed(Action.RECORD_FIRST_RESPONSE)
        missing = [name for name, value in (("reason", reason), ("plan", plan)) if not (value or "").strip()]
        missing += ["expectedResolutionAt"] if expected_resolution_at is None else []
        if missing:
            raise RuleViolation("CMP-2", "a complaint not solved on the spot needs the reason, the plan and the "
                                f"expected resolution date told to the customer; missing: {', '.join(missing)}",
                                missing=missing)
        assert expected_resolution_at is not None
        if expected_resolution_at <= now:
            raise Invalid("expectedResolutionAt", "must be in the future")
        told = FirstResponse(_text("reason", reason), _text("plan", plan), expected_resolution_at, by, now)
        self.first_response, self.promised_at = told, expected_resolution_at
        self._record(Action.RECORD_FIRST_RESPONSE, by, now, f"reason: {told.reason}; plan: {told.plan}")

    def hand_over(self, department: Department, handler: StaffRecord, note: str, *, by: str, now: datetime) -> None:
        """CMP-2: the first responder may hand it to the responsible department, to a person of it who answers
        for it from now on; they stay on record."""
        self._check_allowed(Action.HAND_OVER)
        note = _text("note", note)
        if handler.id == self.handler_id:
            raise Invalid("handlerId", f"{handler.id} already handles this complaint")
        previous, self.handler_id, self.department = self.handler_id, handler.id, department
        self._record(Action.HAND_OVER, by, now, f"{previous} → {handler.id} ({department}): {note}")

    # -- CMP-3: the flow ----------------------------------------------------------------------------

    def acknowledge(self, *, by: str, now: datetime) -> None:
        """CMP-2: taken on only once the customer was told the reason, the plan and the expected date."""
        self._check_allowed(Action.ACKNOWLEDGE)
        if self.first_response is None:
            raise RuleViolation("CMP-2", "the customer has not been told the reason, the plan and the expected "
                                "resolution date: record the first response, or solve it on the spot",
                                status=self.status.value)
        self._move(Action.ACKNOWLEDGE, by, now, "acknowledged to the customer")
        self.acknowledged_at = self.acknowledged_at or now
        self._meet(DeadlineKind.ACKNOWLEDGE, now)

    def solve_on_the_spot(self, responsibility: Responsibility, summary: str, *, by: str, now: datetime) -> None:
        """CMP-2: solved while the customer was there (a visit, a call): what was found and done is recorded
        and the complaint closes at once. Only the company's or the customer's own fault is settled so (the
        conversation is the meeting of the two, CMP-5); a carrier, a supplier or a doubt needs investigating."""
        self._check_allowed(Action.SOLVE_ON_THE_SPOT)
        if responsibility not in (Responsibility.COMPANY, Responsibility.CUSTOMER):
            raise Invalid("responsibility", f"a {responsibility.value} fault is investigated, not settled on the spot")
        summary = _text("summary", summary)
        meeting = None if responsibility is Responsibility.COMPANY else Meeting(now, (Party.CUSTOMER, Party.COMPANY),
                                                                                 summary)
        self.findings.append(Finding(responsibility, summary, by, now, self.round, None, meeting))
        self._move(Action.SOLVE_ON_THE_SPOT, by, now, f"solved on the spot ({responsibility.value}): {summary}")
        self.acknowledged_at = self.resolved_at = self.closed_at = now
        self._meet(DeadlineKind.ACKNOWLEDGE, now)
        self._meet(DeadlineKind.RESOLUTION, now)
        self._resolved(now)

    def start_investigation(self, *, by: str, now: datetime) -> None:
        self._move(Action.START_INVESTIGATION, by, now, "investigation started")

    def record_finding(self, responsibility: Responsibility, summary: str, *, by: str, now: datetime,
                       supplier: str | None = None, claimed_fen: int | None = None,
                       meeting: Meeting | None = None) -> None:
        """CMP-5: who is responsible; a finding that does not blame the company records the meeting of
        the parties, the customer among them. CMP-6: a supplier at fault gets a claim opened."""
        self._check_allowed(Action.RECORD_FINDING)
        summary = _text("summary", summary)
        check_meeting(meeting, responsibility, now)
        supplier = _optional_text("supplier", supplier)
        if responsibility is Responsibility.SUPPLIER:
            if supplier is None:
                raise Invalid("supplier", "must name the supplier at fault")
            if claimed_fen is None or claimed_fen <= 0:
                raise Invalid("claimAmountFen", "must be the positive amount claimed from the supplier")
        elif supplier is not None or claimed_fen is not None:
            raise Invalid("supplier", "a supplier and a claim go with a SUPPLIER finding only")
        finding = Finding(responsibility, summary, by, now, self.round, supplier, meeting)
        self.findings.append(finding)
        self._record(Action.RECORD_FINDING, by, now, f"{responsibility.value}: {summary}")
        self._follow_finding_with_claim(finding, claimed_fen, now)

    def propose_resolution(self, remedy: Remedy, *, by: str, now: datetime, amount_fen: int | None = None,
                           promised_at: datetime | None = None, description: str | None = None,
                           with_apology: bool = False, no_replacement_available: bool = False) -> None:
        """CMP-3: no concession before the cause is known. CMP-6: the remedy the fault calls for; money only
        without a replacement, with its amount."""
        self._check_allowed(Action.PROPOSE_RESOLUTION)
        if self.finding is None:
            raise RuleViolation("CMP-3", "no concession is offered before the cause is known: record the finding "
                                "of the investigation first", status=self.status.value)
        check_remedy(remedy, amount_fen, responsibility=self.finding.responsibility, with_apology=with_apology,
                     no_replacement_available=no_replacement_available)
        if promised_at is not None and promised_at <= now:
            raise Invalid("promisedAt", "must be in the future")
        proposal = Resolution(remedy, by, now, self.round, amount_fen, promised_at,
                              _optional_text("description", description), with_apology, no_replacement_available)
        self.resolutions.append(proposal)
        self.promised_at = promised_at or self.promised_at
        what = remedy.value + (" with an apology" if with_apology else "") + (
            f" {amount_fen} fen" if amount_fen is not None else "") + (
            f": {proposal.description}" if proposal.description else "")
        self._move(Action.PROPOSE_RESOLUTION, by, now, what)
        self._meet(DeadlineKind.RESOLUTION, now)

    def resolve(self, *, by: str, now: datetime) -> None:
        self._move(Action.RESOLVE, by, now, "the customer accepted the resolution")
        self.resolved_at = now
        self._resolved(now)

    def close(self, *, by: str, now: datetime) -> None:
        self._check_allowed(Action.CLOSE)
        if self.finding is None:
            raise RuleViolation("CMP-5", "a complaint is closed only with a finding of who is responsible",
                                status=self.status.value)
        self._move(Action.CLOSE, by, now, "closed")
        self.closed_at = now
        if self.resolved_at is None:  # settled by the finding alone: no remedy was due; the dispute is over
            self.resolved_at = now
            self._meet(DeadlineKind.RESOLUTION, now)
            self._resolved(now)

    def record_satisfaction(self, satisfaction: Satisfaction) -> None:
        """CMP-7: how satisfied the customer is, asked when the complaint closed (again after a reopening)."""
        if self.status is not ComplaintStatus.CLOSED:
            raise RuleViolation("CMP-7", "the customer's satisfaction is asked once the complaint is closed",
                                status=self.status.value)
        self.satisfaction = satisfaction

    def _resolved(self, now: datetime) -> None:
        resolution = self.resolution
        self.events.append(Resolved(self.id, self.customer_id, self.kind, self.responsibility,
                                    resolution.remedy if resolution else None,
                                    resolution.amount_fen if resolution else None, now))

    def reopen(self, reason: str, *, by: str, now: datetime, policy: DeadlinePolicy) -> None:
        """Back into investigation: a new round needs its own finding and gets a new resolution deadline."""
        reason = _text("reason", reason)
        self._move(Action.REOPEN, by, now, f"reopened: {reason}")
        self.round += 1
        self.resolved_at = self.closed_at = None
        self.deadlines.append(Deadline(DeadlineKind.RESOLUTION, policy.resolution_by(now, self.severity), SYSTEM,
                                       now))
        self.events.append(Reopened(self.id, self.customer_id, self.kind, reason, by, now))  # the dispute is live

    # -- CMP-4: deadlines ---------------------------------------------------------------------------

    def extend_deadline(self, new_due_at: datetime, customer_acknowledgement: str, *, by: str,
                        now: datetime) -> None:
        """A later resolution deadline only with the customer's recorded acknowledgement (取得谅解, 凭证)."""
        self._check_allowed(Action.EXTEND_DEADLINE)
        if not (customer_acknowledgement or "").strip():
            raise RuleViolation("CMP-4", "extending the deadline needs the customer's recorded acknowledgement")
        current = self._running(DeadlineKind.RESOLUTION)
        if current is None:
            raise RuleViolation("CMP-4", "no resolution deadline is running")
        if new_due_at <= max(current.due_at, now):
            raise Invalid("newDueAt", f"must be later than the current deadline {current.due_at.isoformat()}")
        current.superseded_at = now
        self.deadlines.append(Deadline(DeadlineKind.RESOLUTION, new_due_at, by, now,
                                       customer_acknowledgement=_text("customerAcknowledgement",
                                                                      customer_acknowledgement)))
        self._record(Action.EXTEND_DEADLINE, by, now, f"resolution deadline {current.due_at.isoformat()} → "
                     f"{new_due_at.isoformat()}; customer: {customer_acknowledgement.strip()}")

    def escalate_overdue(self, now: datetime, line: EscalationLine, policy: DeadlinePolicy | None = None
                         ) -> list[Deadline]:
        """CMP-4: a missed deadline goes to whom the directory names (`EscalationLine.escalation_to`); still missed
        `escalate_again_working_days` later, one level higher (`EscalationLine.above`), up to the top."""
        policy = policy or DeadlinePolicy()
        missed = [d for d in self.deadlines if d.missed(now)]
        for deadline in missed:
            first = deadline.escalated_at is None
            to = line.escalation_to(self.region) if first else line.above(deadline.escalated_to or "", self.region)
            if to is None:  # at the top already
                deadline.again_at = None
                continue
            deadline.escalated_at, deadline.escalated_to, deadline.level = now, to, deadline.level + 1
            deadline.again_at = policy.calendar.end_of_working_days(now, policy.escalate_again_working_days)
            self._record(Action.ESCALATE, SYSTEM, now,
                         f"{deadline.kind.value} deadline {deadline.due_at.isoformat()} missed; escalated to {to}"
                         + ("" if first else f" (level {deadline.level})"))
            self.events.append(Escalated(self.id, self.customer_id, deadline.kind, deadline.due_at,
                                         deadline.escalated_to, self.handler_id, now, deadline.level))
        return [d for d in missed if d.escalated_at == now]

    def remind_of_deadlines(self, now: datetime, policy: DeadlinePolicy) -> bool:
        """CMP-4: each deadline coming due is told to the handler once, `remind_hours_before` ahead; one the sweep
        reaches only once it is missed is left to the escalation. True if anything changed."""
        due = [d for d in self.deadlines if (at := d.remind_at(policy)) is not None and at <= now]
        for deadline in due:
            deadline.reminded_at = now
            if now < deadline.due_at:
                self.events.append(DeadlineNear(self.id, self.customer_id, deadline.kind, deadline.due_at,
                                                self.handler_id, now))
        return bool(due)

    @property
    def next_to_remind(self) -> datetime | None:
        """The earliest due date its handler has not been reminded of (the sweep asks for those due soon)."""
        return min((d.due_at for d in self.deadlines if d.to_remind), default=None)

    @property
    def due_at(self) -> datetime | None:
        """The next deadline the complaint must meet (acknowledge, then propose a resolution)."""
        return min((d.due_at for d in self.deadlines if d.running), default=None)

    @property
    def next_escalation_at(self) -> datetime | None:
        """When the sweep must look at it next: the earliest running deadline to escalate, first or again."""
        return min((at for d in self.deadlines if (at := d.next_escalation_at) is not None), default=None)

    def deadline(self, kind: DeadlineKind) -> Deadline | None:
        """The latest deadline of this kind (met or not)."""
        return next((d for d in reversed(self.deadlines) if d.kind is kind and d.superseded_at is None), None)

    @property
    def escalated_to(self) -> list[str]:
        return sorted({d.escalated_to for d in self.deadlines if d.escalated_to})

    # -- CMP-5 / CMP-6 --------------------------------------------------------------------------------

    @property
    def finding(self) -> Finding | None:
        """The finding of this round of investigation (a reopened complaint is investigated again)."""
        last = self.findings[-1] if self.findings else None
        return last if last and last.round == self.round else None

    @property
    def resolution(self) -> Resolution | None:
        last = self.resolutions[-1] if self.resolutions else None
        return last if last and last.round == self.round else None

    @property
    def responsibility(self) -> Responsibility | None:
        """For statistics: the latest finding, of any round."""
        return self.findings[-1].responsibility if self.findings else None

    def record_claim_recovery(self, amount_fen: int, note: str | None, *, by: str, now: datetime) -> None:
        claim = self._claim()
        claim.record_recovery(amount_fen, _optional_text("note", note), by=by, now=now)
        self._record(Action.RECORD_CLAIM_RECOVERY, by, now, f"{amount_fen} fen recovered from {claim.supplier}; "
                     f"{claim.recovered_fen}/{claim.claimed_fen} fen, {claim.status.value}")

    def write_off_claim(self, reason: str, *, by: str, now: datetime) -> None:
        claim = self._claim()
        outstanding = claim.outstanding_fen
        claim.write_off(reason, by=by, now=now)
        self._record(Action.WRITE_OFF_CLAIM, by, now, f"{outstanding} fen written off: {reason.strip()}")

    def _claim(self) -> SupplierClaim:
        if self.claim is None:
            raise RuleViolation("CMP-6", "there is no claim against a supplier for this complaint")
        return self.claim

    def _follow_finding_with_claim(self, finding: Finding, claimed_fen: int | None, now: datetime) -> None:
        """CMP-6: a supplier at fault → a claim against it (a revised finding updates an untouched claim)."""
        claim = self.claim
        if finding.responsibility is Responsibility.SUPPLIER:
            assert finding.supplier is not None and claimed_fen is not None
            if claim is not None and claim.recoveries:
                return  # money already came back on it: the claim stands as it is
            revised = claim is not None and not claim.is_settled
            self.claim = SupplierClaim(finding.supplier, claimed_fen, finding.by, now)
            self._record(Action.OPEN_CLAIM, finding.by, now, f"claim {'revised' if revised else 'opened'} "
                         f"against {finding.supplier}: {claimed_fen} fen")
        elif claim is not None and claim.withdraw(by=finding.by, now=now):
            self._record(Action.WITHDRAW_CLAIM, finding.by, now, f"claim against {claim.supplier} withdrawn")

    # -- CMP-7 ----------------------------------------------------------------------------------------

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self.acknowledged_at - self.filed_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved_at - self.filed_at if self.resolved_at else None

    # -- the state machine ----------------------------------------------------------------------------

    def allowed_actions(self) -> list[Action]:
        """What the flow allows now (whoever asks)."""
        allowed = list(FLOW[self.status]) + [a for a, states in IN_PLACE.items() if self.status in states]
        if self.claim is not None and not self.claim.is_settled:
            allowed += [Action.RECORD_CLAIM_RECOVERY, Action.WRITE_OFF_CLAIM]
        return allowed

    @property
    def awaiting_first_response(self) -> bool:
        """CMP-2: not solved yet and the customer not yet told the reason, plan and expected date."""
        return self.first_response is None and self.status in UNRESOLVED

    def _check_allowed(self, action: Action) -> None:
        if action in FLOW[self.status] or self.status in IN_PLACE.get(action, ()):
            return
        moves = FLOW[self.status]
        allowed = [a.value for a in self.allowed_actions()]
        described = ", ".join(f"{a.value} → {moves[a].value}" if a in moves else a.value
                              for a in self.allowed_actions())
        raise RuleViolation("CMP-3", f"{action.value} is not allowed on a {self.status.value} complaint; "
                            f"allowed now: {described or 'nothing'}", status=self.status.value, allowed=allowed,
                            allowedStatuses=sorted({s.value for s in moves.values()}))

    def _move(self, action: Action, by: str, now: datetime, note: str) -> None:
        self._check_allowed(action)
        self.status = FLOW[self.status][action]
        self._record(action, by, now, note)

    def _meet(self, kind: DeadlineKind, now: datetime) -> None:
        for deadline in self.deadlines:
            if deadline.kind is kind and deadline.running:
                deadline.met_at = now

    def _running(self, kind: DeadlineKind) -> Deadline | None:
        return next((d for d in reversed(self.deadlines) if d.kind is kind and d.running), None)

    def _record(self, action: Action, by: str, now: datetime, note: str) -> None:
        self.steps.append(Step(action, by, now, self.status, note, self.promised_at))


def _text(name: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(name, "must not be empty")
    if len(text) > MAX_TEXT:
        raise Invalid(name, f"is longer than {MAX_TEXT} characters")
    return text


def _optional_text(name: str, value: str | None) -> str | None:
    return _text(name, value) if value is not None and value.strip() else None
