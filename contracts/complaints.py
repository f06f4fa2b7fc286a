"""Events the complaints service publishes."""

from pydantic import AwareDatetime, Field

from contracts.envelope import Event


class ComplaintFiled(Event):
    type = "complaint.filed"
    complaint_id: str
    customer_id: str
    kind: str
    severity: str
    first_responder_id: str
    filed_at: AwareDatetime
    # Added by the complaints service (all optional, so older consumers and producers still fit):
    reference: str | None = None  # the number the customer is told (CP000123)
    region: str | None = None
    product: str | None = None
    due_at: AwareDatetime | None = None  # CMP-4: when it must be acknowledged
    invoice_ids: list[str] = Field(default_factory=list)  # CRD-8: the invoices a quality or contract dispute holds


class ComplaintResolved(Event):
    type = "complaint.resolved"
    complaint_id: str
    customer_id: str
    responsibility: str
    resolved_at: AwareDatetime
    kind: str | None = None  # CMP-1: a PRODUCT_QUALITY dispute can justify late payment (CRD-8)
    remedy: str | None = None  # CMP-6: APOLOGY, REPLACEMENT or MONEY
    amount_fen: int | None = None  # the money remedy's amount


class ComplaintReopened(Event):
    """A resolved or closed complaint is open again (its dispute, CRD-8, is live again)."""

    type = "complaint.reopened"
    complaint_id: str
    customer_id: str
    kind: str
    reason: str
    reopened_by: str
    reopened_at: AwareDatetime


class ComplaintDeadlineNear(Event):
    """CMP-4: a deadline is coming due (COMPLAINTS_REMIND_HOURS_BEFORE ahead): its handler is reminded."""

    type = "complaint.deadline_near"
    complaint_id: str
    customer_id: str
    handler_id: str
    deadline: str  # ACKNOWLEDGE or RESOLUTION
    due_at: AwareDatetime
    reminded_at: AwareDatetime


class ComplaintEscalated(Event):
    """CMP-4: past its deadline, the complaint went to the handler's manager."""

    type = "complaint.escalated"
    complaint_id: str
    customer_id: str
    escalated_to: str | None
    reason: str
    escalated_at: AwareDatetime
    deadline: str | None = None  # ACKNOWLEDGE or RESOLUTION
    due_at: AwareDatetime | None = None
    handler_id: str | None = None
    level: int | None = None  # 1 first, then one more each time it stays missed and goes one level higher
