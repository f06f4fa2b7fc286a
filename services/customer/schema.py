"""The customer subgraph: a thin skin over the archive. Validate, authorise, call a handler, map.

Types: `schema_types.py`; the card with CUS-9 need-to-know and the access log: `schema_cards.py`; the visit
plan and report: `schema_visits.py`; the sales analyses: `schema_analysis.py`.
"""

from typing import Any

import strawberry

from chassis.graphql import Connection, ServiceSchema
from services.customer import domain, handlers, policy, schema_analysis, schema_cards, schema_visits, visits
from services.customer.schema_cards import Customer, Info, cards, shown
from services.customer.schema_types import (
    CustomerFilter,
    EndTradingInput,
    LogVisitInput,
    ProspectGrade,
    RegisterCustomerInput,
    UpdateCustomerInput,
    Viewer,
    Visit,
)
from services.customer.store import CustomerFilter as Filter


def _card(input: Any) -> dict[str, Any]:
    """GraphQL input → domain values, for the fields given."""
    card: dict[str, Any] = {}
    for name, value in vars(input).items():
        if value is strawberry.UNSET:
            continue
        if name == "contacts":
            value = tuple(domain.Contact(**vars(c)) for c in value or [])
        elif name == "company" and value is not None:
            value = domain.CompanyCard(**vars(value) | {"qualifications": tuple(
                domain.Qualification(**vars(q)) for q in value.qualifications)})
        elif name == "person" and value is not None:
            value = domain.PersonCard(**vars(value))
        elif type(value) is str:  # not the enums, which are str too
            value = value.strip() if name == "name" else (value.strip() or None)  # blank text clears a field
        card[name] = value
    return card


@strawberry.type
class Query:
    @strawberry.field(description="CUS-9: any customer's public part by its id; the full card by need-to-know")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        card = await cards(info).load(str(id))
        return Customer.shown(info, card) if card else None

    @strawberry.field(description="CUS-10: search and list, ordered by name, with stable cursors; a salesperson's "
                                  "list shows their own customers and the pool's, a region role's their region's")
    async def customers(self, info: Info, filter: CustomerFilter | None = None, first: int | None = 20,
                        after: str | None = None) -> Connection[Customer]:
        service = info.context.service
        where = Filter(**vars(filter), now=service.clock.now()) if filter else Filter()
        found, page = await service.store.search(where, policy.listed(info.context.caller),
                                                 20 if first is None else first, after)
        return Connection.of(shown(info, found), page)

    @strawberry.field
    def me(self, info: Info) -> Viewer:
        p = info.context.caller
        return Viewer(id=strawberry.ID(p.user_id), name=p.name, roles=sorted(p.roles), region=p.region)

    visit_plan = schema_visits.visit_plan
    visit_report = schema_visits.visit_report
    sales_share = schema_analysis.sales_share
    sales_pareto = schema_analysis.sales_pareto
    abc_analysis = schema_analysis.abc_analysis
    access_log = schema_cards.access_log


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CUS-1, CUS-12: a new card; a duplicate is refused naming the existing one")
    async def register_customer(self, info: Info, input: RegisterCustomerInput) -> Customer:
        card = _card(input)
        customer = await info.context.service.run(
            lambda uow: handlers.register_customer(card, info.context.caller, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-7: every change is kept as who / when / field / old → new")
    async def update_customer(self, info: Info, id: strawberry.ID, expected_version: int,
                              input: UpdateCustomerInput) -> Customer:
        cmd = handlers.UpdateCustomer(str(id), expected_version, info.context.caller, _card(input))
        customer = await info.context.service.run(lambda uow: handlers.update_customer(cmd, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-8: the person responsible for the customer writes the start-of-trading "
                                     "survey (again, after a rejection)")
    async def submit_trading_survey(self, info: Info, id: strawberry.ID, expected_version: int, survey: str
                                    ) -> Customer:
        customer = await info.context.service.run(lambda uow: handlers.submit_trading_survey(
            str(id), expected_version, survey, info.context.caller, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-8: the unit head decides, then the general manager; the final approval "
                                     "opens trading (credit may then be requested); whoever wrote it does not decide")
    async def decide_trading_survey(self, info: Info, id: strawberry.ID, expected_version: int, approve: bool,
                                    comment: str | None = None) -> Customer:
        customer = await info.context.service.run(lambda uow: handlers.decide_trading_survey(
            str(id), expected_version, approve, comment, info.context.caller, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-8: end trading; the card is archived, never deleted")
    async def end_trading(self, info: Info, id: strawberry.ID, expected_version: int,
                          input: EndTradingInput) -> Customer:
        customer = await info.context.service.run(lambda uow: handlers.end_trading(
            str(id), expected_version, input.reason, input.note.strip(), info.context.caller, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-4: the salesperson grades a prospect A–D; the grade sets the visit cadence")
    async def set_prospect_grade(self, info: Info, id: strawberry.ID, expected_version: int,
                                 grade: ProspectGrade) -> Customer:
        customer = await info.context.service.run(lambda uow: handlers.grade_prospect(
            str(id), expected_version, visits.ProspectGrade(grade), info.context.caller, uow))
        return Customer.shown(info, customer)

    @strawberry.mutation(description="CUS-6: log a visit (who: the caller; when: now unless given)")
    async def log_visit(self, info: Info, input: LogVisitInput) -> Visit:
        cmd = handlers.LogVisit(str(input.customer_id), info.context.caller, visits.VisitChannel(input.channel),
                                input.progress, input.visited_at, input.achievements, input.problems,
                                input.next_steps)
        return Visit.from_domain(await info.context.service.run(lambda uow: handlers.log_visit(cmd, uow)))


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
