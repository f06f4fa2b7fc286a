"""Events the credit service publishes."""

from pydantic import AwareDatetime, Field

from contracts.envelope import Event


class CreditAlertRaised(Event):
    """CRD-3: exposure crossed 80 / 90 / 100 % of the limit going up."""

    type = "credit.alert_raised"
    customer_id: str
    level: int
    exposure_fen: int
    limit_fen: int
    recipients: list[str]  # the people the staff directory names; a role ("FINANCE", "REGION_MANAGER:<region>")
    # only where it names nobody
    raised_at: AwareDatetime
    salesperson_id: str | None = None
    region: str | None = None


class CreditLimitChanged(Event):
    """CRD-7: the final approval changed rating, limit or term."""

    type = "credit.limit_changed"
    customer_id: str
    rating: str | None
    limit_fen: int
    term_days: int
    request_id: str
    changed_at: AwareDatetime


class CreditReceivablesChanged(Event):
    """OWN-7 / OWN-8: what the customer owes on credit now (open invoices and dishonoured notes), published when
    it changes; `seq` counts the changes, so an older one arriving late is recognised."""

    type = "credit.receivables_changed"
    customer_id: str
    receivables_fen: int
    seq: int
    changed_at: AwareDatetime


class CreditHoldChanged(Event):
    """CRD-10: a customer was put on or taken off credit hold."""

    type = "credit.hold_changed"
    customer_id: str
    on_hold: bool
    reason: str
    changed_at: AwareDatetime
    emergency_id: str | None = None  # the emergency report that put the hold on or whose decision lifted it
    countermeasures: list[str] = Field(default_factory=list)  # what the manager decided (GUARANTOR, ...)


class CreditInvoiceOverdue(Event):
    """CRD-5 / CUS-3: an invoice passed 30 days overdue; published when it does and again when it is paid
    (`settled_at`; once only if it was paid before anyone was told). It spoils the customer's "good
    payment" for the level (CUS-3) from then until 12 months after it was paid."""

    type = "credit.invoice_overdue"
    customer_id: str
    invoice_id: str
    days_overdue: int  # until today, or until it was paid
    due_at: AwareDatetime
    settled_at: AwareDatetime | None = None
