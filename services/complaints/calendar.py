"""Working days for complaint deadlines (CMP-4): weekends and configured holidays are skipped.

A deadline of n working days ends at the end (local midnight) of the n-th working day after the
day something happened: filed Friday evening, 1 working day → due at the end of Monday.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

SATURDAY, SUNDAY = 5, 6
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def business_zone(name: str) -> tzinfo:
    """'+08:00' (a fixed offset: China keeps no daylight saving time) or an IANA name ('Asia/Shanghai')."""
    if match := _OFFSET.fullmatch(name):
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-offset if sign == "-" else offset, name)
    return ZoneInfo(name)


@dataclass(frozen=True)
class WorkingCalendar:
    zone: tzinfo = field(default_factory=lambda: business_zone("+08:00"))
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, zone: str, holidays: Iterable[date] = ()) -> "WorkingCalendar":
        return cls(business_zone(zone), frozenset(holidays))

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in (SATURDAY, SUNDAY) and day not in self.holidays

    def end_of_working_days(self, at: datetime, working_days: int) -> datetime:
        """The end of the `working_days`-th working day after the local day of `at`, in UTC."""
        if working_days < 1:
            raise ValueError("a deadline is at least 1 working day")
        day, counted = self.local_date(at), 0
        while counted < working_days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return datetime.combine(day + timedelta(days=1), time(0), self.zone).astimezone(UTC)

    def month_of(self, at: datetime) -> str:
        """'2026-03': the local calendar month, as statistics group by it (CMP-7)."""
        return self.local_date(at).strftime("%Y-%m")
