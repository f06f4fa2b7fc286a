"""The customer card at the edge, CUS-9 need-to-know: the public part for everyone who may see the
customer, the full card for those `policy.card_access` allows (null and FORBIDDEN for any other
confidential field, empty lists), non-owners' reads of it in the access log; and the access log itself."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from chassis.graphql import Connection, ServiceContext
from services.customer import domain, policy
from services.customer.handlers import CustomerService
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
    PersonCard,
    ProspectGrade,
    Revision,
    Termination,
    TimelineEntry,
    TradingSurvey,
    Visit,
)

Info = strawberry.Info[ServiceContext[CustomerService], None]


def _confidential(graphql_type: Any, read: Callable[[domain.Customer], Any], description: str | None = None) -> Any:
    """A field of the full card: null and FORBIDDEN for whoever sees only the public part."""

    def resolve(root: "Customer", info: Info) -> Any:
        return read(root.full_card(info))

    return strawberry.field(resolver=resolve, graphql_type=graphql_type, description=description)


@strawberry.federation.type(keys=["id"], description=(
    "A customer card (客户档案卡). CUS-9 need-to-know: who may not see the full card gets its public part "
    "(id, code, name, kind, nature, level, lifecycle, region, version); any other field is null with a "
    "FORBIDDEN error, lists are empty"))
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
    needs_review: bool = strawberry.field(description="CUS-7: untouched for 12 months, due for review")
    card_access: CardAccess = strawberry.field(description="CUS-9: the FULL card or only its PUBLIC part")
    _card: strawberry.Private[domain.Customer]
    _logged: strawberry.Private[bool]  # a read of the full card goes to the access log

    market_position: MarketPosition | None = _confidential(MarketPosition | None, lambda c: c.market_position)
    phone: str | None = _confidential(str | None, lambda c: c.phone)
    credit_code: str | None = _confidential(str | None, lambda c: c.credit_code)
    address: str | None = _confidential(str | None, lambda c: c.address)
    company: CompanyCard | None = _confidential(CompanyCard | None, lambda c: CompanyCard.from_domain(c.company))
    person: PersonCard | None = _confidential(PersonCard | None, lambda c: PersonCard.from_domain(c.person))
    first_sale_at: datetime | None = _confidential(datetime | None, lambda c: c.first_sale_at)
    last_sale_at: datetime | None = _confidential(datetime | None, lambda c: c.last_sale_at)
    sold_before_trading_open_at: datetime | None = _confidential(
        datetime | None, lambda c: c.sold_before_trading_open_at,
        "CUS-8: the first invoice ERP issued before the start-of-trading survey's final approval (kept, to follow up)")
    trading_survey: TradingSurvey | None = _confidential(
        TradingSurvey | None, lambda c: TradingSurvey.from_domain(c.trading_survey) if c.trading_survey else None)
    termination: Termination | None = _confidential(
        Termination | None, lambda c: Termination(**vars(c.termination)) if c.termination else None)
    prospect_grade: ProspectGrade | None = _confidential(
        ProspectGrade | None, lambda c: c.prospect_grade, "CUS-4, while the customer has not bought")
    registered_by: str | None = _confidential(str | None, lambda c: c.registered_by)
    registered_at: datetime | None = _confidential(datetime | None, lambda c: c.registered_at)
    updated_by: str | None = _confidential(str | None, lambda c: c.updated_by)
    updated_at: datetime | None = _confidential(datetime | None, lambda c: c.updated_at)

    @strawberry.field(description="CUS-1: the people to talk to (full card only; empty otherwise)")
    def contacts(self, info: Info) -> list[Contact]:
        if self.card_access is not policy.CardAccess.FULL:
            return []
        return [Contact(**vars(x)) for x in self.full_card(info).contacts]

    @strawberry.field(description="CUS-7: every version of the card, oldest first (full card only)")
    async def history(self, info: Info) -> list[Revision]:
        if self.card_access is not policy.CardAccess.FULL:
            return []
        self.full_card(info)
        revisions = await info.context.loader("history", info.context.service.store.histories).load(str(self.id))
        return [Revision(version=r.version, action=r.action, by=r.by, at=r.at,
                         changes=[FieldChange(field=c.field, old=c.old, new=c.new) for c in r.changes])
                for r in revisions or []]

    @strawberry.field(description="The customer's complaints as they were filed, resolved and reopened, newest "
                                  "first, beside the card's own versions (full card only)")
    async def timeline(self, info: Info, first: int = 20) -> list[TimelineEntry]:
        if self.card_access is not policy.CardAccess.FULL:
            return []
        self.full_card(info)
        told = await info.context.loader("timeline", info.context.service.store.timelines).load(str(self.id))
        return [TimelineEntry.from_domain(e) for e in (told or [])[:max(0, min(first, 100))]]

    @strawberry.field(description="CUS-6: the visits logged with this customer, newest first (full card only)")
    async def visits(self, info: Info, first: int = 20) -> list[Visit]:
        if self.card_access is not policy.CardAccess.FULL:
            return []
        self.full_card(info)
        logged = await info.context.loader("visits", info.context.service.store.visits_of).load(str(self.id))
        return [Visit.from_domain(v) for v in (logged or [])[:max(0, min(first, 100))]]

    def full_card(self, info: Info) -> domain.Customer:
        """The card, if the caller may see all of it (the read is logged for a non-owner); else FORBIDDEN."""
        if self.card_access is not policy.CardAccess.FULL:
            raise policy.refuse_card(self._card, info.field_name)
        if self._logged:
            info.context.record_access(info, self._card.id, self._card.owner_id, policy.WHAT, [info.field_name])
        return self._card

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer | None":
        card = await cards(info).load(str(id))
        return cls.shown(info, card) if card else None

    @classmethod
    def shown(cls, info: Info, c: domain.Customer) -> "Customer":
        """The card as this caller may see it."""
        caller = info.context.caller
        return cls(id=strawberry.ID(c.id), code=c.code, name=c.name, kind=c.kind, nature=c.nature, level=c.level,
                   lifecycle=c.lifecycle, region=c.region, version=c.version,
                   needs_review=c.needs_review(info.context.service.clock.now()),
                   card_access=policy.card_access(caller, c), _card=c, _logged=policy.is_logged(caller, c))


def cards(info: Info) -> DataLoader[str, domain.Customer | None]:
    """The cards this request asks for by id: one store query per level of the answer."""
    return info.context.loader("cards", info.context.service.store.get_many)


def shown(info: Info, customers: list[domain.Customer]) -> list[Customer]:
    return [Customer.shown(info, c) for c in customers]


@strawberry.type(description="CUS-9: one read of confidential customer data by someone who is not its owner")
class AccessLogEntry:
    customer_id: strawberry.ID
    user_id: strawberry.ID
    roles: list[str]
    at: datetime
    service: str = strawberry.field(description="where it was read: customer, credit, ownership, complaints")
    what: str = strawberry.field(description="customer card, credit profile, release report, ...")
    operation: str = strawberry.field(description="the GraphQL root field that read it: customer, customers, ...")
    fields: list[str] = strawberry.field(description="the confidential fields the read selected")
    owner_id: str | None = strawberry.field(description="the customer's owner at the time (null: in the pool)")

    @classmethod
    def from_document(cls, d: dict[str, Any]) -> "AccessLogEntry":
        return cls(customer_id=strawberry.ID(d["customer_id"]), user_id=strawberry.ID(d["user_id"]),
                   roles=d["roles"], at=d["at"], service=d.get("service", "customer"),
                   what=d.get("what", policy.WHAT), operation=d["operation"], fields=d["fields"],
                   owner_id=d.get("owner_id"))


@strawberry.type
class AccessLogConnection(Connection[AccessLogEntry]):
    pass


@strawberry.field(description="CUS-9: who read which customer's confidential data without owning it, newest "
                              "first (ADMIN)")
async def access_log(info: Info, customer_id: strawberry.ID | None = None, user_id: strawberry.ID | None = None,
                     first: int | None = 20, after: str | None = None) -> AccessLogConnection:
    policy.require_may_read_access_log(info.context.caller)
    page = await info.context.service.store.access_log_page(
        str(customer_id) if customer_id else None, str(user_id) if user_id else None,
        20 if first is None else first, after)
    return AccessLogConnection.of([AccessLogEntry.from_document(d) for d in page.documents], page)
