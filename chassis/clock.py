"""Time is injected: production reads the wall clock, tests move a `FixedClock` by hand."""

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# The company's calendar: a day, a week, a due date, a quarter are days in China.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move: "two months later" is a line, not a wait."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, by: timedelta) -> None:
        self._at += by

    def set(self, at: datetime) -> None:
        self._at = at


def add_months(at: datetime, months: int) -> datetime:
    """The same day `months` calendar months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = at.month - 1 + months
    year, month = at.year + month_index // 12, month_index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def business_date(at: datetime) -> date:
    """The company's calendar day of an instant."""
    return at.astimezone(BUSINESS_TZ).date()
