"""CUS-4 prospect grades, CUS-5 visit plan, CUS-6 visit log and reports: pure rules, time as datetimes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chassis.errors import Invalid, RuleViolation
from services.customer.domain import Customer, CustomerKind, CustomerNature
from services.customer.visits import (
    BUSINESS_TZ,
    PlanRole,
    PlanStatus,
    ProspectGrade,
    ReportPeriod,
    Visit,
    VisitChannel,
    cadence_for,
    planned_visit,
    report_window,
    visit_report,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March, 09:00 in Shanghai
WEEK = timedelta(days=7)


def a_prospect() -> Customer:
    return Customer.register(id="c1", code="C000001", by="alice", now=T0, name="潜在客户",
                             kind=CustomerKind.COMPANY, nature=CustomerNature.ORDINARY_COMPANY)


def a_visit(at: datetime, *, by: str = "alice", customer: str = "c1", channel: VisitChannel = VisitChannel.ON_SITE,
            problems: str | None = None, id: str = "v") -> Visit:
    return Visit.log(id=id, customer_id=customer, by=by, at=at, channel=channel, progress="介绍了新产品",
                     achievements=None, problems=problems, next_steps="下周报价", now=at)


@pytest.mark.parametrize(("grade", "next_visit"), [
    (ProspectGrade.A, datetime(2026, 3, 9, 1, tzinfo=UTC)),  # 1–2×/week
    (ProspectGrade.B, datetime(2026, 3, 16, 1, tzinfo=UTC)),  # every other week
    (ProspectGrade.C, datetime(2026, 4, 2, 1, tzinfo=UTC)),  # monthly
    (ProspectGrade.D, datetime(2026, 6, 2, 1, tzinfo=UTC)),  # phone or drop-in, every 3 months (our reading)
])
def test_cus_4_a_prospect_grade_sets_the_owners_visit_cadence(grade: ProspectGrade, next_visit: datetime) -> None:
    cadence = cadence_for(PlanRole.SALES, None, grade, has_bought=False)
    assert cadence is not None and cadence.next_after(T0) == next_visit
    assert cadence_for(PlanRole.SALES_MANAGER, None, grade, has_bought=False) is None  # the salesperson's job


def test_cus_4_the_salesperson_grades_a_prospect_and_the_history_keeps_it() -> None:
    customer = a_prospect()
    assert customer.grade_prospect(ProspectGrade.B, by="alice", now=T0 + WEEK) is True
    assert customer.grade_prospect(ProspectGrade.B, by="alice", now=T0 + WEEK) is False  # no change, no revision
    assert (customer.prospect_grade, customer.prospect_graded_at) == (ProspectGrade.B, T0 + WEEK)
    assert [(r.action, r.changes[0].old, r.changes[0].new) for r in customer.revisions[1:]] == [
        ("PROSPECT_GRADED", None, "B")]


def test_cus_4_a_customer_who_has_bought_gets_no_prospect_grade_and_follows_its_level() -> None:
    customer = a_prospect()
    customer.grade_prospect(ProspectGrade.A, by="alice", now=T0)
    customer.record_sale(T0 + WEEK, now=T0 + WEEK)
    with pytest.raises(RuleViolation, match="CUS-4"):
        customer.grade_prospect(ProspectGrade.C, by="alice", now=T0 + WEEK)
    assert cadence_for(PlanRole.SALES, "B", ProspectGrade.A, has_bought=True).days == 15  # level B: 2×/month


@pytest.mark.parametrize(("level", "role", "days", "months"), [
    ("A", PlanRole.SALES, 10, 0),  # 3×/month
    ("A", PlanRole.REGION_ASSISTANT, 15, 0),  # team lead 2–3×/month
    ("A", PlanRole.REGION_MANAGER, 0, 1),  # section chief 1×/month
    ("A", PlanRole.SALES_MANAGER, 0, 2),  # manager every 1–2 months
    ("A", PlanRole.GENERAL_MANAGER, 0, 6),
    ("B", PlanRole.SALES, 15, 0),
    ("B", PlanRole.REGION_ASSISTANT, 0, 1),
    ("B", PlanRole.REGION_MANAGER, 0, 2),
    ("B", PlanRole.SALES_MANAGER, 0, 3),
    ("B", PlanRole.GENERAL_MANAGER, 0, 12),
    ("C", PlanRole.SALES, 0, 1),
    ("C", PlanRole.REGION_ASSISTANT, 0, 1),
    ("VIP", PlanRole.SALES, 10, 0),  # planned like A
])
def test_cus_5_the_level_table_by_role(level: str, role: PlanRole, days: int, months: int) -> None:
    cadence = cadence_for(role, level, None, has_bought=True)
    assert (cadence.days, cadence.months) == (days, months)


def test_cus_5_level_c_is_as_needed_for_managers_and_an_unlevelled_customer_is_not_planned() -> None:
    assert cadence_for(PlanRole.REGION_MANAGER, "C", None, has_bought=True) is None
    assert cadence_for(PlanRole.GENERAL_MANAGER, "C", None, has_bought=True) is None
    assert cadence_for(PlanRole.SALES, None, None, has_bought=True) is None


def test_cus_5_a_visit_is_due_one_cadence_after_the_last_and_overdue_once_that_passes() -> None:
    cadence = cadence_for(PlanRole.SALES, "A", None, has_bought=True)  # every 10 days
    last = T0
    assert planned_visit("c1", PlanRole.SALES, cadence, last, T0, T0 + timedelta(days=2), WEEK) is None  # not yet
    due = planned_visit("c1", PlanRole.SALES, cadence, last, T0, T0 + timedelta(days=4), WEEK)
    assert (due.due_at, due.status) == (T0 + timedelta(days=10), PlanStatus.DUE)
    late = planned_visit("c1", PlanRole.SALES, cadence, last, T0, T0 + timedelta(days=11), WEEK)
    assert late.status is PlanStatus.OVERDUE
    never = planned_visit("c1", PlanRole.SALES, cadence, None, T0, T0 + timedelta(days=11), WEEK)
    assert (never.last_visit_at, never.due_at, never.status) == (None, T0 + timedelta(days=10), PlanStatus.OVERDUE)


def test_cus_6_a_visit_needs_its_progress_and_cannot_be_in_the_future() -> None:
    with pytest.raises(Invalid) as e:
        Visit.log(id="v", customer_id="c1", by="alice", at=T0 + timedelta(hours=1), channel=VisitChannel.PHONE,
                  progress="x", achievements=None, problems=None, next_steps=None, now=T0)
    assert str(e.value).startswith("visitedAt:")
    with pytest.raises(Invalid) as e:
        Visit.log(id="v", customer_id="c1", by="alice", at=T0, channel=VisitChannel.PHONE, progress="  ",
                  achievements=None, problems=None, next_steps=None, now=T0)
    assert str(e.value).startswith("progress:")


def test_cus_6_report_days_and_weeks_follow_the_company_calendar() -> None:
    assert report_window(ReportPeriod.DAY, date(2026, 3, 4)) == (
        datetime(2026, 3, 4, tzinfo=BUSINESS_TZ), datetime(2026, 3, 5, tzinfo=BUSINESS_TZ))
    assert report_window(ReportPeriod.WEEK, date(2026, 3, 8)) == (  # a Sunday: its week began Monday 2 March
        datetime(2026, 3, 2, tzinfo=BUSINESS_TZ), datetime(2026, 3, 9, tzinfo=BUSINESS_TZ))


def test_cus_6_daily_and_weekly_reports_are_derived_from_one_salespersons_visit_log() -> None:
    late_monday = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 Monday in Shanghai
    log = [
        a_visit(late_monday, id="v1"),
        a_visit(late_monday + timedelta(hours=1), id="v2", channel=VisitChannel.PHONE, customer="c2",
                problems="价格太高"),  # 00:30 Tuesday in Shanghai
        a_visit(late_monday + timedelta(days=2), id="v3", channel=VisitChannel.ONLINE),
        a_visit(late_monday, id="v4", by="bob"),  # someone else's
        a_visit(late_monday + WEEK, id="v5"),  # next week
    ]
    monday = visit_report("alice", ReportPeriod.DAY, date(2026, 3, 2), log)
    assert [v.id for v in monday.visits] == ["v1"]
    week = visit_report("alice", ReportPeriod.WEEK, date(2026, 3, 4), log)
    assert [v.id for v in week.visits] == ["v1", "v2", "v3"]
    assert week.by_channel == {VisitChannel.ON_SITE: 1, VisitChannel.PHONE: 1, VisitChannel.ONLINE: 1}
    assert week.customers_visited == 2 and [v.id for v in week.open_problems] == ["v2"]
