"""Who may see and do what with notifications (access.md): each person their own inbox, subscription and
preferences, and the inbox of each desk they belong to (a role, a role in their region). Nobody reads or marks
another's; an id that is not the caller's is treated as unknown (no FORBIDDEN that would confirm it exists)."""

from chassis.auth import Principal
from services.notifications.domain import Notification


def inbox(caller: Principal) -> list[str]:
    """The recipients whose notifications the caller reads: them, and their desks."""
    return caller.addresses


def sees(caller: Principal, notification: Notification) -> bool:
    return notification.recipient_id in inbox(caller)
