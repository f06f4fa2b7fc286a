"""The same CRM world as one plain Strawberry schema: what a single GraphQL server answers.

Types, field order and resolvers mirror `crm_subgraphs`; only the split into subgraphs is missing.
"""

from typing import Annotated

import strawberry
from crm_serving import WorldApp
from crm_subgraphs import (
    Alert,
    Contact,
    CustomerFilter,
    Node,
    Reason,
    RegisterCustomerInput,
    Viewer,
    page,
)
from crm_world import (
    CONFIG,
    CreditRating,
    CustomerKind,
    CustomerLevel,
    CustomerRecord,
    Fen,
    World,
    credit_decision,
    credit_of,
    credit_summary,
    secret_of,
    viewer_of,
    world_of,
)


@strawberry.type(description="A customer card")
class Customer(Node):
    id: strawberry.ID
    code: str
    name: str
    kind: CustomerKind
    level: CustomerLevel | None
    region: str | None
    phone: str | None
    tags: list[str]
    contacts: list[Contact]
    record: strawberry.Private[CustomerRecord]

    @strawberry.field
    def referrer(self, info: strawberry.Info) -> "Customer | None":
        found = world_of(info).customers.get(self.record.referrer_id or "")
        return Customer.of(found) if found else None

    @strawberry.field
    def secret(self) -> str | None:
        return secret_of(self.record)

    @strawberry.field
    def credit(self, info: strawberry.Info) -> "CreditProfile | None":
        found = credit_of(world_of(info), self.id)
        return CreditProfile.of(found) if found else None

    @strawberry.field
    def credit_summary(self, info: strawberry.Info) -> str:
        return credit_summary(world_of(info), self.id, self.name)

    @strawberry.field
    def ownership(self, info: strawberry.Info) -> "Ownership | None":
        found = world_of(info).ownerships.get(self.id)
        return (
            Ownership(owner_id=found.owner_id, in_pool=found.owner_id is None, since=found.since)
            if found
            else None
        )

    @classmethod
    def of(cls, c: CustomerRecord) -> "Customer":
        return cls(
            id=strawberry.ID(c.id),
            code=c.code,
            name=c.name,
            kind=c.kind,
            level=c.level,
            region=c.region,
            phone=c.phone,
            tags=list(c.tags),
            contacts=[Contact(name=n, phone=p) for n, p in c.contacts],
            record=c,
        )


@strawberry.type
class CustomerEdge:
    node: Customer
    cursor: str


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


def connection(records: list[CustomerRecord], first: int, after: str | None) -> CustomerConnection:
    p = page(records, first, after, Customer.of)
    return CustomerConnection(
        edges=[CustomerEdge(node=e["node"], cursor=e["cursor"]) for e in p["edges"]],
        page_info=PageInfo(end_cursor=p["end_cursor"], has_next_page=p["has_next_page"]),
        total_count=p["total_count"],
    )


@strawberry.type
class Salesperson:
    id: strawberry.ID
    name: str
    region: str

    @strawberry.field
    def customers(self, info: strawberry.Info) -> list[Customer]:
        world = world_of(info)
        return [Customer.of(world.customers[i]) for i, o in world.ownerships.items() if o.owner_id == self.id]

    @classmethod
    def of(cls, s) -> "Salesperson":
        return cls(id=strawberry.ID(s.id), name=s.name, region=s.region)


@strawberry.type
class CreditProfile:
    rating: CreditRating
    limit_fen: Fen
    exposure_fen: Fen
    alerts: list[Alert]
    reviewer_id: strawberry.Private[str | None]

    @strawberry.field
    def utilization(self) -> float:
        return round(self.exposure_fen / self.limit_fen, 4) if self.limit_fen else 0.0

    @strawberry.field
    def reviewer(self, info: strawberry.Info) -> Salesperson | None:
        found = world_of(info).salespeople.get(self.reviewer_id or "")
        return Salesperson.of(found) if found else None

    @classmethod
    def of(cls, c) -> "CreditProfile":
        return cls(
            rating=c.rating,
            limit_fen=c.limit_fen,
            exposure_fen=c.exposure_fen,
            alerts=[Alert(level=lvl, at=at) for lvl, at in c.alerts],
            reviewer_id=c.reviewer_id,
        )


@strawberry.type
class Ownership:
    owner_id: strawberry.ID | None
    in_pool: bool
    since: str | None

    @strawberry.field
    def owner(self, info: strawberry.Info) -> Salesperson | None:
        found = world_of(info).salespeople.get(self.owner_id or "")
        return Salesperson.of(found) if found else None


@strawberry.type
class CreditDecision:
    allowed: bool
    reasons: list[Reason]
    customer: Customer | None


Party = Annotated[Customer | Salesperson, strawberry.union("Party")]


@strawberry.type
class Query:
    @strawberry.field
    def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        found = world_of(info).customers.get(id)
        return Customer.of(found) if found else None

    @strawberry.field
    def customers(
        self,
        info: strawberry.Info,
        filter: CustomerFilter | None = None,
        first: int = 10,
        after: str | None = None,
    ) -> CustomerConnection:
        f = filter or CustomerFilter()
        return connection(world_of(info).listed(f.region, f.kinds, f.text), first, after)

    @strawberry.field
    def customers_by_ids(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Customer | None]:
        found = world_of(info).customers
        return [Customer.of(found[i]) if i in found else None for i in ids]

    @strawberry.field
    def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        found = world_of(info).customers.get(id)
        return Customer.of(found) if found else None

    @strawberry.field
    def me(self, info: strawberry.Info) -> Viewer:
        principal = viewer_of(info)
        return Viewer(id=strawberry.ID(principal.user_id), name=principal.name, roles=sorted(principal.roles))

    @strawberry.field
    def credit_check(
        self, info: strawberry.Info, customer_id: strawberry.ID, amount_fen: Fen
    ) -> CreditDecision:
        world = world_of(info)
        allowed, reasons = credit_decision(world, customer_id, amount_fen)
        found = world.customers.get(customer_id)
        return CreditDecision(
            allowed=allowed,
            reasons=[Reason(code=c, detail=d) for c, d in reasons],
            customer=Customer.of(found) if found else None,
        )

    @strawberry.field
    def pool(self, info: strawberry.Info, first: int = 10) -> CustomerConnection:
        return connection(world_of(info).pool(), first, None)

    @strawberry.field
    def salesperson(self, info: strawberry.Info, id: strawberry.ID) -> Salesperson | None:
        found = world_of(info).salespeople.get(id)
        return Salesperson.of(found) if found else None

    @strawberry.field
    def salespeople(self, info: strawberry.Info) -> list[Salesperson]:
        return [Salesperson.of(s) for s in world_of(info).salespeople.values()]

    @strawberry.field
    def parties(self, info: strawberry.Info) -> list[Party]:
        world = world_of(info)
        return [
            Customer.of(world.customers["c1"]),
            Salesperson.of(world.salespeople["s1"]),
            Customer.of(world.customers["c3"]),
            Salesperson.of(world.salespeople["s3"]),
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def register_customer(self, info: strawberry.Info, input: RegisterCustomerInput) -> Customer:
        return Customer.of(world_of(info).register(input.name, input.kind, input.region, input.tags))


monolith_schema = strawberry.Schema(query=Query, mutation=Mutation, types=[Customer], config=CONFIG)


def monolith_app(world: World) -> WorldApp:
    return WorldApp(monolith_schema, world)
