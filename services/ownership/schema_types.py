"""The ownership subgraph's types: GraphQL's view of ownership, converted at the edge (`shown`).

Ownership basics are everyone's; reports and notes (OWN-4, OWN-6, OWN-7, OWN-8), missing reports and
commission holds are need-to-know (`policy.py`): null and FORBIDDEN for anyone else.
"""

import copy
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from chassis.auth import Role
from chassis.graphql import DepartmentType, ServiceContext, list_size
from chassis.scalars import Fen
from services.ownership import domain, handover, policy, staff
from services.ownership.handlers import OwnershipService

Info = strawberry.Info[ServiceContext[OwnershipService], None]

OwnershipBasis = strawberry.enum(domain.Basis, name="OwnershipBasis", description="OWN-10: why the owner owns it")
PoolReason = strawberry.enum(domain.PoolReason, description="Why a customer is in the pool (客户池)")


@strawberry.type(description="OWN-6: how things stood when the customer went back: situation, contacts, progress")
class ReleaseReport:
    situation: str
    contacts: str
    progress: str
    by: str
    at: datetime


def _report_of(info: Info, o: domain.Ownership, author: str | None) -> None:
    """A report or note about the customer: refused unless need-to-know allows; a non-owner's read is logged."""
    caller = info.context.caller
    policy.require_sees(policy.sees_reports(caller, o, author), f"the reports on customer {o.customer_id}")
    if policy.is_logged(caller, o):
        info.context.record_access(info, o.customer_id, o.owner_id, policy.WHAT, [info.field_name])


def _shown_report(info: Info, o: domain.Ownership, r: domain.Report | None) -> ReleaseReport | None:
    if r is None:
        return None
    _report_of(info, o, r.by)
    return ReleaseReport(situation=r.situation, contacts=r.contacts, progress=r.progress, by=r.by, at=r.at)


@strawberry.type(description="A customer kept out of automatic recall (OWN-1 / OWN-3) by its owner")
class CustomerProtection:
    customer_id: strawberry.ID
    reason: str
    by: strawberry.ID
    at: datetime

    @classmethod
    def of(cls, customer_id: str, p: domain.Protection) -> "CustomerProtection":
        return cls(customer_id=strawberry.ID(customer_id), reason=p.reason, by=strawberry.ID(p.by), at=p.at)


@strawberry.type(description="OWN-10: one change of owner: from, to, basis, when, by")
class OwnershipChange:
    from_: strawberry.ID | None = strawberry.field(name="from")
    to: strawberry.ID | None
    basis: OwnershipBasis
    when: datetime
    by: str
    reason: PoolReason | None = strawberry.field(description="why it went to the pool")
    _ownership: strawberry.Private[domain.Ownership]
    _change: strawberry.Private[domain.Change]

    @strawberry.field(description="OWN-6: null on an automatic return without one (need-to-know)")
    def report(self, info: Info) -> ReleaseReport | None:
        return _shown_report(info, self._ownership, self._change.report)

    @strawberry.field(description="OWN-4 referral note, OWN-7/8 handover summary (need-to-know)")
    def note(self, info: Info) -> str | None:
        if self._change.note is None:
            return None
        _report_of(info, self._ownership, self._change.by)
        return self._change.note

    @strawberry.field(description="OWN-7/8: receivables position handed over (need-to-know)")
    def receivables_fen(self, info: Info) -> Fen | None:
        if self._change.receivables_fen is None:
            return None
        _report_of(info, self._ownership, self._change.by)
        return Fen(self._change.receivables_fen)


@strawberry.type(description="Who owns a customer (客户归属), or its place in the pool")
class Ownership:
    customer_id: strawberry.ID
    owner_id: strawberry.ID | None
    basis: OwnershipBasis | None = strawberry.field(description="null: in the pool and never owned")
    since: datetime
    expires_at: datetime | None = strawberry.field(
        description="OWN-1/OWN-3: when the claim runs out (2 months without a deal, 3 without a sale, unless its "
                    "level keeps other periods)")
    in_pool: bool
    pool: str | None = strawberry.field(description="the pool it is in; null while owned")
    protected: bool = strawberry.field(description="kept out of automatic recall by its owner (expiresAt is null)")
    pool_reason: PoolReason | None
    region: str | None
    first_deal_at: datetime | None
    last_sale_at: datetime | None
    version: int
    history: list[OwnershipChange] = strawberry.field(description="OWN-10: every change, oldest first")
    _ownership: strawberry.Private[domain.Ownership]

    @strawberry.field(description="OWN-6: filed ahead of a return (need-to-know)")
    def pending_report(self, info: Info) -> ReleaseReport | None:
        return _shown_report(info, self._ownership, self._ownership.pending_report)

    @strawberry.field
    async def owner(self, info: Info) -> "Salesperson | None":
        if self.owner_id is None:
            return None
        found = await salespeople(info).load(str(self.owner_id))
        return Salesperson.from_domain(found) if found else None

    @classmethod
    def shown(cls, info: Info, stored: domain.Ownership) -> "Ownership":
        """As of now: a claim that ran out shows in the pool before the sweep saves it."""
        o = as_of(stored, info.context.service.clock.now())
        return cls(
            customer_id=strawberry.ID(o.customer_id), owner_id=strawberry.ID(o.owner_id) if o.owner_id else None,
            basis=o.basis, since=o.since, expires_at=o.expires_at, in_pool=o.in_pool,
            pool=o.current_pool if o.in_pool else None,
            protected=o.protection is not None, pool_reason=o.pool_reason,
            region=o.region, first_deal_at=o.first_deal_at, last_sale_at=o.last_sale_at, version=o.version,
            history=[OwnershipChange(from_=c.from_owner, to=c.to_owner, basis=c.basis, when=c.at, by=c.by,
                                     reason=c.reason, _ownership=o, _change=c) for c in o.history],
            _ownership=o)


@strawberry.federation.type(keys=["id"], description="A customer, as ownership knows it (the card is the customer "
                                                      "subgraph's)")
class Customer:
    id: strawberry.ID
    loaded: strawberry.Private[domain.Ownership | None] = None

    @strawberry.field(description="Who owns the customer, as of now; null: ownership has not heard of it")
    async def ownership(self, info: Info) -> Ownership | None:
        found = self.loaded or await ownerships(info).load(str(self.id))
        return Ownership.shown(info, found) if found else None

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Customer":
        return cls(id=id)


@strawberry.type(description="OWN-6: a customer went back automatically and no report had been filed")
class MissingReport:
    customer_id: strawberry.ID
    lapsed_at: datetime
    reason: PoolReason


@strawberry.type(description="A period a salesperson is away: not suggested for assignment (OWN-9)")
class Absence:
    from_: datetime = strawberry.field(name="from")
    until: datetime
    reason: str


@strawberry.federation.type(keys=["id"], description="A salesperson: region and capacity (ability) for OWN-9")
class Salesperson:
    id: strawberry.ID
    name: str
    region: str
    capacity_weight: float
    active: bool
    version: int
    _salesperson: strawberry.Private[domain.Salesperson]

    @strawberry.field(description="away now (OWN-9: not suggested for assignment)")
    def absent_now(self, info: Info) -> bool:
        return self._salesperson.absent_at(info.context.service.clock.now())

    @strawberry.field(description="periods away, now and to come, with why (need-to-know: as missing reports)")
    def absences(self, info: Info) -> list[Absence]:
        policy.require_sees(policy.sees_missing_reports(info.context.caller, self._salesperson),
                            f"the absences of {self.id}")
        return [Absence(from_=a.start, until=a.end, reason=a.reason) for a in self._salesperson.absences]

    @strawberry.field(description="How many customers they own (OWN-5 cap, OWN-9 load)")
    async def owned_count(self, info: Info) -> int:
        return await info.context.loader("loads", info.context.service.store.loads).load(str(self.id)) or 0

    @strawberry.field(description="OWN-9: customers owned ÷ capacity weight")
    async def load_ratio(self, info: Info) -> float:
        return await self.owned_count(info) / self.capacity_weight

    @strawberry.field(description="OWN-7/OWN-8: commission on hold while a handover is open or was rejected to "
                                  "be done again, or a transfer is incomplete (need-to-know)")
    async def commission_hold(self, info: Info) -> bool:
        policy.require_sees(policy.sees_commission_hold(info.context.caller, self._salesperson),
                            f"the commission of {self.id}")
        return handover.commission_held(await info.context.service.store.cases_of(str(self.id), None))

    @strawberry.field(description="OWN-6: automatic returns without a report (need-to-know)")
    async def missing_reports(self, info: Info) -> list[MissingReport]:
        return [MissingReport(customer_id=strawberry.ID(m.customer_id), lapsed_at=m.lapsed_at, reason=m.reason)
                for m in await self._missing(info)]

    @strawberry.field(description="OWN-6: false while a report of an automatic return is missing (need-to-know)")
    async def record_complete(self, info: Info) -> bool:
        return not await self._missing(info)

    @strawberry.field(description="the customers they keep out of automatic recall, and why (need-to-know: "
                                  "managers see and lift them)", directives=list_size(20))
    async def protected_customers(self, info: Info) -> list[CustomerProtection]:
        policy.require_sees(policy.sees_protections(info.context.caller, self._salesperson),
                            f"the protections of {self.id}")
        found = await info.context.service.store.protected_by(str(self.id))
        return [CustomerProtection.of(o.customer_id, o.protection) for o in found if o.protection]

    @strawberry.field(description="the customers they own (OWN-5: at most the cap)", directives=list_size(200))
    async def customers(self, info: Info) -> list[Customer]:
        owned = await info.context.loader("owned", info.context.service.store.owned_by_each).load(str(self.id))
        return [Customer(id=strawberry.ID(c)) for c in owned or []]

    async def _missing(self, info: Info) -> list[object]:
        policy.require_sees(policy.sees_missing_reports(info.context.caller, self._salesperson),
                            f"the record of {self.id}")
        return await info.context.service.store.missing_reports_of(str(self.id))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Salesperson | None":
        found = await salespeople(info).load(str(id))
        return cls.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, s: domain.Salesperson) -> "Salesperson":
        return cls(id=strawberry.ID(s.id), name=s.name, region=s.region, capacity_weight=s.capacity_weight,
                   active=s.active, version=s.version, _salesperson=s)


@strawberry.type(description="OWN-9: a salesperson who could take the customer, best first")
class AssignmentCandidate:
    salesperson: Salesperson
    owned_count: int
    load_ratio: float


@strawberry.input(description="OWN-5: every given condition must hold")
class PoolFilter:
    region: str | None = None
    reason: PoolReason | None = None
    pool: str | None = strawberry.field(default=None, description="one pool (see `pools`)")


@strawberry.input(description="OWN-6: situation, contacts, how far talks went")
class ReleaseReportInput:
    situation: str
    contacts: str
    progress: str


StaffRole = strawberry.enum(Role, name="StaffRole")


@strawberry.type(description="The staff directory: a person's roles, region, manager and department (CMP-2 "
                             "hand-overs, CMP-4 escalations, CRD-3 alerts, CUS-5 visit plans)")
class StaffMember:
    id: strawberry.ID
    name: str
    roles: list[StaffRole]
    region: str | None
    manager_id: strawberry.ID | None
    department: DepartmentType | None
    active: bool
    version: int

    @classmethod
    def from_domain(cls, m: staff.StaffMember) -> "StaffMember":
        return cls(id=strawberry.ID(m.id), name=m.name, roles=list(m.roles), region=m.region,
                   manager_id=strawberry.ID(m.manager_id) if m.manager_id else None, department=m.department,
                   active=m.active, version=m.version)


@strawberry.input
class StaffMemberInput:
    id: strawberry.ID = strawberry.field(description="the person's user id (the token's `sub`)")
    name: str
    roles: list[StaffRole] = strawberry.field(description="the roles they sign in with (none for a department's "
                                                          "people who only handle complaints)")
    region: str | None = None
    manager_id: strawberry.ID | None = strawberry.field(default=None, description="who their manager is")
    department: DepartmentType | None = strawberry.field(default=None, description="where complaints can be "
                                                                                "handed to them (CMP-2)")
    active: bool = True


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


def ownerships(info: Info) -> DataLoader[str, domain.Ownership | None]:
    """The ownerships this request asks for: one store query per level of the answer."""
    return info.context.loader("ownerships", info.context.service.store.get_many)


def salespeople(info: Info) -> DataLoader[str, domain.Salesperson | None]:
    return info.context.loader("salespeople", info.context.service.store.salespeople_by_id)
