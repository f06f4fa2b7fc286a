"""CUS-4 prospect grades, CUS-5 visit plan, CUS-6 visit log and reports: plain Python, time passed in."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from chassis.clock import BUSINESS_TZ, add_months
from chassis.errors import Invalid

MAX_TEXT = 4000


class ProspectGrade(StrEnum):
    """CUS-4 准客户 grade, for customers who have not bought yet."""

    A = "A"  # complete buying conditions, buys this month
    B = "B"  # worth visiting, buys in 2–3 months
    C = "C"  # not ready, within half a year
    D = "D"  # long-term potential, within a year


class VisitChannel(StrEnum):
    ON_SITE = "ON_SITE"
    PHONE = "PHONE"
    ONLINE = "ONLINE"


class PlanRole(StrEnum):
    """CUS-5's visitors, as the roles of this system (the source text's titles in brackets)."""

    SALES = "SALES"  # 业务员: the customer's owner
    REGION_ASSISTANT = "REGION_ASSISTANT"  # 组长 (team lead), in their region
    REGION_MANAGER = "REGION_MANAGER"  # 科长 (section chief), in their region
    SALES_MANAGER = "SALES_MANAGER"  # 经理 (manager)
    GENERAL_MANAGER = "GENERAL_MANAGER"  # 总经理


def plan_role(roles: Iterable[str]) -> PlanRole | None:
    """CUS-5: the plan a person with these roles follows (SALES first: a salesperson's own customers)."""
    held = set(roles)
    return next((role for role in PlanRole if role.value in held), None)


@dataclass(frozen=True)
class Cadence:
    """Visit at least every `days` days or `months` calendar months (the looser bound of a range:
    "2–3×/month" is due every 15 days, "every 1–2 months" every 2 months)."""

    days: int = 0
    months: int = 0
    text: str = ""

    def next_after(self, at: datetime) -> datetime:
        return add_months(at, self.months) + timedelta(days=self.days)


# CUS-4: the cadence a prospect grade implies, for its owner. D ("within a year, phone or drop-in")
# has no fixed rhythm in the source; we plan a phone call or drop-in every 3 months.
PROSPECT_CADENCE = {
    ProspectGrade.A: Cadence(days=7, text="1–2×/week"),
    ProspectGrade.B: Cadence(days=14, text="every other week"),
    ProspectGrade.C: Cadence(months=1, text="monthly"),
    ProspectGrade.D: Cadence(months=3, text="phone or drop-in, every 3 months"),
}

# CUS-5: the visit plan by level and role; missing: "as needed" (no plan). VIP and SPECIAL_VIP customers
# are planned like level A (the source's table starts at A; they are at least as important).
_A = {
    PlanRole.SALES: Cadence(days=10, text="3×/month"),
    PlanRole.REGION_ASSISTANT: Cadence(days=15, text="2–3×/month"),
    PlanRole.REGION_MANAGER: Cadence(months=1, text="1×/month"),
    PlanRole.SALES_MANAGER: Cadence(months=2, text="every 1–2 months"),
    PlanRole.GENERAL_MANAGER: Cadence(months=6, text="every 6 months"),
}
LEVEL_CADENCE: dict[str, dict[PlanRole, Cadence]] = {
    "VIP": _A,
    "SPECIAL_VIP": _A,
    "A": _A,
    "B": {
        PlanRole.SALES: Cadence(days=15, text="2×/month"),
        PlanRole.REGION_ASSISTANT: Cadence(months=1, text="1–2×/month"),
        PlanRole.REGION_MANAGER: Cadence(months=2, text="every 1–2 months"),
        PlanRole.SALES_MANAGER: Cadence(months=3, text="every 2–3 months"),
        PlanRole.GENERAL_MANAGER: Cadence(months=12, text="every 6–12 months"),
    },
    "C": {
        PlanRole.SALES: Cadence(months=1, text="monthly"),
        PlanRole.REGION_ASSISTANT: Cadence(months=1, text="monthly"),
    },
}


def cadence_for(role: PlanRole, level: str | None, prospect_grade: ProspectGrade | None, has_bought: bool
                ) -> Cadence | None:
    """CUS-5 / CUS-4: how often `role` visits this customer; None: as needed (not in the plan).
    A customer who has bought follows its level; one who has not follows its prospect grade (owner only)."""
    if has_bought or prospect_grade is None:
        return LEVEL_CADENCE.get(level or "", {}).get(role)
    return PROSPECT_CADENCE[prospect_grade] if role is PlanRole.SALES else None


class PlanStatus(StrEnum):
    DUE = "DUE"  # due within the horizon, not yet late
    OVERDUE = "OVERDUE"  # the due date has passed without a visit


@dataclass(frozen=True)
class PlannedVisit:
    customer_id: str
    role: PlanRole
    cadence: Cadence
    last_visit_at: datetime | None
    due_at: datetime
    status: PlanStatus


def planned_visit(customer_id: str, role: PlanRole, cadence: Cadence, last_visit_at: datetime | None,
                  since: datetime, now: datetime, horizon: timedelta) -> PlannedVisit | None:
    """CUS-5: the next visit is due one cadence after the last one (never visited: one cadence after `since`,
    when the customer entered the plan); listed when due within `horizon`, overdue once its time has passed."""
    due_at = cadence.next_after(last_visit_at or since)
    if due_at > now + horizon:
        return None
    return PlannedVisit(customer_id, role, cadence, last_visit_at, due_at,
                        PlanStatus.OVERDUE if due_at < now else PlanStatus.DUE)


@dataclass(frozen=True)
class Visit:
    """CUS-6 回访记录: who, when, how, and what came of it."""

    id: str
    customer_id: str
    by: str
    at: datetime
    channel: VisitChannel
    progress: str
    achievements: str | None
    problems: str | None
    next_steps: str | None
    logged_at: datetime

    @classmethod
    def log(cls, *, id: str, customer_id: str, by: str, at: datetime, channel: VisitChannel, progress: str,
            achievements: str | None, problems: str | None, next_steps: str | None, now: datetime) -> "Visit":
        if at > now + timedelta(minutes=5):
            raise Invalid("visitedAt", "is in the future: log a visit after it happened")
        if at < now - LOGGED_WITHIN:
            raise Invalid("visitedAt", f"is more than {LOGGED_WITHIN.days} days ago: the log is kept as visits happen")
        if not progress or not progress.strip():
            raise Invalid("progress", "must not be empty")
        for name, text in (("progress", progress), ("achievements", achievements), ("problems", problems),
                           ("nextSteps", next_steps)):
            if text is not None and len(text) > MAX_TEXT:
                raise Invalid(name, f"is longer than {MAX_TEXT} characters")
        return cls(id, customer_id, by, at, channel, progress.strip(), _blank(achievements), _blank(problems),
                   _blank(next_steps), now)


LOGGED_WITHIN = timedelta(days=366)  # CUS-6: a visit is logged after it happened, not years later


def _blank(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


class ReportPeriod(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"  # Monday to Sunday


def report_window(period: ReportPeriod, day: date) -> tuple[datetime, datetime]:
    """CUS-6: the [start, end) of the business day, or of the Monday-to-Sunday week, containing `day`."""
    start_day = day if period is ReportPeriod.DAY else day - timedelta(days=day.weekday())
    start = datetime.combine(start_day, time(), BUSINESS_TZ)
    return start, start + timedelta(days=1 if period is ReportPeriod.DAY else 7)


@dataclass(frozen=True)
class VisitReport:
    salesperson_id: str
    period: ReportPeriod
    start: datetime
    end: datetime
    visits: list[Visit]
    by_channel: dict[VisitChannel, int]
    customers_visited: int
    open_problems: list[Visit]  # visits that left a problem unresolved


def visit_report(salesperson_id: str, period: ReportPeriod, day: date, visits: list[Visit]) -> VisitReport:
    """CUS-6: the daily or weekly report of one salesperson, derived from their visit log alone."""
    start, end = report_window(period, day)
    mine = sorted((v for v in visits if v.by == salesperson_id and start <= v.at < end), key=lambda v: (v.at, v.id))
    counts = Counter(v.channel for v in mine)
    return VisitReport(salesperson_id, period, start, end, mine, {c: counts.get(c, 0) for c in VisitChannel},
                       len({v.customer_id for v in mine}), [v for v in mine if v.problems])
