"""The customer subgraph: a thin skin over the archive. Validate, authorise, call a handler, map.

Types: `schema_types.py`; the card with CUS-9 need-to-know and the access log: `schema_cards.py`; the visit
plan and report: `schema_visits.py`; the sales analyses: `schema_analysis.py`.
"""

from typing import Any

import strawberry
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.graphql import ServiceSchema, caller, service_of
from services.customer import domain, handlers, schema_analysis, schema_cards, schema_visits, visits
from services.customer.schema_cards import (
    Customer,
    CustomerConnection,
    CustomerEdge,
    cards,
    require_full_card,
)
from services.customer.schema_types import (
    CustomerFilter,
    EndTradingInput,
    LogVisitInput,
    PageInfo,
    ProspectGrade,
    RegisterCustomerInput,
    UpdateCustomerInput,
    Viewer,
    Visit,
)
from services.customer.store import CustomerFilter as Filter

# Who may write to the archive; a card is edited only by someone who sees it in full (CUS-9).
EDITORS = (Role.SALES, Role.REGION_ASSISTANT, Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER,
           Role.ADMIN)
UNIT_HEADS = (Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER)


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


def _editor(info: Info) -> Principal:
    principal = caller(info)
    principal.require(*EDITORS)
    return principal


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        principal = caller(info)
        found = await service_of(info).store.get_many([str(id)])
        return (await cards(info, principal, [found[str(id)]], "customer"))[0] if str(id) in found else None

    @strawberry.field(description="CUS-10: search and list, ordered by name, with stable cursors")
    async def customers(self, info: Info, filter: CustomerFilter | None = None, first: int | None = 20,
                        after: str | None = None) -> CustomerConnection:
        principal = caller(info)
        where = Filter(**vars(filter), now=service_of(info).clock.now()) if filter else Filter()
        page = await service_of(info).store.search(where, 20 if first is None else first, after)
        nodes = await cards(info, principal, page.customers, "customers")
        edges = [CustomerEdge(node=node, cursor=cursor) for node, cursor in zip(nodes, page.cursors, strict=True)]
        return CustomerConnection(edges=edges, page_info=PageInfo(end_cursor=page.end_cursor,
                                                                  has_next_page=page.has_next_page),
                                  total_count=page.total_count)

    @strawberry.field
    def me(self, info: Info) -> Viewer:
        p = caller(info)
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
        principal = _editor(info)
        customer = await handlers.register_customer(_card(input), principal.user_id,
                                                    service_of(info).uow())
        return (await cards(info, principal, [customer], "registerCustomer"))[0]

    @strawberry.mutation(description="CUS-7: every change is kept as who / when / field / old → new")
    async def update_customer(self, info: Info, id: strawberry.ID,
                              expected_version: int, input: UpdateCustomerInput) -> Customer:
        principal = _editor(info)
        await require_full_card(info, principal, str(id))
        cmd = handlers.UpdateCustomer(str(id), expected_version, principal.user_id,
                                      _card(input))
        customer = await handlers.update_customer(cmd, service_of(info).uow())
        return (await cards(info, principal, [customer], "updateCustomer"))[0]

    @strawberry.mutation(description="CUS-8: the unit head approves the start-of-trading survey")
    async def start_trading(self, info: Info, id: strawberry.ID, expected_version: int, survey: str) -> Customer:
        principal = caller(info)
        principal.require(*UNIT_HEADS)
        customer = await handlers.start_trading(str(id), expected_version, survey, principal.user_id,
                                                service_of(info).uow())
        return (await cards(info, principal, [customer], "startTrading"))[0]

    @strawberry.mutation(description="CUS-8: end trading; the card is archived, never deleted")
    async def end_trading(self, info: Info, id: strawberry.ID, expected_version: int,
                          input: EndTradingInput) -> Customer:
        principal = caller(info)
        principal.require(*UNIT_HEADS, Role.ADMIN)
        customer = await handlers.end_trading(str(id), expected_version, input.reason, input.note.strip(),
                                              principal.user_id, service_of(info).uow())
        return (await cards(info, principal, [customer], "endTrading"))[0]

    @strawberry.mutation(description="CUS-4: the salesperson grades a prospect A–D; the grade sets the visit cadence")
    async def set_prospect_grade(self, info: Info, id: strawberry.ID, expected_version: int,
                                 grade: ProspectGrade) -> Customer:
        principal = _editor(info)
        await require_full_card(info, principal, str(id))
        customer = await handlers.grade_prospect(str(id), expected_version, visits.ProspectGrade(grade),
                                                 principal.user_id, service_of(info).uow())
        return (await cards(info, principal, [customer], "setProspectGrade"))[0]

    @strawberry.mutation(description="CUS-6: log a visit (who: the caller; when: now unless given)")
    async def log_visit(self, info: Info, input: LogVisitInput) -> Visit:
        principal = _editor(info)
        await require_full_card(info, principal, str(input.customer_id))
        cmd = handlers.LogVisit(str(input.customer_id), principal.user_id, visits.VisitChannel(input.channel),
                                input.progress, input.visited_at, input.achievements, input.problems,
                                input.next_steps)
        return Visit.from_domain(await handlers.log_visit(cmd, service_of(info).uow()))


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
