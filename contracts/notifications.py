"""Events the notifications service publishes."""

from pydantic import AwareDatetime

from contracts.envelope import Event


class NotificationSent(Event):
    """A notification is in its recipient's inbox: every notifications replica hears it and hands it to the
    recipient's live subscriptions. Says only what its recipient may read (never a confidential field)."""

    type = "notification.sent"
    notification_id: str
    recipient_id: str
    kind: str  # services/notifications/domain.py Kind: CREDIT_ALERT, COMPLAINT_ESCALATED, RECALL_WARNING …
    message: str
    at: AwareDatetime
    customer_id: str | None = None
    complaint_id: str | None = None
