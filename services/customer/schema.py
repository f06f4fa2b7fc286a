"""The customer subgraph: a thin skin over the archive. Validate, authorise, call a handler, map."""

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.clock import add_months
from chassis.errors import Forbidden, Invalid
from chassis.graphql import Fen, ServiceSchema, caller, service_of
from services.customer import analysis, domain, handlers, visits
from services.customer.store import CustomerFilter as Filter

CustomerKind = strawberry.enum(domain.CustomerKind)
CustomerNature = strawberry.enum(domain.CustomerNature)
Lifecycle = strawberry.enum(domain.Lifecycle)
CustomerLevel = strawberry.enum(domain.CustomerLevel)
MarketPosition = strawberry.enum(domain.MarketPosition)
CompanyType = strawberry.enum(domain.CompanyType)
QualificationKind = strawberry.enum(domain.QualificationKind)
EndOfTrading = strawberry.enum(domain.EndOfTrading)
CardAccess = strawberry.enum(domain.CardAccess)
ProspectGrade = strawberry.enum(visits.ProspectGrade, description="CUS-4 准客户 grade: A buys this month … D within a year")
VisitChannel = strawberry.enum(visits.VisitChannel)
PlanRole = strawberry.enum(visits.PlanRole, name="VisitPlanRole")
PlanStatus = strawberry.enum(visits.PlanStatus, name="VisitPlanStatus")
ReportPeriod = strawberry.enum(visits.ReportPeriod, name="VisitReportPeriod")
AbcClass = strawberry.enum(analysis.AbcClass, name="CustomerAbcClass")


@strawberry.enum(description="CUS-11: what the sales share is split by")
class ShareDimension(StrEnum):
    LEVEL = "LEVEL"
    REGION = "REGION"
    PRODUCT_LINE = "PRODUCT_LINE"

# Who may write to the archive; a card is edited only by someone who sees it in full (CUS-9).
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


@strawberry.type(description="CUS-6 回访记录: one visit: who, when, how, and what came of it")
class Visit:
    id: strawberry.ID
    customer_id: strawberry.ID
    by: str
    visited_at: datetime
    channel: VisitChannel
    progress: str
    achievements: str | None
    problems: str | None = strawberry.field(description="what is still unresolved")
    next_steps: str | None
    logged_at: datetime

    @classmethod
    def from_domain(cls, v: visits.Visit) -> "Visit":
        return cls(id=strawberry.ID(v.id), customer_id=strawberry.ID(v.customer_id), by=v.by, visited_at=v.at,
                   channel=v.channel, progress=v.progress, achievements=v.achievements, problems=v.problems,
                   next_steps=v.next_steps, logged_at=v.logged_at)


@strawberry.federation.type(keys=["id"], description=(
    "A customer card (客户档案卡). CUS-9 need-to-know: who may not see the full card gets its public part "
    "(id, code, name, kind, nature, level, lifecycle, region, version); every other field is null / empty"))
class Customer:
    id: strawberry.ID
    code: str
    name: str
    kind: CustomerKind
    nature: CustomerNature
    level: CustomerLevel | None
    lifecycle: Lifecycle
    region: str | None
    version: int
    market_position: MarketPosition | None
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
    prospect_grade: ProspectGrade | None = strawberry.field(description="CUS-4, while the customer has not bought")
    registered_by: str | None
    registered_at: datetime | None
    updated_by: str | None
    updated_at: datetime | None
    needs_review: bool = strawberry.field(description="CUS-7: untouched for 12 months, due for review")
    card_access: CardAccess = strawberry.field(description="CUS-9: the FULL card or only its PUBLIC part")

    @strawberry.field(description="CUS-7: every version of the card, oldest first (CUS-9: full card only)")
    async def history(self, info: Info) -> list[Revision]:
        if self.card_access is not domain.CardAccess.FULL:
            return []
        revisions = await service_of(info).store.history(self.id)
        return [Revision(version=r.version, action=r.action, by=r.by, at=r.at,
                         changes=[FieldChange(field=c.field, old=c.old, new=c.new) for c in r.changes])
                for r in revisions]

    @strawberry.field(description="CUS-6: the visits logged with this customer, newest first (full card only)")
    async def visits(self, info: Info, first: int = 20) -> list["Visit"]:
        if self.card_access is not domain.CardAccess.FULL:
            return []
        if not 1 <= first <= 100:
            raise Invalid("first", "must be between 1 and 100")
        return [Visit.from_domain(v) for v in await service_of(info).store.visits_of(self.id, first)]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer | None":
        principal = caller(info)
        found = await service_of(info).store.get_many([str(id)])
        if str(id) not in found:
            return None
        return (await cards(info, principal, [found[str(id)]], "_entities"))[0]

    @classmethod
    def from_domain(cls, c: domain.Customer, info: Info,
                    access: domain.CardAccess = domain.CardAccess.FULL) -> "Customer":
        public: dict[str, Any] = {
            "id": strawberry.ID(c.id), "code": c.code, "name": c.name, "kind": c.kind, "nature": c.nature,
            "level": c.level, "lifecycle": c.lifecycle, "region": c.region, "version": c.version,
            "card_access": access, "needs_review": c.needs_review(service_of(info).clock.now()),
        }
        if access is not domain.CardAccess.FULL:
            return cls(**public, market_position=None, phone=None, credit_code=None, address=None, contacts=[],
                       company=None, person=None, first_sale_at=None, last_sale_at=None, trading_survey=None,
                       termination=None, prospect_grade=None, registered_by=None, registered_at=None, updated_by=None, updated_at=None)
        company = c.company
        return cls(
            **public, market_position=c.market_position,
            phone=c.phone, credit_code=c.credit_code, address=c.address,
            contacts=[Contact(**vars(x)) for x in c.contacts],
            company=CompanyCard(**vars(company) | {"qualifications": [Qualification(**vars(q)) for q in
                                                                     company.qualifications]}) if company else None,
            person=PersonCard(**vars(c.person)) if c.person else None,
            first_sale_at=c.first_sale_at, last_sale_at=c.last_sale_at,
            trading_survey=TradingSurvey(**vars(c.trading_survey)) if c.trading_survey else None,
            termination=Termination(**vars(c.termination)) if c.termination else None,
            prospect_grade=c.prospect_grade,
            registered_by=c.registered_by, registered_at=c.registered_at, updated_by=c.updated_by,
            updated_at=c.updated_at,
        )


# The fields of Customer only a full card shows; the access log names those a read selected.
CONFIDENTIAL = frozenset({
    "marketPosition", "phone", "creditCode", "address", "contacts", "company", "person", "firstSaleAt",
    "lastSaleAt", "tradingSurvey", "termination", "registeredBy", "registeredAt", "updatedBy", "updatedAt",
    "history", "prospectGrade", "visits",
})


def _fields(selections: Any) -> list[Any]:
    """The field selections at this level, fragments (named or inline) flattened."""
    found = []
    for selection in selections or []:
        if getattr(selection, "name", None) and not hasattr(selection, "type_condition"):
            found.append(selection)
        else:
            found.extend(_fields(getattr(selection, "selections", None)))
    return found


def _card_fields(info: Info) -> set[str]:
    """The fields of Customer this operation selected (under edges.node for a connection)."""
    level = _fields(info.selected_fields[0].selections) if info.selected_fields else []
    if info.field_name == "customers":
        for step in ("edges", "node"):
            level = [child for f in level if f.name == step for child in _fields(f.selections)]
    return {f.name for f in level}


async def cards(info: Info, principal: Principal, customers: list[domain.Customer], operation: str
                ) -> list[Customer]:
    """CUS-9: each card as much as the caller may see; full-card reads by non-owners go to the access log."""
    service = service_of(info)
    owners = await service.store.ownerships([c.id for c in customers])
    requested = sorted(_card_fields(info) & CONFIDENTIAL)
    out, entries = [], []
    for c in customers:
        owner = domain.owner_of(c, owners.get(c.id))
        access = domain.card_access(user_id=principal.user_id, roles=principal.roles, region=principal.region,
                                    owner_id=owner, customer_region=c.region)
        if requested and domain.access_is_logged(access, user_id=principal.user_id, owner_id=owner):
            entries.append(service.access_entry(principal, c.id, owner, operation, requested))
        out.append(Customer.from_domain(c, info, access))
    await service.log_access(entries)
    return out


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
    needs_review: bool | None = strawberry.field(default=None, description="CUS-7: stale cards (or fresh ones)")


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


async def _require_full_card(info: Info, principal: Principal, customer_id: str) -> None:
    """CUS-9: a card is edited only by someone who may see all of it (a foreign salesperson may not)."""
    store = service_of(info).store
    customer = await store.get(customer_id)
    owner = domain.owner_of(customer, (await store.ownerships([customer_id])).get(customer_id))
    access = domain.card_access(user_id=principal.user_id, roles=principal.roles, region=principal.region,
                                owner_id=owner, customer_region=customer.region)
    if access is not domain.CardAccess.FULL:
        raise Forbidden(f"{customer.code} is not yours: you see only its public part (CUS-9), so you may not "
                        "change it or log visits with it")


@strawberry.type(description="CUS-9: one read of a full card by someone who is not its owner")
class AccessLogEntry:
    customer_id: strawberry.ID
    user_id: strawberry.ID
    roles: list[str]
    at: datetime
    operation: str = strawberry.field(description="the GraphQL field that read it: customer, customers, ...")
    fields: list[str] = strawberry.field(description="the confidential fields the read selected")
    owner_id: str | None = strawberry.field(description="the card's owner at the time (null: in the pool)")


@strawberry.type
class AccessLogConnection:
    entries: list[AccessLogEntry]
    page_info: PageInfo


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


@strawberry.input(description="CUS-6: a visit, logged after it happened")
class LogVisitInput:
    customer_id: strawberry.ID
    channel: VisitChannel
    progress: str
    visited_at: datetime | None = strawberry.field(default=None, description="when; now unless given")
    achievements: str | None = None
    problems: str | None = None
    next_steps: str | None = None


@strawberry.type(description="CUS-11: one slice of the sales (a level, a region or a product line)")
class SalesShareSlice:
    key: str = strawberry.field(description="the level, region or product line; UNSPECIFIED when none")
    amount_fen: Fen
    share: float = strawberry.field(description="percent of the total, 0–100")
    customer_count: int


@strawberry.type(description="CUS-11: sales share by level, region or product line, largest first")
class SalesShare:
    by: ShareDimension
    start: datetime
    end: datetime
    total_fen: Fen
    slices: list[SalesShareSlice]


@strawberry.type
class ParetoPoint:
    customer: Customer
    amount_fen: Fen
    share: float
    cumulative_share: float
    core: bool = strawberry.field(description="among the customers who make the first cutPercent of sales")


@strawberry.type(description="CUS-11: which customers make 80% of sales, largest first")
class ParetoAnalysis:
    start: datetime
    end: datetime
    total_fen: Fen
    cut_percent: float
    customer_count: int
    core_count: int
    points: list[ParetoPoint] = strawberry.field(description="the first `first` customers, largest first")


@strawberry.type
class AbcClassSummary:
    abc: AbcClass
    customer_count: int
    average_monthly_fen: Fen
    share: float


@strawberry.type
class AbcCustomer:
    customer: Customer
    average_monthly_fen: Fen
    cumulative_share: float
    abc: AbcClass


@strawberry.type(description="CUS-11: ABC by the average monthly sales of the 3 months up to asOf")
class AbcAnalysis:
    start: datetime
    end: datetime
    classes: list[AbcClassSummary]
    customers: list[AbcCustomer] = strawberry.field(description="the first `first` customers, largest first")


ANALYSTS = (Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.ADMIN, Role.REGION_MANAGER)


async def _sales(info: Info, principal: Principal, start: datetime, end: datetime
                 ) -> tuple[list[tuple[str, str | None, int]], dict[str, domain.Customer]]:
    """CUS-11's input: the sales in (start, end] with their customers; a regional manager's: their region's."""
    principal.require(*ANALYSTS)
    if end <= start:
        raise Invalid("to", "must be after from")
    store = service_of(info).store
    totals = await store.sales_totals(start, end)
    customers = await store.get_many(sorted({c for c, _, _ in totals}))
    if not principal.has_any(Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.FINANCE, Role.ADMIN):
        totals = [t for t in totals if t[0] in customers and principal.region is not None
                  and customers[t[0]].region == principal.region]
    return totals, customers


def _window(info: Info, start: datetime | None, end: datetime | None, months: int) -> tuple[datetime, datetime]:
    end = end or service_of(info).clock.now()
    return start or add_months(end, -months), end


def _per_customer(totals: list[tuple[str, str | None, int]]) -> dict[str, int]:
    amounts: dict[str, int] = {}
    for customer_id, _, fen in totals:
        amounts[customer_id] = amounts.get(customer_id, 0) + fen
    return amounts


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

    @strawberry.field(description="CUS-5: visits due (within `withinDays`) and overdue, for a person in a role; "
                                  "the caller's own plan unless `userId` is given")
    async def visit_plan(self, info: Info, user_id: strawberry.ID | None = None, role: PlanRole | None = None,
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
    async def visit_report(self, info: Info, period: ReportPeriod, date: date,
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

    @strawberry.field(description="CUS-11: sales share by level, region or product line in (from, to]; "
                                  "default: the 12 months up to now")
    async def sales_share(self, info: Info, by: ShareDimension, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None, to: datetime | None = None) -> SalesShare:
        principal = caller(info)
        start, end = _window(info, from_, to, 12)
        totals, customers = await _sales(info, principal, start, end)

        def key(customer_id: str, product_line: str | None) -> str | None:
            if by is ShareDimension.PRODUCT_LINE:
                return product_line
            c = customers.get(customer_id)
            if c is None:
                return None
            return (c.level.value if c.level else None) if by is ShareDimension.LEVEL else c.region

        slices = analysis.shares([(c, key(c, p), fen) for c, p, fen in totals])
        return SalesShare(by=by, start=start, end=end, total_fen=sum(s.amount_fen for s in slices),
                          slices=[SalesShareSlice(key=s.key, amount_fen=s.amount_fen, share=s.share,
                                                  customer_count=s.customers) for s in slices])

    @strawberry.field(description="CUS-11: Pareto view: the customers who make `cutPercent` of sales in (from, to]")
    async def sales_pareto(self, info: Info, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
                           to: datetime | None = None, cut_percent: float = 80.0, first: int = 100
                           ) -> ParetoAnalysis:
        principal = caller(info)
        if not 0 < cut_percent <= 100:
            raise Invalid("cutPercent", "must be above 0 and at most 100")
        if not 1 <= first <= 1000:
            raise Invalid("first", "must be between 1 and 1000")
        start, end = _window(info, from_, to, 12)
        totals, customers = await _sales(info, principal, start, end)
        entries = [e for e in analysis.pareto(_per_customer(totals), cut_percent) if e.customer_id in customers]
        shown = entries[:first]
        nodes = await cards(info, principal, [customers[e.customer_id] for e in shown], "salesPareto")
        return ParetoAnalysis(
            start=start, end=end, total_fen=sum(e.amount_fen for e in entries), cut_percent=cut_percent,
            customer_count=len(entries), core_count=sum(e.core for e in entries),
            points=[ParetoPoint(customer=n, amount_fen=e.amount_fen, share=e.share,
                                cumulative_share=e.cumulative_share, core=e.core) for n, e in zip(nodes, shown)])

    @strawberry.field(description="CUS-11: ABC by the average monthly sales of the 3 months up to asOf (now)")
    async def abc_analysis(self, info: Info, as_of: datetime | None = None, first: int = 100) -> AbcAnalysis:
        principal = caller(info)
        if not 1 <= first <= 1000:
            raise Invalid("first", "must be between 1 and 1000")
        start, end = _window(info, None, as_of, 3)
        totals, customers = await _sales(info, principal, start, end)
        config = service_of(info).abc
        entries = [e for e in analysis.abc(_per_customer(totals), *config) if e.customer_id in customers]
        total = sum(e.average_monthly_fen for e in entries)
        classes = []
        for cls in analysis.AbcClass:
            mine = [e for e in entries if e.abc is cls]
            fen = sum(e.average_monthly_fen for e in mine)
            classes.append(AbcClassSummary(abc=cls, customer_count=len(mine), average_monthly_fen=fen,
                                           share=round(100.0 * fen / total, 2) if total else 0.0))
        shown = entries[:first]
        nodes = await cards(info, principal, [customers[e.customer_id] for e in shown], "abcAnalysis")
        return AbcAnalysis(start=start, end=end, classes=classes, customers=[
            AbcCustomer(customer=n, average_monthly_fen=e.average_monthly_fen, cumulative_share=e.cumulative_share,
                        abc=e.abc) for n, e in zip(nodes, shown)])

    @strawberry.field(description="CUS-9: who read which full card they do not own, newest first (ADMIN)")
    async def access_log(self, info: Info, customer_id: strawberry.ID | None = None,
                         user_id: strawberry.ID | None = None, first: int | None = 20,
                         after: str | None = None) -> AccessLogConnection:
        caller(info).require(Role.ADMIN)
        docs, end, more = await service_of(info).store.access_log_page(
            str(customer_id) if customer_id else None, str(user_id) if user_id else None,
            20 if first is None else first, after)
        return AccessLogConnection(
            entries=[AccessLogEntry(customer_id=strawberry.ID(d["customer_id"]), user_id=strawberry.ID(d["user_id"]),
                                    roles=d["roles"], at=d["at"], operation=d["operation"], fields=d["fields"],
                                    owner_id=d.get("owner_id")) for d in docs],
            page_info=PageInfo(end_cursor=end, has_next_page=more))


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
        await _require_full_card(info, principal, str(id))
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
        await _require_full_card(info, principal, str(id))
        customer = await handlers.grade_prospect(str(id), expected_version, visits.ProspectGrade(grade),
                                                 principal.user_id, service_of(info).uow())
        return (await cards(info, principal, [customer], "setProspectGrade"))[0]

    @strawberry.mutation(description="CUS-6: log a visit (who: the caller; when: now unless given)")
    async def log_visit(self, info: Info, input: LogVisitInput) -> Visit:
        principal = _editor(info)
        await _require_full_card(info, principal, str(input.customer_id))
        cmd = handlers.LogVisit(str(input.customer_id), principal.user_id, visits.VisitChannel(input.channel),
                                input.progress, input.visited_at, input.achievements, input.problems,
                                input.next_steps)
        return Visit.from_domain(await handlers.log_visit(cmd, service_of(info).uow()))


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
