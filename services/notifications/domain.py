"""What people are told, and whom: each event other services publish becomes notifications for the people the
rules name (CRD-3, CMP-4, OWN-1 / OWN-3), in their inboxes and on their live subscriptions.

A notification says what happened and links what it is about (a customer, a complaint): it never carries a
confidential field. What the linked customer shows its reader (a card, a credit profile) is the owning service's
to decide, for that reader, when they look (access.md). Plain Python: no I/O, no framework.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chassis.clock import BUSINESS_TZ, business_date
from contracts.complaints import ComplaintDeadlineNear, ComplaintEscalated
from contracts.credit import CreditAlertRaised
from contracts.customer import VisitsOverdue
from contracts.ownership import CaseAwaitingApproval, OwnershipChanged, RecallWarned


class Kind(StrEnum):
    CREDIT_ALERT = "CREDIT_ALERT"  # CRD-3: exposure crossed 80 / 90 / 100 % of the limit
    COMPLAINT_DUE_SOON = "COMPLAINT_DUE_SOON"  # CMP-4: a deadline is coming due
    COMPLAINT_ESCALATED = "COMPLAINT_ESCALATED"  # CMP-4: a deadline was missed
    RECALL_WARNING = "RECALL_WARNING"  # OWN-1 / OWN-3: a customer goes back to the pool soon
    VISITS_OVERDUE = "VISITS_OVERDUE"  # CUS-5: the day's overdue visits in one's plan
    RETURNED_TO_POOL = "RETURNED_TO_POOL"  # OWN-1 / OWN-3: it went back
    CASE_AWAITING_APPROVAL = "CASE_AWAITING_APPROVAL"  # OWN-7 / OWN-8: a handover or transfer is ready to decide


AUTOMATIC_RECALLS = ("NO_DEAL", "NO_SALE")  # why a customer goes back without its owner asking (OWN-1, OWN-3)


@dataclass(frozen=True)
class Notification:
    """One piece of news for one recipient: a person's id, or a role ("FINANCE", "REGION_MANAGER:east") where a
    rule names a role the staff directory had nobody for; such a notification is that desk's, read by whoever
    of it reads it first."""

    recipient_id: str
    kind: Kind
    message: str
    at: datetime
    cause: str  # what happened, the same however often it is told: the same news twice is one notification
    customer_id: str | None = None
    complaint_id: str | None = None
    read_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"{self.cause}:{self.recipient_id}"


@dataclass(frozen=True)
class Preferences:
    """What a person does not want to hear of: kinds, customers. The default is everything."""

    person_id: str
    muted_kinds: frozenset[Kind] = frozenset()
    muted_customers: frozenset[str] = frozenset()
    version: int = 0

    def wants(self, notification: Notification) -> bool:
        return notification.kind not in self.muted_kinds and notification.customer_id not in self.muted_customers

    def changed(self, muted_kinds: Iterable[Kind] | None, muted_customers: Iterable[str] | None) -> "Preferences":
        """None leaves a list as it is."""
        return replace(self,
                       muted_kinds=self.muted_kinds if muted_kinds is None else frozenset(muted_kinds),
                       muted_customers=self.muted_customers if muted_customers is None else frozenset(muted_customers))


def for_credit_alert(event: CreditAlertRaised) -> list[Notification]:
    """CRD-3: everyone the alert names (the people the staff directory named; a role where it named nobody)."""
    message = ("Over the credit limit" if event.level >= 100
               else f"Credit use reached {event.level} % of the limit")
    cause = f"credit-alert:{event.customer_id}:{event.level}:{event.raised_at.isoformat()}"
    return [Notification(recipient, Kind.CREDIT_ALERT, message, event.raised_at, cause, event.customer_id)
            for recipient in dict.fromkeys(event.recipients)]


def for_escalation(event: ComplaintEscalated) -> list[Notification]:
    """CMP-4: the person it went up to has it now; its handler hears that it went up."""
    level = f" (level {event.level})" if event.level else ""
    cause = f"escalated:{event.complaint_id}:{event.deadline}:{event.level or 1}"
    told = []
    if event.escalated_to:
        told.append(Notification(event.escalated_to, Kind.COMPLAINT_ESCALATED,
                                 f"A complaint was escalated to you{level}: {event.reason}", event.escalated_at,
                                 cause, event.customer_id, event.complaint_id))
    if event.handler_id and event.handler_id != event.escalated_to:
        told.append(Notification(event.handler_id, Kind.COMPLAINT_ESCALATED,
                                 f"A complaint you handle was escalated{level}: {event.reason}", event.escalated_at,
                                 cause, event.customer_id, event.complaint_id))
    return told


DUE_FOR = {"ACKNOWLEDGE": "must be acknowledged", "RESOLUTION": "needs a resolution proposed"}


def for_deadline_near(event: ComplaintDeadlineNear) -> list[Notification]:
    """CMP-4: its handler, before the deadline is missed (the time in the company's calendar)."""
    due = event.due_at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    what = DUE_FOR.get(event.deadline, "is due")
    return [Notification(event.handler_id, Kind.COMPLAINT_DUE_SOON, f"A complaint you handle {what} by {due}",
                         event.reminded_at, f"due-soon:{event.complaint_id}:{event.deadline}:{event.due_at.isoformat()}",
                         event.customer_id, event.complaint_id)]


def for_overdue_visits(event: VisitsOverdue) -> list[Notification]:
    """CUS-5: the owner, once a day; the customer is linked when it is the only one."""
    many = event.count != 1
    message = f"{event.count} customer{'s are' if many else ' is'} overdue for a visit (see your visit plan)"
    return [Notification(event.salesperson_id, Kind.VISITS_OVERDUE, message, event.reminded_at,
                         f"visits-overdue:{event.day.isoformat()}", None if many else event.customer_ids[0])]


def for_recall_warning(event: RecallWarned) -> list[Notification]:
    day = business_date(event.expires_at).isoformat()
    return [Notification(event.owner_id, Kind.RECALL_WARNING,
                         f"Goes back to the pool on {day} unless there is a deal or a sale first", event.warned_at,
                         f"recall-warning:{event.customer_id}:{event.expires_at.isoformat()}", event.customer_id)]


def for_ownership_change(event: OwnershipChanged) -> list[Notification]:
    """The owner whose customer went back to the pool on its own (not one they released or handed back)."""
    if not (event.in_pool and event.previous_owner_id and event.reason in AUTOMATIC_RECALLS):
        return []
    why = "no deal within the claim period" if event.reason == "NO_DEAL" else "no sale for three months"
    return [Notification(event.previous_owner_id, Kind.RETURNED_TO_POOL, f"Went back to the pool: {why}",
                         event.changed_at, f"returned:{event.customer_id}:{event.changed_at.isoformat()}",
                         event.customer_id)]


def for_case_awaiting_approval(event: CaseAwaitingApproval) -> list[Notification]:
    """OWN-7 / OWN-8: the regional managers of the case's region, as a desk: one of them decides it."""
    desk = f"REGION_MANAGER:{event.region}" if event.region else "REGION_MANAGER"
    if event.kind == "TRANSFER":
        message = f"A transfer of a customer from {event.salesperson_id} waits for your approval"
    else:
        count = len(event.customer_ids)
        message = (f"The handover of {event.salesperson_id}'s {count} customer{'s' if count != 1 else ''} "
                   "waits for your approval")
    customer_id = event.customer_ids[0] if event.kind == "TRANSFER" and event.customer_ids else None
    return [Notification(desk, Kind.CASE_AWAITING_APPROVAL, message, event.ready_at,
                         f"case-ready:{event.case_id}:{event.ready_at.isoformat()}", customer_id)]


def wanted(told: list[Notification], preferences: dict[str, Preferences]) -> list[Notification]:
    """What each recipient wants of what they are told (no preferences: everything)."""
    return [n for n in told if preferences.get(n.recipient_id, Preferences(n.recipient_id)).wants(n)]
