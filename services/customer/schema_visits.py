"""The customer subgraph's CUS-5 visit plan and CUS-6 visit report: their types and resolvers."""

from datetime import date, datetime, timedelta

import strawberry

from chassis.errors import Invalid
from services.customer import handlers, policy, visits
from services.customer.schema_cards import Customer, Info, shown
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


@strawberry.field(description="CUS-5: visits due (within `withinDays`) and overdue, for a person in a role; "
                              "the caller's own plan unless `userId` is given, with that person's role and region "
                              "in the staff directory unless `role` / `region` say otherwise; a team lead's plan "
                              "covers their team's customers")
async def visit_plan(info: Info, user_id: strawberry.ID | None = None, role: PlanRole | None = None,
                     region: str | None = None, within_days: int = 7) -> list[PlannedVisit]:
    principal = info.context.caller
    who = str(user_id) if user_id else principal.user_id
    scope = policy.plans_of(principal, who)
    if not 0 <= within_days <= 366:
        raise Invalid("withinDays", "must be between 0 and 366")
    service = info.context.service
    if who == principal.user_id:  # the caller's own roles and region are their token's
        roles, home = [str(r) for r in principal.roles], principal.region
    else:  # someone else's are the staff directory's
        person = await service.store.directory.person(who)
        roles, home = (list(person.roles), person.region) if person else (["SALES"], None)
    plan_role = visits.PlanRole(role) if role is not None else visits.plan_role(roles)
    if plan_role is None:
        raise Invalid("role", f"{who} has no role with a visit plan; name one")
    region = scope.region or (region if region is not None else home)
    plan = await handlers.visit_plan(service.store, who, plan_role, region, service.clock.now(),
                                     timedelta(days=within_days))
    plan = [(c, p) for c, p in plan if scope.covers(c.owner_id, c.region)]
    cards = shown(info, [c for c, _ in plan])
    return [PlannedVisit(customer=card, role=p.role, cadence=p.cadence.text, last_visit_at=p.last_visit_at,
                         due_at=p.due_at, status=p.status) for card, (_, p) in zip(cards, plan, strict=True)]


@strawberry.field(description="CUS-6: a salesperson's daily or weekly (Monday–Sunday) visit report")
async def visit_report(info: Info, period: ReportPeriod, date: date,
                       salesperson_id: strawberry.ID | None = None) -> VisitReport:
    principal = info.context.caller
    who = str(salesperson_id) if salesperson_id else principal.user_id
    scope = policy.plans_of(principal, who)
    store = info.context.service.store
    start, end = visits.report_window(period, date)
    logged = await store.visits_by(who, start, end)
    if not scope.everything:
        visited = await store.get_many(sorted({v.customer_id for v in logged}))
        logged = [v for v in logged if v.customer_id in visited
                  and scope.covers(visited[v.customer_id].owner_id, visited[v.customer_id].region)]
    report = visits.visit_report(who, period, date, logged)
    return VisitReport(
        salesperson_id=strawberry.ID(who), period=report.period, start=report.start, end=report.end,
        visit_count=len(report.visits), customers_visited=report.customers_visited,
        by_channel=[VisitChannelCount(channel=c, count=n) for c, n in report.by_channel.items()],
        visits=[Visit.from_domain(v) for v in report.visits],
        open_problems=[Visit.from_domain(v) for v in report.open_problems])
