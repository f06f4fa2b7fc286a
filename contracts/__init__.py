"""The published language between services: every event type, in one registry."""

from contracts.access import AccessRecorded
from contracts.complaints import (
    ComplaintDeadlineNear,
    ComplaintEscalated,
    ComplaintFiled,
    ComplaintReopened,
    ComplaintResolved,
)
from contracts.credit import (
    CreditAlertRaised,
    CreditHoldChanged,
    CreditInvoiceOverdue,
    CreditLimitChanged,
    CreditReceivablesChanged,
)
from contracts.customer import (
    CustomerLevelChanged,
    CustomerRegistered,
    CustomerTerminated,
    CustomerUpdated,
    VisitsOverdue,
)
from contracts.envelope import Envelope, Event
from contracts.notifications import NotificationSent
from contracts.ownership import (
    CaseAwaitingApproval,
    CommissionHoldChanged,
    OwnershipChanged,
    RecallWarned,
    StaffChanged,
)
from contracts.sales import InvoiceIssued, NoteDishonoured, NoteReceived, NoteSettled, PaymentReceived

INBOUND: tuple[type[Event], ...] = (InvoiceIssued, PaymentReceived, NoteReceived, NoteSettled, NoteDishonoured)
INTERNAL: tuple[type[Event], ...] = (
    CustomerRegistered,
    CustomerUpdated,
    CustomerLevelChanged,
    CustomerTerminated,
    VisitsOverdue,
    OwnershipChanged,
    CommissionHoldChanged,
    RecallWarned,
    StaffChanged,
    CaseAwaitingApproval,
    CreditAlertRaised,
    CreditLimitChanged,
    CreditHoldChanged,
    CreditInvoiceOverdue,
    CreditReceivablesChanged,
    ComplaintFiled,
    ComplaintResolved,
    ComplaintEscalated,
    ComplaintDeadlineNear,
    ComplaintReopened,
    AccessRecorded,
    NotificationSent,
)
EVENT_TYPES: dict[str, type[Event]] = {e.type: e for e in INBOUND + INTERNAL}

__all__ = ["EVENT_TYPES", "INBOUND", "INTERNAL", "Envelope", "Event"]
