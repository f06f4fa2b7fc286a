"""Three Federation 2 subgraphs over `crm_world`, shaped like the real services.

customer  owns Customer (@key id), the Node interface, connections, `me`, registerCustomer.
credit    adds Customer.credit and Customer.creditSummary (@requires name); CreditProfile.reviewer
          points at a Salesperson it cannot resolve (`resolvable: false`), so reviewer.name is a
          second-level `_entities` fetch; root field creditCheck returns a Customer reference.
ownership adds Customer.ownership, owns Salesperson, serves `pool` with the @shareable connection
          types, and a union Party = Customer | Salesperson.
"""

from typing import Annotated

import strawberry
from crm_serving import Recorded, WorldApp
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
from strawberry.federation.schema_directives import Key

# --- customer -------------------------------------------------------------------------------------


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Contact:
    name: str
    phone: str | None


@strawberry.federation.type(keys=["id"], description="A customer card")
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

    @classmethod
    def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> "Customer | None":
        found = world_of(info).customers.get(id)
        return cls.of(found) if found else None


@strawberry.federation.type(shareable=True)
class CustomerEdge:
    node: Customer
    cursor: str


@strawberry.federation.type(shareable=True)
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.federation.type(shareable=True)
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    roles: list[str]


@strawberry.input
class CustomerFilter:
    region: str | None = None
    kinds: list[CustomerKind] | None = None
    text: str | None = None


@strawberry.input
class RegisterCustomerInput:
    name: str
    kind: CustomerKind
    region: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)


def page(records: list[CustomerRecord], first: int, after: str | None, node) -> dict:
    """Cursor pagination shared by every serving: the cursor is the customer id."""
    ids = [r.id for r in records]
    start = ids.index(after) + 1 if after in ids else 0
    chosen = records[start : start + first]
    return {
        "edges": [{"node": node(r), "cursor": r.id} for r in chosen],
        "end_cursor": chosen[-1].id if chosen else None,
        "has_next_page": start + first < len(records),
        "total_count": len(records),
    }


def connection(
    records: list[CustomerRecord], first: int, after: str | None, node=Customer.of
) -> CustomerConnection:
    p = page(records, first, after, node)
    return CustomerConnection(
        edges=[CustomerEdge(node=e["node"], cursor=e["cursor"]) for e in p["edges"]],
        page_info=PageInfo(end_cursor=p["end_cursor"], has_next_page=p["has_next_page"]),
        total_count=p["total_count"],
    )


@strawberry.type(name="Query")
class CustomerQuery:
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


@strawberry.type(name="Mutation")
class CustomerMutation:
    @strawberry.mutation
    def register_customer(self, info: strawberry.Info, input: RegisterCustomerInput) -> Customer:
        return Customer.of(world_of(info).register(input.name, input.kind, input.region, input.tags))


customer_schema = strawberry.federation.Schema(
    query=CustomerQuery, mutation=CustomerMutation, types=[Customer], config=CONFIG
)

# --- credit ---------------------------------------------------------------------------------------


@strawberry.federation.type(name="Salesperson", keys=[Key(fields="id", resolvable=False)])
class SalespersonReference:
    id: strawberry.ID


@strawberry.type
class Alert:
    level: int
    at: str


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
    def reviewer(self) -> SalespersonReference | None:
        return SalespersonReference(id=strawberry.ID(self.reviewer_id)) if self.reviewer_id else None

    @classmethod
    def of(cls, c) -> "CreditProfile":
        return cls(
            rating=c.rating,
            limit_fen=c.limit_fen,
            exposure_fen=c.exposure_fen,
            alerts=[Alert(level=lvl, at=at) for lvl, at in c.alerts],
            reviewer_id=c.reviewer_id,
        )


@strawberry.federation.type(name="Customer", keys=["id"])
class CreditCustomer:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True, default="")

    @strawberry.field
    def credit(self, info: strawberry.Info) -> CreditProfile | None:
        found = credit_of(world_of(info), self.id)
        return CreditProfile.of(found) if found else None

    @strawberry.federation.field(requires=["name"])
    def credit_summary(self, info: strawberry.Info) -> str:
        return credit_summary(world_of(info), self.id, self.name)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, name: str = "") -> "CreditCustomer":
        return cls(id=id, name=name)


@strawberry.type
class Reason:
    code: str
    detail: str


@strawberry.type
class CreditDecision:
    allowed: bool
    reasons: list[Reason]
    customer: CreditCustomer | None


@strawberry.type(name="Query")
class CreditQuery:
    @strawberry.field
    def credit_check(
        self, info: strawberry.Info, customer_id: strawberry.ID, amount_fen: Fen
    ) -> CreditDecision:
        allowed, reasons = credit_decision(world_of(info), customer_id, amount_fen)
        known = customer_id in world_of(info).customers
        return CreditDecision(
            allowed=allowed,
            reasons=[Reason(code=c, detail=d) for c, d in reasons],
            customer=CreditCustomer(id=customer_id) if known else None,
        )


credit_schema = strawberry.federation.Schema(
    query=CreditQuery, types=[CreditCustomer, SalespersonReference], config=CONFIG
)

# --- ownership ------------------------------------------------------------------------------------


@strawberry.federation.type(name="Customer", keys=["id"])
class OwnedCustomer:
    id: strawberry.ID

    @strawberry.field
    def ownership(self, info: strawberry.Info) -> "Ownership | None":
        found = world_of(info).ownerships.get(self.id)
        return (
            Ownership(owner_id=found.owner_id, in_pool=found.owner_id is None, since=found.since)
            if found
            else None
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "OwnedCustomer":
        return cls(id=id)


@strawberry.federation.type(keys=["id"])
class Salesperson:
    id: strawberry.ID
    name: str
    region: str

    @strawberry.field
    def customers(self, info: strawberry.Info) -> list[OwnedCustomer]:
        return [OwnedCustomer(id=i) for i, o in world_of(info).ownerships.items() if o.owner_id == self.id]

    @classmethod
    def of(cls, s) -> "Salesperson":
        return cls(id=strawberry.ID(s.id), name=s.name, region=s.region)

    @classmethod
    def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> "Salesperson | None":
        found = world_of(info).salespeople.get(id)
        return cls.of(found) if found else None


@strawberry.type
class Ownership:
    owner_id: strawberry.ID | None
    in_pool: bool
    since: str | None

    @strawberry.field
    def owner(self, info: strawberry.Info) -> Salesperson | None:
        found = world_of(info).salespeople.get(self.owner_id or "")
        return Salesperson.of(found) if found else None


@strawberry.federation.type(name="CustomerEdge", shareable=True)
class OwnedCustomerEdge:
    node: OwnedCustomer
    cursor: str


@strawberry.federation.type(name="CustomerConnection", shareable=True)
class OwnedCustomerConnection:
    edges: list[OwnedCustomerEdge]
    page_info: PageInfo
    total_count: int


Party = Annotated[OwnedCustomer | Salesperson, strawberry.union("Party")]


@strawberry.type(name="Query")
class OwnershipQuery:
    @strawberry.field
    def pool(self, info: strawberry.Info, first: int = 10) -> OwnedCustomerConnection:
        p = page(world_of(info).pool(), first, None, lambda r: OwnedCustomer(id=strawberry.ID(r.id)))
        return OwnedCustomerConnection(
            edges=[OwnedCustomerEdge(node=e["node"], cursor=e["cursor"]) for e in p["edges"]],
            page_info=PageInfo(end_cursor=p["end_cursor"], has_next_page=p["has_next_page"]),
            total_count=p["total_count"],
        )

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
            OwnedCustomer(id=strawberry.ID("c1")),
            Salesperson.of(world.salespeople["s1"]),
            OwnedCustomer(id=strawberry.ID("c3")),
            Salesperson.of(world.salespeople["s3"]),
        ]


ownership_schema = strawberry.federation.Schema(
    query=OwnershipQuery, types=[OwnedCustomer, Salesperson], config=CONFIG
)

SCHEMAS = {"customer": customer_schema, "credit": credit_schema, "ownership": ownership_schema}


def subgraph_apps(world: World) -> dict[str, Recorded]:
    return {name: Recorded(WorldApp(schema, world)) for name, schema in SCHEMAS.items()}
