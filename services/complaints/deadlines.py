"""Deadlines of a complaint (CMP-4): acknowledge within 1 working day, propose a resolution within
the working days its severity allows, escalate what is missed, extend only with the customer's word.

Plain Python: no I/O, no framework; time comes in as datetimes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.complaints.calendar import WorkingCalendar


class DeadlineKind(StrEnum):
    ACKNOWLEDGE = "ACKNOWLEDGE"  # within 1 working day of filing
    RESOLUTION = "RESOLUTION"  # a resolution proposed within the severity's working days


# Working days from filing (or reopening) to a proposed resolution, by severity.
DEFAULT_RESOLUTION_WORKING_DAYS: Mapping[str, int] = {"CRITICAL": 1, "HIGH": 3, "MEDIUM": 5, "LOW": 10}


@dataclass(frozen=True)
class DeadlinePolicy:
    """CMP-4, as configured (services/complaints/settings.py)."""

    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    acknowledge_working_days: int = 1
    resolution_working_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RESOLUTION_WORKING_DAYS))
    escalate_again_working_days: int = 2  # still missed this long after an escalation: one level higher
    remind_hours_before: int = 24  # its handler is reminded this long before a deadline (0: never)

    def acknowledge_by(self, filed_at: datetime) -> datetime:
        return self.calendar.end_of_working_days(filed_at, self.acknowledge_working_days)

    def resolution_by(self, since: datetime, severity: str) -> datetime:
        return self.calendar.end_of_working_days(since, self.resolution_working_days[severity])


@dataclass
class Deadline:
    kind: DeadlineKind
    due_at: datetime
    set_by: str
    set_at: datetime
    met_at: datetime | None = None
    superseded_at: datetime | None = None  # replaced by an extension
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    level: int = 0  # how many times it went higher
    again_at: datetime | None = None  # when it goes one level higher if still missed (None: at the top)
    customer_acknowledgement: str | None = None  # CMP-4: why a later date is fine with the customer
    reminded_at: datetime | None = None  # its handler was told it is coming due

    @property
    def to_remind(self) -> bool:
        """Running, neither escalated nor reminded yet."""
        return self.running and self.escalated_at is None and self.reminded_at is None

    def remind_at(self, policy: DeadlinePolicy) -> datetime | None:
        """When its handler is to hear that it is coming due; None: never, or done."""
        if not self.to_remind or not policy.remind_hours_before:
            return None
        return self.due_at - timedelta(hours=policy.remind_hours_before)

    @property
    def running(self) -> bool:
        return self.met_at is None and self.superseded_at is None

    def missed(self, now: datetime) -> bool:
        """Past due and still running: escalate it when it is first missed, then one level higher each time
        `again_at` passes."""
        if not self.running:
            return False
        return self.due_at <= now if self.escalated_at is None else self.again_at is not None and self.again_at <= now

    @property
    def next_escalation_at(self) -> datetime | None:
        if not self.running:
            return None
        return self.due_at if self.escalated_at is None else self.again_at
