"""Use cases: each consumed event turned into the notifications its rule names, and the inbox commands.

A notification is stored and announced (`notification.sent`, for live subscriptions) in one commit with the
consumed event's inbox entry; the same news again (a redelivery, or the same news under another envelope)
stores nothing and announces nothing.
"""

from collections.abc import Callable, Iterable
from typing import Any

from chassis.auth import Principal
from chassis.service import Service
from chassis.store import UnitOfWork
from contracts.complaints import ComplaintDeadlineNear, ComplaintEscalated
from contracts.credit import CreditAlertRaised
from contracts.customer import VisitsOverdue
from contracts.envelope import Event
from contracts.ownership import CaseAwaitingApproval, OwnershipChanged, RecallWarned
from services.notifications import domain, policy
from services.notifications.domain import Kind, Notification, Preferences
from services.notifications.events import to_contract
from services.notifications.settings import NotificationsSettings
from services.notifications.store import NotificationStore

Uow = UnitOfWork[NotificationStore, NotificationsSettings]
NotificationsService = Service[NotificationStore, NotificationsSettings]


def told(tell: Callable[[Any], list[Notification]]) -> Callable[[Any, Uow], Any]:
    """The use case of a consumed event: the notifications `tell` makes of it, for whoever wants them."""

    async def use_case(event: Event, uow: Uow) -> None:
        if fresh := tell(event):  # most ownership changes tell nobody: no look-ups for them
            known = await uow.store.known([n.id for n in fresh])
            preferences = await uow.store.preferences_of(sorted({n.recipient_id for n in fresh}))
            new = domain.wanted([n for n in fresh if n.id not in known], preferences)
            uow.store.add(new, uow)
            uow.publish(*map(to_contract, new))
        await uow.commit()

    use_case.__doc__ = tell.__doc__
    return use_case


SUBSCRIPTIONS = {CreditAlertRaised: told(domain.for_credit_alert), ComplaintEscalated: told(domain.for_escalation),
                 RecallWarned: told(domain.for_recall_warning), OwnershipChanged: told(domain.for_ownership_change),
                 CaseAwaitingApproval: told(domain.for_case_awaiting_approval),
                 ComplaintDeadlineNear: told(domain.for_deadline_near), VisitsOverdue: told(domain.for_overdue_visits)}


async def mark_read(ids: Iterable[str], caller: Principal, uow: Uow) -> int:
    """The caller's own notifications among `ids` are read from now on; returns how many they have unread."""
    await uow.store.mark_read(policy.inbox(caller), list(dict.fromkeys(ids)), uow.now(), uow)
    await uow.commit()
    return await uow.store.unread(policy.inbox(caller))


async def set_preferences(caller: Principal, muted_kinds: Iterable[Kind] | None,
                          muted_customers: Iterable[str] | None, uow: Uow) -> Preferences:
    held = (await uow.store.preferences_of([caller.user_id])).get(caller.user_id, Preferences(caller.user_id))
    changed = held.changed(muted_kinds, muted_customers)
    uow.store.save_preferences(changed, uow)
    await uow.commit()
    return Preferences(changed.person_id, changed.muted_kinds, changed.muted_customers, changed.version + 1)
