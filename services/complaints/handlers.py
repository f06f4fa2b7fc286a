"""Use cases of the complaints desk: one function per command or consumed event.

Commands that move a complaint come from a `Principal`: who they are decides whether they may
(the complaints desk, managers, the complaint's first responder or its handler; see schema.py).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chassis.auth import Principal
from chassis.errors import Forbidden
from contracts.complaints import ComplaintEscalated, ComplaintFiled, ComplaintReopened, ComplaintResolved
from contracts.customer import CustomerRegistered
from services.complaints.deadlines import DeadlineKind, DeadlinePolicy
from services.complaints.domain import (
    HANDLING_ROLES,
    Channel,
    Complaint,
    ComplaintKind,
    KnownCustomer,
    Severity,
)
from services.complaints.findings import Meeting, Remedy, Responsibility
from services.complaints.store import ComplaintsUnitOfWork


@dataclass(frozen=True)
class FileComplaint:
    customer_id: str
    kind: ComplaintKind
    description: str
    severity: Severity = Severity.MEDIUM
    product: str | None = None
    channel: Channel | None = None
    reason: str | None = None  # CMP-2: not solved on the spot → reason, plan, expected resolution date
    plan: str | None = None
    expected_resolution_at: datetime | None = None


@dataclass(frozen=True)
class RecordFinding:
    responsibility: Responsibility
    summary: str
    supplier: str | None = None
    claim_amount_fen: int | None = None
    meeting: Meeting | None = None


@dataclass(frozen=True)
class ProposeResolution:
    remedy: Remedy
    amount_fen: int | None = None
    promised_at: datetime | None = None
    description: str | None = None


async def on_customer_registered(event: CustomerRegistered, uow: ComplaintsUnitOfWork) -> None:
    """Complaints are filed for customers we know: remember the id, the code and the region."""
    uow.complaints.remember(KnownCustomer(event.customer_id, event.code, event.region), uow)
    await uow.commit()


SUBSCRIPTIONS = {CustomerRegistered: on_customer_registered}


async def file_complaint(cmd: FileComplaint, by: Principal, policy: DeadlinePolicy,
                         uow: ComplaintsUnitOfWork) -> Complaint:
    """CMP-2: anyone may receive a complaint; the filer is its first responder."""
    customer = await uow.complaints.known_customer(cmd.customer_id)  # unknown → NOT_FOUND
    reference = await uow.complaints.next_reference()  # a refused filing leaves a gap: harmless
    complaint = Complaint.file(
        id=str(uuid.uuid4()), reference=reference, customer=customer, kind=cmd.kind, description=cmd.description,
        by=by.user_id, now=uow.now(), policy=policy, severity=cmd.severity, product=cmd.product, channel=cmd.channel,
        reason=cmd.reason, plan=cmd.plan, expected_resolution_at=cmd.expected_resolution_at,
    )
    uow.complaints.save(complaint, uow)
    uow.publish(ComplaintFiled(
        complaint_id=complaint.id, customer_id=complaint.customer_id, kind=complaint.kind.value,
        severity=complaint.severity.value, first_responder_id=complaint.first_responder_id,
        filed_at=complaint.filed_at, reference=complaint.reference, region=complaint.region,
        product=complaint.product, due_at=complaint.due_at,
    ))
    await uow.commit()
    return complaint


async def acknowledge(complaint_id: str, by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    complaint = await _load_for(by, complaint_id, uow)
    complaint.acknowledge(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def start_investigation(complaint_id: str, by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    complaint = await _load_for(by, complaint_id, uow)
    complaint.start_investigation(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_finding(complaint_id: str, cmd: RecordFinding, by: Principal, uow: ComplaintsUnitOfWork
                         ) -> Complaint:
    """CMP-5 (and CMP-6: a supplier at fault gets a claim opened against it)."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.record_finding(cmd.responsibility, cmd.summary, by=by.user_id, now=uow.now(), supplier=cmd.supplier,
                             claimed_fen=cmd.claim_amount_fen, meeting=cmd.meeting)
    return await _save(complaint, uow)


async def propose_resolution(complaint_id: str, cmd: ProposeResolution, by: Principal, uow: ComplaintsUnitOfWork
                             ) -> Complaint:
    """CMP-3: refused before the finding; CMP-6: the remedy and its amount."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.propose_resolution(cmd.remedy, by=by.user_id, now=uow.now(), amount_fen=cmd.amount_fen,
                                 promised_at=cmd.promised_at, description=cmd.description)
    return await _save(complaint, uow)


async def resolve(complaint_id: str, by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    complaint = await _load_for(by, complaint_id, uow)
    complaint.resolve(by=by.user_id, now=uow.now())
    uow.publish(_resolved(complaint))
    return await _save(complaint, uow)


async def close(complaint_id: str, by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    """Closed only with a finding (CMP-5); it stays searchable (CMP-7)."""
    complaint = await _load_for(by, complaint_id, uow)
    settled_by_the_finding = complaint.resolved_at is None
    complaint.close(by=by.user_id, now=uow.now())
    if settled_by_the_finding:  # closed from investigation: the dispute is over all the same
        uow.publish(_resolved(complaint))
    return await _save(complaint, uow)


async def reopen(complaint_id: str, reason: str, by: Principal, policy: DeadlinePolicy, uow: ComplaintsUnitOfWork
                 ) -> Complaint:
    """Back into investigation, with a new resolution deadline; the dispute is live again."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.reopen(reason, by=by.user_id, now=uow.now(), policy=policy)
    uow.publish(ComplaintReopened(complaint_id=complaint.id, customer_id=complaint.customer_id,
                                  kind=complaint.kind.value, reason=reason.strip(), reopened_by=by.user_id,
                                  reopened_at=uow.now()))
    return await _save(complaint, uow)


async def record_first_response(complaint_id: str, reason: str, plan: str, expected_resolution_at: datetime,
                                by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    """CMP-2: what the customer was told when it could not be solved on the spot."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.record_first_response(reason, plan, expected_resolution_at, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def hand_over(complaint_id: str, handler_id: str, note: str, by: Principal, uow: ComplaintsUnitOfWork
                    ) -> Complaint:
    """CMP-2: to the responsible department; the first responder stays on record."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.hand_over(handler_id, note, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def extend_deadline(complaint_id: str, new_due_at: datetime, customer_acknowledgement: str, by: Principal,
                          uow: ComplaintsUnitOfWork) -> Complaint:
    """CMP-4: a later deadline only with the customer's acknowledgement on record."""
    complaint = await _load_for(by, complaint_id, uow)
    complaint.extend_deadline(new_due_at, customer_acknowledgement, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_claim_recovery(complaint_id: str, amount_fen: int, note: str | None, by: Principal,
                                uow: ComplaintsUnitOfWork) -> Complaint:
    """CMP-6: the supplier paid back (part of) the claim. Who may: see schema.py (no handler check)."""
    complaint = await uow.complaints.get(complaint_id)
    complaint.record_claim_recovery(amount_fen, note, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def write_off_claim(complaint_id: str, reason: str, by: Principal, uow: ComplaintsUnitOfWork) -> Complaint:
    complaint = await uow.complaints.get(complaint_id)
    complaint.write_off_claim(reason, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def escalate_overdue(complaint_id: str, manager_of: Callable[[str], str | None],
                           uow: ComplaintsUnitOfWork) -> int:
    """CMP-4: each missed deadline goes to the handler's manager once; returns how many were escalated.

    The save is conditional on the version read, so of two replicas sweeping at once one escalates
    and the other gets a CONFLICT (and its unit of work publishes nothing)."""
    complaint = await uow.complaints.get(complaint_id)
    missed = complaint.escalate_overdue(uow.now(), manager_of)
    if not missed:
        return 0  # acknowledged meanwhile, or another replica was first
    uow.publish(*[ComplaintEscalated(
        complaint_id=complaint.id, customer_id=complaint.customer_id, escalated_to=deadline.escalated_to,
        reason=MISSED[deadline.kind] + deadline.due_at.isoformat(), escalated_at=uow.now(),
        deadline=deadline.kind.value, due_at=deadline.due_at, handler_id=complaint.handler_id,
    ) for deadline in missed])
    await _save(complaint, uow)  # also moves its `next_escalation_at` on
    return len(missed)


MISSED = {DeadlineKind.ACKNOWLEDGE: "not acknowledged by ", DeadlineKind.RESOLUTION: "no resolution proposed by "}


async def _load_for(by: Principal, complaint_id: str, uow: ComplaintsUnitOfWork) -> Complaint:
    """The complaint, if `by` may move it forward (the matrix is documented in schema.py)."""
    complaint = await uow.complaints.get(complaint_id)
    if not complaint.may_be_handled_by(by.user_id, by.roles):
        allowed = sorted(HANDLING_ROLES)
        raise Forbidden(f"only {', '.join(allowed)}, the first responder or the handler may move complaint "
                        f"{complaint.reference} forward", allowed=allowed)
    return complaint


async def _save(complaint: Complaint, uow: ComplaintsUnitOfWork) -> Complaint:
    uow.complaints.save(complaint, uow)
    await uow.commit()
    return complaint


def _resolved(complaint: Complaint) -> ComplaintResolved:
    resolution = complaint.resolution
    responsibility = complaint.responsibility
    return ComplaintResolved(
        complaint_id=complaint.id, customer_id=complaint.customer_id,
        responsibility=responsibility.value if responsibility else "UNDETERMINED",
        resolved_at=complaint.resolved_at, kind=complaint.kind.value,
        remedy=resolution.remedy.value if resolution else None,
        amount_fen=resolution.amount_fen if resolution else None,
    )
