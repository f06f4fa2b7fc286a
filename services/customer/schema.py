"""The customer subgraph: a thin skin over the archive. Validate, authorise, call a handler, map."""

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.graphql import Fen, ServiceSchema, caller, service_of
from services.customer import domain, handlers
from services.customer.store import CustomerFilter as Filter

CustomerKind = strawberry.enum(domain.CustomerKind)
CustomerNature = strawberry.enum(domain.CustomerNature)
Lifecycle = strawberry.enum(domain.Lifecycle)
CustomerLevel = strawberry.enum(domain.CustomerLevel)
MarketPosition = strawberry.enum(domain.MarketPosition)
CompanyType = strawberry.enum(domain.CompanyType)
QualificationKind = strawberry.enum(domain.QualificationKind)
EndOfTrading = strawberry.enum(domain.EndOfTrading)

# Who may write to the archive; reading needs only a valid token (need-to-know, CUS-9, comes later).
EDITORS = (Role.SALES, Role.REGION_ASSISTANT, Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER,
           Role.ADMIN)
UNIT_HEADS = (Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER)


@strawberry.type
class Contact:
    name: str
    title: str | None
    phone: str | None
    email: str | None


@strawberry.type
class Qualification:
    kind: QualificationKind
    number: str
    expires_on: date | None


@strawberry.type(description="CUS-1 公司类顾客档案卡: the company part of a card")
class CompanyCard:
    legal_representative: str | None
    general_manager: str | None
    purchasing_lead: str | None
    company_type: CompanyType | None
    registered_capital_fen: Fen | None
    business_scope: str | None
    export_sales: bool | None
    business_scale: str | None
    founded_on: date | None
    relationship_since: date | None
    payment_terms: str | None
    payment_method: str | None
    qualifications: list[Qualification]


@strawberry.type(description="CUS-1 个人或家庭档案卡: the person/household part of a card")
class PersonCard:
    gender: str | None
    education: str | None
    age_band: str | None
    interests: str | None
    occupation: str | None
    average_income_fen: Fen | None
    preferred_payment_method: str | None
    notes: str | None


@strawberry.type(description="CUS-8 交易开始调查书, approved by the unit head")
class TradingSurvey:
    summary: str
    approved_by: str
    approved_at: datetime


@strawberry.type
class Termination:
    reason: EndOfTrading
    note: str
    by: str
    at: datetime


@strawberry.type
class FieldChange:
    field: str
    old: JSON | None
    new: JSON | None


@strawberry.type(description="CUS-7: one version of a card: who, when, which fields, old → new")
class Revision:
    version: int
    action: str
    by: str
    at: datetime
    changes: list[FieldChange]


@strawberry.federation.type(keys=["id"], description="A customer card (客户档案卡)")
class Customer:
    id: strawberry.ID
    code: str
    name: str
    kind: CustomerKind
    nature: CustomerNature
    level: CustomerLevel | None
    lifecycle: Lifecycle
    market_position: MarketPosition | None
    region: str | None
    version: int
    phone: str | None
    credit_code: str | None
    address: str | None
    contacts: list[Contact]
    company: CompanyCard | None
    person: PersonCard | None
    first_sale_at: datetime | None
    last_sale_at: datetime | None
    trading_survey: TradingSurvey | None
    termination: Termination | None
    registered_by: str
    registered_at: datetime
    updated_by: str
    updated_at: datetime
    needs_review: bool = strawberry.field(description="CUS-7: untouched for 12 months, due for review")

    @strawberry.field(description="CUS-7: every version of the card, oldest first")
    async def history(self, info: Info) -> list[Revision]:
        revisions = await service_of(info).store.history(self.id)
        return [Revision(version=r.version, action=r.action, by=r.by, at=r.at,
                         changes=[FieldChange(field=c.field, old=c.old, new=c.new) for c in r.changes])
                for r in revisions]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer | None":
        caller(info)
        found = await service_of(info).store.get_many([str(id)])
        return cls.from_domain(found[str(id)], info) if str(id) in found else None

    @classmethod
    def from_domain(cls, c: domain.Customer, info: Info) -> "Customer":
        company = c.company
        return cls(
            id=strawberry.ID(c.id), code=c.code, name=c.name, kind=c.kind, nature=c.nature, level=c.level,
            lifecycle=c.lifecycle, market_position=c.market_position, region=c.region, version=c.version,
            phone=c.phone, credit_code=c.credit_code, address=c.address,
            contacts=[Contact(**vars(x)) for x in c.contacts],
            company=CompanyCard(**vars(company) | {"qualifications": [Qualification(**vars(q)) for q in
                                                                     company.qualifications]}) if company else None,
            person=PersonCard(**vars(c.person)) if c.person else None,
            first_sale_at=c.first_sale_at, last_sale_at=c.last_sale_at,
            trading_survey=TradingSurvey(**vars(c.trading_survey)) if c.trading_survey else None,
            termination=Termination(**vars(c.termination)) if c.termination else None,
            registered_by=c.registered_by, registered_at=c.registered_at, updated_by=c.updated_by,
            updated_at=c.updated_at, needs_review=c.needs_review(service_of(info).clock.now()),
        )


@strawberry.federation.type(shareable=True)  # ownership's `pool` answers with it too
class CustomerEdge:
    node: Customer
    cursor: str


@strawberry.federation.type(shareable=True)  # ownership's `pool` answers with it too
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.federation.type(shareable=True)  # ownership's `pool` answers with it too
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="The caller, as the token says")
class Viewer:
    id: strawberry.ID
    name: str
    roles: list[str]
    region: str | None


@strawberry.input(description="CUS-10: every given condition must hold; TERMINATED cards only when asked for")
class CustomerFilter:
    text: str | None = strawberry.field(default=None, description="prefix of the name or the code, any case")
    region: str | None = None
    level: CustomerLevel | None = None
    nature: CustomerNature | None = None
    lifecycle: Lifecycle | None = None


@strawberry.input
class ContactInput:
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None


@strawberry.input
class QualificationInput:
    kind: QualificationKind
    number: str
    expires_on: date | None = None


@strawberry.input
class CompanyCardInput:
    legal_representative: str | None = None
    general_manager: str | None = None
    purchasing_lead: str | None = None
    company_type: CompanyType | None = None
    registered_capital_fen: Fen | None = None
    business_scope: str | None = None
    export_sales: bool | None = None
    business_scale: str | None = None
    founded_on: date | None = None
    relationship_since: date | None = None
    payment_terms: str | None = None
    payment_method: str | None = None
    qualifications: list[QualificationInput] = strawberry.field(default_factory=list)


@strawberry.input
class PersonCardInput:
    gender: str | None = None
    education: str | None = None
    age_band: str | None = None
    interests: str | None = None
    occupation: str | None = None
    average_income_fen: Fen | None = None
    preferred_payment_method: str | None = None
    notes: str | None = None


@strawberry.input
class RegisterCustomerInput:
    name: str
    kind: CustomerKind
    nature: CustomerNature
    region: str | None = None
    phone: str | None = None
    credit_code: str | None = strawberry.field(default=None, description="unified social credit code")
    address: str | None = None
    market_position: MarketPosition | None = None
    contacts: list[ContactInput] = strawberry.field(default_factory=list)
    company: CompanyCardInput | None = None
    person: PersonCardInput | None = None


@strawberry.input(description="Only the fields given change; a field given as null is cleared")
class UpdateCustomerInput:
    name: str | None = strawberry.UNSET
    nature: CustomerNature | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    credit_code: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    market_position: MarketPosition | None = strawberry.UNSET
    contacts: list[ContactInput] | None = strawberry.UNSET
    company: CompanyCardInput | None = strawberry.UNSET
    person: PersonCardInput | None = strawberry.UNSET


@strawberry.input(description="CUS-8: how trading ends")
class EndTradingInput:
    reason: EndOfTrading
    note: str


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
        caller(info)
        found = await service_of(info).store.get_many([str(id)])
        return Customer.from_domain(found[str(id)], info) if str(id) in found else None

    @strawberry.field(description="CUS-10: search and list, ordered by name, with stable cursors")
    async def customers(self, info: Info, filter: CustomerFilter | None = None, first: int | None = 20,
                        after: str | None = None) -> CustomerConnection:
        caller(info)
        where = Filter(**vars(filter)) if filter else Filter()
        page = await service_of(info).store.search(where, 20 if first is None else first, after)
        edges = [CustomerEdge(node=Customer.from_domain(c, info), cursor=cursor)
                 for c, cursor in zip(page.customers, page.cursors, strict=True)]
        return CustomerConnection(edges=edges, page_info=PageInfo(end_cursor=page.end_cursor,
                                                                  has_next_page=page.has_next_page),
                                  total_count=page.total_count)

    @strawberry.field
    def me(self, info: Info) -> Viewer:
        p = caller(info)
        return Viewer(id=strawberry.ID(p.user_id), name=p.name, roles=sorted(p.roles), region=p.region)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CUS-1, CUS-12: a new card; a duplicate is refused naming the existing one")
    async def register_customer(self, info: Info, input: RegisterCustomerInput) -> Customer:
        principal = _editor(info)
        customer = await handlers.register_customer(_card(input), principal.user_id,
                                                    service_of(info).uow())
        return Customer.from_domain(customer, info)

    @strawberry.mutation(description="CUS-7: every change is kept as who / when / field / old → new")
    async def update_customer(self, info: Info, id: strawberry.ID,
                              expected_version: int, input: UpdateCustomerInput) -> Customer:
        principal = _editor(info)
        cmd = handlers.UpdateCustomer(str(id), expected_version, principal.user_id,
                                      _card(input))
        return Customer.from_domain(await handlers.update_customer(cmd, service_of(info).uow()), info)

    @strawberry.mutation(description="CUS-8: the unit head approves the start-of-trading survey")
    async def start_trading(self, info: Info, id: strawberry.ID, expected_version: int, survey: str) -> Customer:
        principal = caller(info)
        principal.require(*UNIT_HEADS)
        customer = await handlers.start_trading(str(id), expected_version, survey, principal.user_id,
                                                service_of(info).uow())
        return Customer.from_domain(customer, info)

    @strawberry.mutation(description="CUS-8: end trading; the card is archived, never deleted")
    async def end_trading(self, info: Info, id: strawberry.ID, expected_version: int,
                          input: EndTradingInput) -> Customer:
        principal = caller(info)
        principal.require(*UNIT_HEADS, Role.ADMIN)
        customer = await handlers.end_trading(str(id), expected_version, input.reason, input.note.strip(),
                                              principal.user_id, service_of(info).uow())
        return Customer.from_domain(customer, info)


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
