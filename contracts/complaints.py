"""Events the complaints service publishes."""

from pydantic import AwareDatetime

from contracts.envelope import Event


class ComplaintFiled(Event):
    type = "complaint.filed"
    complaint_id: str
    customer_id: str
    kind: str
    severity: str
    first_responder_id: str
    filed_at: AwareDatetime


class ComplaintResolved(Event):
    type = "complaint.resolved"
    complaint_id: str
    customer_id: str
    responsibility: str
    resolved_at: AwareDatetime


class ComplaintEscalated(Event):
    """CMP-4: past its deadline, the complaint went to the handler's manager."""

    type = "complaint.escalated"
    complaint_id: str
    customer_id: str
    escalated_to: str | None
    reason: str
    escalated_at: AwareDatetime
