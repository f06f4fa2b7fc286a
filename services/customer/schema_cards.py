"""The customer card at the edge, CUS-9 need-to-know: each card as much as the caller may see, reads of
full cards by non-owners in the access log, and the access log itself."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.errors import Forbidden, Invalid
from chassis.graphql import caller, service_of
from services.customer import access as need_to_know
from services.customer import domain
from services.customer.schema_types import (
    CardAccess,
    CompanyCard,
    Contact,
    CustomerKind,
    CustomerLevel,
    CustomerNature,
    FieldChange,
    Lifecycle,
    MarketPosition,
    PageInfo,
    PersonCard,
    ProspectGrade,
    Qualification,
    Revision,
    Termination,
    TradingSurvey,
    Visit,
)


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
        if self.card_access is not need_to_know.CardAccess.FULL:
            return []
        revisions = await service_of(info).store.history(self.id)
        return [Revision(version=r.version, action=r.action, by=r.by, at=r.at,
                         changes=[FieldChange(field=c.field, old=c.old, new=c.new) for c in r.changes])
                for r in revisions]

    @strawberry.field(description="CUS-6: the visits logged with this customer, newest first (full card only)")
    async def visits(self, info: Info, first: int = 20) -> list["Visit"]:
        if self.card_access is not need_to_know.CardAccess.FULL:
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
                    access: need_to_know.CardAccess = need_to_know.CardAccess.FULL) -> "Customer":
        public: dict[str, Any] = {
            "id": strawberry.ID(c.id), "code": c.code, "name": c.name, "kind": c.kind, "nature": c.nature,
            "level": c.level, "lifecycle": c.lifecycle, "region": c.region, "version": c.version,
            "card_access": access, "needs_review": c.needs_review(service_of(info).clock.now()),
        }
        if access is not need_to_know.CardAccess.FULL:
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
        owner = need_to_know.owner_of(c, owners.get(c.id))
        access = need_to_know.card_access(user_id=principal.user_id, roles=principal.roles, region=principal.region,
                                          owner_id=owner, customer_region=c.region)
        if requested and need_to_know.access_is_logged(access, user_id=principal.user_id, owner_id=owner):
            entries.append(service.access_entry(principal, c.id, owner, operation, requested))
        out.append(Customer.from_domain(c, info, access))
    await service.log_access(entries)
    return out


async def require_full_card(info: Info, principal: Principal, customer_id: str) -> None:
    """CUS-9: a card is edited only by someone who may see all of it (a foreign salesperson may not)."""
    store = service_of(info).store
    customer = await store.get(customer_id)
    owner = need_to_know.owner_of(customer, (await store.ownerships([customer_id])).get(customer_id))
    access = need_to_know.card_access(user_id=principal.user_id, roles=principal.roles, region=principal.region,
                                      owner_id=owner, customer_region=customer.region)
    if access is not need_to_know.CardAccess.FULL:
        raise Forbidden(f"{customer.code} is not yours: you see only its public part (CUS-9), so you may not "
                        "change it or log visits with it")


@strawberry.federation.type(shareable=True)  # ownership's `pool` answers with it too
class CustomerEdge:
    node: Customer
    cursor: str


@strawberry.federation.type(shareable=True)  # ownership's `pool` answers with it too
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


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


@strawberry.field(description="CUS-9: who read which full card they do not own, newest first (ADMIN)")
async def access_log(info: Info, customer_id: strawberry.ID | None = None,
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
