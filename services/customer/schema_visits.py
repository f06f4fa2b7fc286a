"""The customer subgraph's CUS-5 visit plan and CUS-6 visit report: their types and resolvers."""

from datetime import date, datetime, timedelta
from typing import Any

import strawberry
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.errors import Invalid
from chassis.graphql import caller, service_of
from services.customer import handlers, visits
from services.customer.schema_cards import Customer, cards
from services.customer.schema_types import PlanRole, PlanStatus, ReportPeriod, Visit, VisitChannel


@strawberry.type(description="CUS-5: one visit a person owes a customer")
class PlannedVisit:
    customer: Customer
    role: PlanRole
    cadence: str = strawberry.field(description="the rhythm it follows, e.g. 3×/month")
    last_visit_at: datetime | None = strawberry.field(description="this person's last visit, if any")
    due_at: datetime
    status: PlanStatus


@strawberry.type
class VisitChannelCount:
    channel: VisitChannel
    count: int


@strawberry.type(description="CUS-6: a salesperson's daily or weekly report, derived from the visit log")
class VisitReport:
    salesperson_id: strawberry.ID
    period: ReportPeriod
    start: datetime
    end: datetime
    visit_count: int
    customers_visited: int
    by_channel: list[VisitChannelCount]
    visits: list[Visit]
    open_problems: list[Visit] = strawberry.field(description="visits that left a problem unresolved")


PLAN_READERS = (Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN)


def _plan_role(principal: Principal, role: Any) -> visits.PlanRole:
    if role is not None:
        return visits.PlanRole(role)
    for candidate in visits.PlanRole:  # SALES first: a salesperson's own plan
        if principal.has_any(Role(candidate.value)):
            return candidate
    raise Invalid("role", "you have no role with a visit plan; name one")


def _region_limit(principal: Principal, user_id: str) -> tuple[bool, str | None]:
    """Someone else's plan or report: managers see all of it; a regional manager only what concerns customers
    of their own region. Returns (limited, region)."""
    if user_id == principal.user_id or principal.has_any(Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN):
        return False, None
    principal.require(*PLAN_READERS)
    return True, principal.region


@strawberry.field(description="CUS-5: visits due (within `withinDays`) and overdue, for a person in a role; "
                              "the caller's own plan unless `userId` is given")
async def visit_plan(info: Info, user_id: strawberry.ID | None = None, role: PlanRole | None = None,
                     region: str | None = None, within_days: int = 7) -> list[PlannedVisit]:
    principal = caller(info)
    who = str(user_id) if user_id else principal.user_id
    limited, own_region = _region_limit(principal, who)
    region = own_region if limited else region if region is not None else principal.region
    if not 0 <= within_days <= 366:
        raise Invalid("withinDays", "must be between 0 and 366")
    plan_role = _plan_role(principal, role) if who == principal.user_id else visits.PlanRole(role or "SALES")
    service = service_of(info)
    plan = await handlers.visit_plan(service.store, who, plan_role, region, service.clock.now(),
                                     timedelta(days=within_days))
    if limited:
        plan = [(c, p) for c, p in plan if c.region is not None and c.region == own_region]
    shown = await cards(info, principal, [c for c, _ in plan], "visitPlan")
    return [PlannedVisit(customer=card, role=p.role, cadence=p.cadence.text, last_visit_at=p.last_visit_at,
                         due_at=p.due_at, status=p.status) for card, (_, p) in zip(shown, plan, strict=True)]

@strawberry.field(description="CUS-6: a salesperson's daily or weekly (Monday–Sunday) visit report")
async def visit_report(info: Info, period: ReportPeriod, date: date,
                       salesperson_id: strawberry.ID | None = None) -> VisitReport:
    principal = caller(info)
    who = str(salesperson_id) if salesperson_id else principal.user_id
    limited, own_region = _region_limit(principal, who)
    store = service_of(info).store
    start, end = visits.report_window(period, date)
    logged = await store.visits_by(who, start, end)
    if limited:
        in_region = await store.get_many(sorted({v.customer_id for v in logged}))
        logged = [v for v in logged if v.customer_id in in_region
                  and in_region[v.customer_id].region == own_region and own_region is not None]
    report = visits.visit_report(who, period, date, logged)
    return VisitReport(
        salesperson_id=strawberry.ID(who), period=report.period, start=report.start, end=report.end,
        visit_count=len(report.visits), customers_visited=report.customers_visited,
        by_channel=[VisitChannelCount(channel=c, count=n) for c, n in report.by_channel.items()],
        visits=[Visit.from_domain(v) for v in report.visits],
        open_problems=[Visit.from_domain(v) for v in report.open_problems])
