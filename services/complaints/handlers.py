"""Use cases of the complaints desk: one function per command or consumed event.

Commands that move a complaint come from a `Principal`: who they are decides whether they may
(the complaints desk, managers, the complaint's first responder or its handler; see schema.py).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from chassis.auth import Principal
from chassis.directory import Department, on_staff_changed
from chassis.service import Service
from chassis.store import UnitOfWork
from contracts.customer import CustomerRegistered, CustomerUpdated
from contracts.ownership import OwnershipChanged, StaffChanged
from services.complaints import policy
from services.complaints.domain import (
    Channel,
    Complaint,
    ComplaintKind,
    KnownCustomer,
    Severity,
    department_handler,
)
from services.complaints.findings import Meeting, Remedy, Responsibility, Satisfaction
from services.complaints.settings import ComplaintsSettings
from services.complaints.store import ComplaintStore

Uow = UnitOfWork[ComplaintStore, ComplaintsSettings]
ComplaintsService = Service[ComplaintStore, ComplaintsSettings]


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
    invoice_ids: tuple[str, ...] = ()


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
    with_apology: bool = False
    no_replacement_available: bool = False


# -- consumed events ---------------------------------------------------------------------------------


async def on_customer_registered(event: CustomerRegistered, uow: Uow) -> None:
    """Complaints are filed for customers we know: remember the id, the code, the region, the first owner."""
    if await uow.store.find_customer(event.customer_id) is not None:
        return  # heard of already
    uow.store.save_customer(KnownCustomer(event.customer_id, event.code, event.region, event.registered_by), uow)
    await uow.commit()


async def on_customer_updated(event: CustomerUpdated, uow: Uow) -> None:
    """The customer's current region: where its complaints count (CMP-7) and who may see them."""
    customer = await uow.store.known_customer(event.customer_id)
    if customer.move_region(event.region, event.version):
        uow.store.save_customer(customer, uow)
        uow.store.follow_customer(customer, uow)
        await uow.commit()


async def on_ownership_changed(event: OwnershipChanged, uow: Uow) -> None:
    """The customer's owner sees its complaints (need-to-know)."""
    customer = await uow.store.known_customer(event.customer_id)
    if customer.change_owner(event.owner_id, event.changed_at):
        uow.store.save_customer(customer, uow)
        uow.store.follow_customer(customer, uow)
        await uow.commit()


SUBSCRIPTIONS = {CustomerRegistered: on_customer_registered, CustomerUpdated: on_customer_updated,
                 OwnershipChanged: on_ownership_changed, StaffChanged: on_staff_changed}


# -- commands ------------------------------------------------------------------------------------------


async def file_complaint(cmd: FileComplaint, by: Principal, uow: Uow) -> Complaint:
    """CMP-2: anyone may receive a complaint; the filer is its first responder."""
    customer = await uow.store.known_customer(cmd.customer_id)  # unknown → NOT_FOUND
    reference = await uow.store.next_reference()  # a refused filing leaves a gap: harmless
    complaint = Complaint.file(
        id=str(uuid.uuid4()), reference=reference, customer=customer, kind=cmd.kind, description=cmd.description,
        by=by.user_id, now=uow.now(), policy=uow.settings.deadline_policy, severity=cmd.severity,
        product=cmd.product, channel=cmd.channel, reason=cmd.reason, plan=cmd.plan,
        expected_resolution_at=cmd.expected_resolution_at, invoice_ids=cmd.invoice_ids,
    )
    return await _save(complaint, uow)


async def acknowledge(complaint_id: str, by: Principal, uow: Uow) -> Complaint:
    complaint = await uow.store.get(complaint_id)
    policy.require_may_respond(by, complaint)
    complaint.acknowledge(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def solve_on_the_spot(complaint_id: str, responsibility: Responsibility, summary: str, by: Principal,
                            uow: Uow) -> Complaint:
    """CMP-2: the first responder solved it while the customer was there."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_respond(by, complaint)
    complaint.solve_on_the_spot(responsibility, summary, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_first_response(complaint_id: str, reason: str, plan: str, expected_resolution_at: datetime,
                                by: Principal, uow: Uow) -> Complaint:
    """CMP-2: what the customer was told when it could not be solved on the spot."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_respond(by, complaint)
    complaint.record_first_response(reason, plan, expected_resolution_at, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def hand_over(complaint_id: str, department: Department, handler_id: str | None, note: str, by: Principal,
                    uow: Uow) -> Complaint:
    """CMP-2: to the responsible department (the person named there, else its head); the first responder
    stays on record."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_respond(by, complaint)
    handler = department_handler(department, await uow.store.directory.in_department(department), handler_id)
    complaint.hand_over(department, handler, note, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def start_investigation(complaint_id: str, by: Principal, uow: Uow) -> Complaint:
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.start_investigation(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_finding(complaint_id: str, cmd: RecordFinding, by: Principal, uow: Uow) -> Complaint:
    """CMP-5 (and CMP-6: a supplier at fault gets a claim opened against it)."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.record_finding(cmd.responsibility, cmd.summary, by=by.user_id, now=uow.now(), supplier=cmd.supplier,
                             claimed_fen=cmd.claim_amount_fen, meeting=cmd.meeting)
    return await _save(complaint, uow)


async def propose_resolution(complaint_id: str, cmd: ProposeResolution, by: Principal, uow: Uow) -> Complaint:
    """CMP-3: refused before the finding; CMP-6: the remedy and its amount."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_propose(by, complaint, cmd.remedy)
    complaint.propose_resolution(cmd.remedy, by=by.user_id, now=uow.now(), amount_fen=cmd.amount_fen,
                                 promised_at=cmd.promised_at, description=cmd.description,
                                 with_apology=cmd.with_apology, no_replacement_available=cmd.no_replacement_available)
    return await _save(complaint, uow)


async def resolve(complaint_id: str, by: Principal, uow: Uow) -> Complaint:
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.resolve(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def close(complaint_id: str, by: Principal, uow: Uow) -> Complaint:
    """Closed only with a finding (CMP-5); it stays searchable (CMP-7)."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.close(by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_satisfaction(complaint_id: str, score: int, comment: str | None, by: Principal, uow: Uow
                              ) -> Complaint:
    """CMP-7: the customer's satisfaction with a closed complaint, as its handler, SERVICE or a manager heard it."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.record_satisfaction(Satisfaction.said(score, comment, uow.now()))
    return await _save(complaint, uow)


async def reopen(complaint_id: str, reason: str, by: Principal, uow: Uow) -> Complaint:
    """Back into investigation, with a new resolution deadline; the dispute is live again."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.reopen(reason, by=by.user_id, now=uow.now(), policy=uow.settings.deadline_policy)
    return await _save(complaint, uow)


async def extend_deadline(complaint_id: str, new_due_at: datetime, customer_acknowledgement: str, by: Principal,
                          uow: Uow) -> Complaint:
    """CMP-4: a later deadline only with the customer's acknowledgement on record."""
    complaint = await uow.store.get(complaint_id)
    policy.require_may_handle(by, complaint)
    complaint.extend_deadline(new_due_at, customer_acknowledgement, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def record_claim_recovery(complaint_id: str, amount_fen: int, note: str | None, by: Principal,
                                uow: Uow) -> Complaint:
    """CMP-6: the supplier paid back (part of) the claim."""
    policy.require_may_record_recovery(by)
    complaint = await uow.store.get(complaint_id)
    complaint.record_claim_recovery(amount_fen, note, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def write_off_claim(complaint_id: str, reason: str, by: Principal, uow: Uow) -> Complaint:
    policy.require_may_write_off(by)
    complaint = await uow.store.get(complaint_id)
    complaint.write_off_claim(reason, by=by.user_id, now=uow.now())
    return await _save(complaint, uow)


async def escalate_overdue(complaint_id: str, uow: Uow) -> int:
    """CMP-4: each missed deadline goes to whom the staff directory names, then one level higher while it stays
    missed; returns how many went.

    The save is conditional on the version read, so of two replicas sweeping at once one escalates
    and the other retries, finds it escalated, and publishes nothing."""
    complaint = await uow.store.get(complaint_id)
    line = await uow.store.escalation_line(complaint.handler_id, complaint.region, complaint.escalated_to)
    looked_at = complaint.next_escalation_at
    missed = complaint.escalate_overdue(uow.now(), line, uow.settings.deadline_policy)
    if not missed and complaint.next_escalation_at == looked_at:
        return 0  # acknowledged meanwhile, or another replica was first
    await _save(complaint, uow)  # moves its `next_escalation_at` on (past the top: none)
    return len(missed)


async def remind_of_deadlines(complaint_id: str, uow: Uow) -> bool:
    """CMP-4: the handler hears of each deadline coming due, once; True if the complaint changed."""
    complaint = await uow.store.get(complaint_id)
    if not complaint.remind_of_deadlines(uow.now(), uow.settings.deadline_policy):
        return False  # met, escalated or reminded meanwhile
    await _save(complaint, uow)
    return True


async def _save(complaint: Complaint, uow: Uow) -> Complaint:
    uow.store.save(complaint, uow)
    await uow.commit()
    return complaint
