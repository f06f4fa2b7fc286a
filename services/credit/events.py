"""What credit tells the world: each domain event of a profile as its published contract."""

from contracts.credit import (
    CreditAlertRaised,
    CreditHoldChanged,
    CreditInvoiceOverdue,
    CreditLimitChanged,
    CreditReceivablesChanged,
)
from contracts.envelope import Event
from services.credit.alerts import Alert
from services.credit.domain import InvoiceLongOverdue, ProfileEvent, ReceivablesChanged, TermsChanged
from services.credit.emergency import HoldChanged


def to_contract(event: ProfileEvent) -> Event:
    match event:
        case Alert():  # CRD-3
            return CreditAlertRaised(
                customer_id=event.customer_id, level=event.level.value, exposure_fen=event.exposure_fen,
                limit_fen=event.limit_fen, recipients=list(event.recipients), raised_at=event.raised_at,
                salesperson_id=event.salesperson_id, region=event.region)
        case HoldChanged():  # CRD-10
            return CreditHoldChanged(
                customer_id=event.customer_id, on_hold=event.on_hold, reason=event.reason,
                changed_at=event.changed_at, emergency_id=event.emergency_id,
                countermeasures=[m.value for m in event.countermeasures])
        case InvoiceLongOverdue():  # CUS-3
            return CreditInvoiceOverdue(customer_id=event.customer_id, invoice_id=event.invoice_id,
                                        days_overdue=event.days_overdue, due_at=event.due_at,
                                        settled_at=event.settled_at)
        case ReceivablesChanged():  # OWN-7 / OWN-8
            return CreditReceivablesChanged(customer_id=event.customer_id, receivables_fen=event.receivables_fen,
                                            seq=event.seq, changed_at=event.at)
        case TermsChanged():  # CRD-7
            return CreditLimitChanged(
                customer_id=event.customer_id, rating=event.rating.value if event.rating else None,
                limit_fen=event.limit_fen, term_days=event.term_days, request_id=event.request_id,
                changed_at=event.changed_at)
    raise TypeError(f"credit does not publish {type(event).__name__}")
