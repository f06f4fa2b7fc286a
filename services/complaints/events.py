"""What the complaints desk tells the world: each domain event of a complaint as its published contract."""

from contracts.complaints import (
    ComplaintDeadlineNear,
    ComplaintEscalated,
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
)
from contracts.envelope import Event
from services.complaints.deadlines import DeadlineKind
from services.complaints.domain import ComplaintEvent, DeadlineNear, Escalated, Filed, Reopened, Resolved

MISSED = {DeadlineKind.ACKNOWLEDGE: "not acknowledged by ", DeadlineKind.RESOLUTION: "no resolution proposed by "}


def to_contract(event: ComplaintEvent) -> Event:
    match event:
        case Filed():  # CMP-2
            return ComplaintFiled(
                complaint_id=event.complaint_id, customer_id=event.customer_id, kind=event.kind.value,
                severity=event.severity.value, first_responder_id=event.first_responder_id, filed_at=event.at,
                reference=event.reference, region=event.region, product=event.product, due_at=event.due_at,
                invoice_ids=list(event.invoice_ids))
        case Resolved():  # CMP-3; CRD-8 downstream
            return ComplaintResolved(
                complaint_id=event.complaint_id, customer_id=event.customer_id,
                responsibility=event.responsibility.value if event.responsibility else "UNDETERMINED",
                resolved_at=event.at, kind=event.kind.value, remedy=event.remedy.value if event.remedy else None,
                amount_fen=event.amount_fen)
        case Reopened():
            return ComplaintReopened(complaint_id=event.complaint_id, customer_id=event.customer_id,
                                     kind=event.kind.value, reason=event.reason, reopened_by=event.by,
                                     reopened_at=event.at)
        case Escalated():  # CMP-4
            return ComplaintEscalated(
                complaint_id=event.complaint_id, customer_id=event.customer_id, escalated_to=event.escalated_to,
                reason=MISSED[event.deadline] + event.due_at.isoformat(), escalated_at=event.at,
                deadline=event.deadline.value, due_at=event.due_at, handler_id=event.handler_id, level=event.level)
        case DeadlineNear():  # CMP-4
            return ComplaintDeadlineNear(complaint_id=event.complaint_id, customer_id=event.customer_id,
                                         handler_id=event.handler_id, deadline=event.deadline.value,
                                         due_at=event.due_at, reminded_at=event.at)
    raise TypeError(f"the complaints desk does not publish {type(event).__name__}")
