"""What the notifications service tells the world: each notification it stored, for the live subscriptions of
every replica."""

from contracts.notifications import NotificationSent
from services.notifications.domain import Notification


def to_contract(notification: Notification) -> NotificationSent:
    return NotificationSent(notification_id=notification.id, recipient_id=notification.recipient_id,
                            kind=notification.kind.value, message=notification.message, at=notification.at,
                            customer_id=notification.customer_id, complaint_id=notification.complaint_id)
