"""The ownership subgraph: a thin skin over ownership. Validate, authorise, call a handler, map.

It extends the federated `Customer` (owned by the customer subgraph) with `ownership`, owns
`Salesperson`, and answers `pool` with the shareable `CustomerConnection` whose nodes the gateway
completes (name, code...) from the customer subgraph.
"""

import copy
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types.info import Info

from chassis.auth import Role
from chassis.graphql import Fen, ServiceSchema, caller, service_of
from services.ownership import domain, handlers, handover
from services.ownership.handlers import MANAGERS
from services.ownership.handover_schema import HandoverMutation, HandoverQuery
from services.ownership.store import PoolFilter as Where

OwnershipBasis = strawberry.enum(domain.Basis, name="OwnershipBasis", description="OWN-10: why the owner owns it")
PoolReason = strawberry.enum(domain.PoolReason, description="Why a customer is in the pool (客户池)")

REFERRERS = (Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER)


@strawberry.type(description="OWN-6: how things stood when the customer went back: situation, contacts, progress")
class ReleaseReport:
    situation: str
    contacts: str
    progress: str
    by: str
    at: datetime

    @classmethod
    def from_domain(cls, r: domain.Report | None) -> "ReleaseReport | None":
        return cls(situation=r.situation, contacts=r.contacts, progress=r.progress, by=r.by, at=r.at) if r else None


@strawberry.type(description="OWN-10: one change of owner: from, to, basis, when, by")
class OwnershipChange:
    from_: strawberry.ID | None = strawberry.field(name="from")
    to: strawberry.ID | None
    basis: OwnershipBasis
    when: datetime
    by: str
    reason: PoolReason | None = strawberry.field(description="why it went to the pool")
    report: ReleaseReport | None = strawberry.field(description="OWN-6: null on an automatic return without one")
    note: str | None = strawberry.field(description="OWN-4 referral note, OWN-7/8 handover summary")
    receivables_fen: Fen | None = strawberry.field(description="OWN-7/8: receivables position handed over")


@strawberry.type(description="Who owns a customer (客户归属), or its place in the pool")
class Ownership:
    customer_id: strawberry.ID
    owner_id: strawberry.ID | None
    basis: OwnershipBasis | None = strawberry.field(description="null: in the pool and never owned")
    since: datetime
    expires_at: datetime | None = strawberry.field(
        description="OWN-1/OWN-3: when the claim runs out (2 months without a deal, 3 without a sale)")
    in_pool: bool
    pool_reason: PoolReason | None
    region: str | None
    first_deal_at: datetime | None
    last_sale_at: datetime | None
    pending_report: ReleaseReport | None = strawberry.field(description="OWN-6: filed ahead of a return")
    version: int
    history: list[OwnershipChange] = strawberry.field(description="OWN-10: every change, oldest first")

    @strawberry.field
    async def owner(self, info: Info) -> "Salesperson | None":
        if self.owner_id is None:
            return None
        found = await service_of(info).store.find_salesperson(str(self.owner_id))
        return Salesperson.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, o: domain.Ownership) -> "Ownership":
        return cls(
            customer_id=strawberry.ID(o.customer_id), owner_id=strawberry.ID(o.owner_id) if o.owner_id else None,
            basis=o.basis, since=o.since, expires_at=o.expires_at, in_pool=o.in_pool, pool_reason=o.pool_reason,
            region=o.region, first_deal_at=o.first_deal_at, last_sale_at=o.last_sale_at,
            pending_report=ReleaseReport.from_domain(o.pending_report), version=o.version,
            history=[OwnershipChange(
                from_=c.from_owner, to=c.to_owner, basis=c.basis, when=c.at, by=c.by, reason=c.reason,
                report=ReleaseReport.from_domain(c.report), note=c.note, receivables_fen=c.receivables_fen)
                for c in o.history],
        )


@strawberry.federation.type(keys=["id"], description="A customer, as ownership knows it (the card is the customer "
                                                      "subgraph's)")
class Customer:
    id: strawberry.ID
    loaded: strawberry.Private[domain.Ownership | None] = None

    @strawberry.field(description="Who owns the customer, as of now; null: ownership has not heard of it")
    async def ownership(self, info: Info) -> Ownership | None:
        caller(info)  # also when the gateway asks through `_entities`
        found = self.loaded or await _ownership_loader(info).load(str(self.id))
        return Ownership.from_domain(as_of(found, service_of(info).clock.now())) if found else None

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.type(description="OWN-6: a customer went back automatically and no report had been filed")
class MissingReport:
    customer_id: strawberry.ID
    lapsed_at: datetime
    reason: PoolReason


@strawberry.federation.type(keys=["id"], description="A salesperson: region and capacity (ability) for OWN-9")
class Salesperson:
    id: strawberry.ID
    name: str
    region: str
    capacity_weight: float
    active: bool
    version: int

    @strawberry.field(description="How many customers they own (OWN-5 cap, OWN-9 load)")
    async def owned_count(self, info: Info) -> int:
        return (await service_of(info).store.loads([str(self.id)])).get(str(self.id), 0)

    @strawberry.field(description="OWN-9: customers owned ÷ capacity weight")
    async def load_ratio(self, info: Info) -> float:
        return await self.owned_count(info) / self.capacity_weight

    @strawberry.field(description="OWN-7/OWN-8: commission on hold while a handover is open or a transfer incomplete")
    async def commission_hold(self, info: Info) -> bool:
        cases = await service_of(info).store.cases_of(str(self.id), handover.CaseStatus.OPEN)
        return any(c.commission_on_hold for c in cases)

    @strawberry.field(description="OWN-6: automatic returns without a report")
    async def missing_reports(self, info: Info) -> list[MissingReport]:
        return [MissingReport(customer_id=strawberry.ID(m.customer_id), lapsed_at=m.lapsed_at, reason=m.reason)
                for m in await service_of(info).store.missing_reports_of(str(self.id))]

    @strawberry.field(description="OWN-6: false while a report of an automatic return is missing")
    async def record_complete(self, info: Info) -> bool:
        return not await service_of(info).store.missing_reports_of(str(self.id))

    @strawberry.field
    async def customers(self, info: Info) -> list[Customer]:
        return [Customer(id=strawberry.ID(c)) for c in await service_of(info).store.owned_by(str(self.id))]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Salesperson | None":
        caller(info)
        found = await service_of(info).store.find_salesperson(str(id))
        return cls.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, s: domain.Salesperson) -> "Salesperson":
        return cls(id=strawberry.ID(s.id), name=s.name, region=s.region, capacity_weight=s.capacity_weight,
                   active=s.active, version=s.version)


@strawberry.type(description="OWN-9: a salesperson who could take the customer, best first")
class AssignmentCandidate:
    salesperson: Salesperson
    owned_count: int
    load_ratio: float


@strawberry.federation.type(shareable=True)  # the customer subgraph's `customers` answers with it too
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


@strawberry.input(description="OWN-5: every given condition must hold")
class PoolFilter:
    region: str | None = None
    reason: PoolReason | None = None


@strawberry.input(description="OWN-6: situation, contacts, how far talks went")
class ReleaseReportInput:
    situation: str
    contacts: str
    progress: str


@strawberry.input
class SalespersonInput:
    id: strawberry.ID = strawberry.field(description="the person's user id (the token's `sub`)")
    name: str
    region: str
    capacity_weight: float = strawberry.field(default=1.0, description="OWN-9: ability; load is divided by it")
    active: bool | None = strawberry.field(default=None, description="omitted: unchanged (new records: active)")


def as_of(ownership: domain.Ownership, now: datetime) -> domain.Ownership:
    """What a reader sees now: a claim that ran out shows in the pool before the sweep saves it."""
    if ownership.expires_at is None or now < ownership.expires_at:
        return ownership
    view = copy.deepcopy(ownership)
    view.lapse_if_due(now)
    return view


def _ownership_loader(info: Info) -> DataLoader[str, domain.Ownership | None]:
    """One query for all the customers of a request (the gateway asks for them in one `_entities`)."""
    loader = getattr(info.context, "ownership_loader", None)
    if loader is None:
        store = service_of(info).store

        async def load(ids: list[str]) -> list[domain.Ownership | None]:
            found = await store.get_many(list(ids))
            return [found.get(i) for i in ids]

        loader = info.context.ownership_loader = DataLoader(load_fn=load)
    return loader


def _report(input: ReleaseReportInput) -> handlers.ReportFields:
    return handlers.ReportFields(input.situation, input.contacts, input.progress)


@strawberry.type
class Query(HandoverQuery):
    @strawberry.field(description="Who owns a customer; null: ownership has not heard of it")
    async def ownership(self, info: Info, customer_id: strawberry.ID) -> Ownership | None:
        caller(info)
        found = await service_of(info).store.find(str(customer_id))
        return Ownership.from_domain(as_of(found, service_of(info).clock.now())) if found else None

    @strawberry.field(description="OWN-5 客户池: unowned customers, longest in the pool first, with stable cursors")
    async def pool(self, info: Info, filter: PoolFilter | None = None, first: int | None = 20,
                   after: str | None = None) -> CustomerConnection:
        caller(info)
        service = service_of(info)
        where = Where(region=filter.region, reason=filter.reason) if filter else Where()
        page = await service.store.pool(where, 20 if first is None else first, after, service.clock.now())
        edges = [CustomerEdge(node=Customer(id=strawberry.ID(o.customer_id), loaded=o), cursor=cursor)
                 for o, cursor in zip(page.ownerships, page.cursors, strict=True)]
        return CustomerConnection(edges=edges, total_count=page.total_count,
                                  page_info=PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next_page))

    @strawberry.field
    async def salesperson(self, info: Info, id: strawberry.ID) -> Salesperson | None:
        caller(info)
        found = await service_of(info).store.find_salesperson(str(id))
        return Salesperson.from_domain(found) if found else None

    @strawberry.field
    async def salespeople(self, info: Info, region: str | None = None) -> list[Salesperson]:
        caller(info)
        return [Salesperson.from_domain(s) for s in await service_of(info).store.salespeople_in(region)]

    @strawberry.field(description="OWN-9: whom to assign the customer to: lowest load ÷ capacity in its region first")
    async def assignment_candidates(self, info: Info, customer_id: strawberry.ID) -> list[AssignmentCandidate]:
        principal = caller(info)
        principal.require(*MANAGERS)
        service = service_of(info)
        found = await handlers.assignment_candidates(str(customer_id), principal.region, service.rules,
                                                     service.store, service.clock.now())
        return [AssignmentCandidate(salesperson=Salesperson.from_domain(c.salesperson), owned_count=c.owned,
                                    load_ratio=c.load_ratio) for c in found]

@strawberry.type
class Mutation(HandoverMutation):
    @strawberry.mutation(description="OWN-5: take a pool customer; of concurrent claims exactly one wins")
    async def claim_customer(self, info: Info, customer_id: strawberry.ID) -> Ownership:
        principal = caller(info)
        principal.require(Role.SALES)
        service = service_of(info)
        return Ownership.from_domain(
            await handlers.claim_customer(str(customer_id), principal, service.rules, service.uow()))

    @strawberry.mutation(description="OWN-6: back to the pool with a report; a salesperson releases only their own")
    async def release_customer(self, info: Info, customer_id: strawberry.ID, report: ReleaseReportInput
                               ) -> Ownership:
        principal = caller(info)
        principal.require(Role.SALES, *MANAGERS)
        return Ownership.from_domain(
            await handlers.release_customer(str(customer_id), _report(report), principal, service_of(info).uow()))

    @strawberry.mutation(description="OWN-6: the owner's report ahead of a return, or one missing after it")
    async def file_return_report(self, info: Info, customer_id: strawberry.ID, report: ReleaseReportInput
                                 ) -> Ownership:
        principal = caller(info)
        principal.require(Role.SALES)
        return Ownership.from_domain(await handlers.file_return_report(
            str(customer_id), _report(report), principal.user_id, service_of(info).uow()))

    @strawberry.mutation(description="OWN-9: the regional manager assigns an unowned customer")
    async def assign_customer(self, info: Info, customer_id: strawberry.ID, salesperson_id: strawberry.ID
                              ) -> Ownership:
        principal = caller(info)
        principal.require(Role.REGION_MANAGER)
        service = service_of(info)
        return Ownership.from_domain(await handlers.assign_customer(
            str(customer_id), str(salesperson_id), principal, service.rules, service.uow()))

    @strawberry.mutation(description="OWN-4 有情客户: management hands a customer it brought to a salesperson")
    async def refer_customer(self, info: Info, customer_id: strawberry.ID, salesperson_id: strawberry.ID,
                             note: str | None = None) -> Ownership:
        principal = caller(info)
        principal.require(*REFERRERS)
        service = service_of(info)
        return Ownership.from_domain(await handlers.refer_customer(
            str(customer_id), str(salesperson_id), principal, service.rules, note, service.uow()))

    @strawberry.mutation(description="Add or change a salesperson: ADMIN, or the regional manager in their region")
    async def save_salesperson(self, info: Info, input: SalespersonInput) -> Salesperson:
        principal = caller(info)
        principal.require(Role.ADMIN, Role.REGION_MANAGER)
        salesperson = domain.Salesperson(id=str(input.id).strip(), name=input.name.strip(),
                                         region=input.region.strip(), capacity_weight=input.capacity_weight,
                                         active=True if input.active is None else input.active)
        return Salesperson.from_domain(await handlers.save_salesperson(
            salesperson, principal, service_of(info).uow(), keep_active=input.active is None))



schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer, Salesperson])
