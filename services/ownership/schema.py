"""The ownership subgraph: a thin skin over ownership. Validate, authorise (policy.py), call a handler, map.

It extends the federated `Customer` (owned by the customer subgraph) with `ownership`, owns
`Salesperson`, and answers `pool` with the shareable `CustomerConnection` whose nodes the gateway
completes (name, code...) from the customer subgraph. Types: `schema_types.py`; handovers and
transfers: `handover_schema.py`.
"""

from datetime import datetime
from typing import Annotated

import strawberry

from chassis.graphql import Connection, ServiceSchema, list_size
from services.ownership import domain, handlers, policy, staff
from services.ownership.handover_schema import HandoverMutation, HandoverQuery
from services.ownership.schema_types import (
    AssignmentCandidate,
    Customer,
    Info,
    Ownership,
    PoolFilter,
    ReleaseReportInput,
    Salesperson,
    SalespersonInput,
    StaffMember,
    StaffMemberInput,
    ownerships,
    salespeople,
)
from services.ownership.store import PoolFilter as Where


def _report(input: ReleaseReportInput) -> handlers.ReportFields:
    return handlers.ReportFields(input.situation, input.contacts, input.progress)


@strawberry.type
class Query(HandoverQuery):
    @strawberry.field(description="Who owns a customer; null: ownership has not heard of it")
    async def ownership(self, info: Info, customer_id: strawberry.ID) -> Ownership | None:
        found = await ownerships(info).load(str(customer_id))
        return Ownership.shown(info, found) if found else None

    @strawberry.field(description="OWN-5 客户池: unowned customers, longest in the pool first, with stable cursors")
    async def pool(self, info: Info, filter: PoolFilter | None = None, first: int | None = 20,
                   after: str | None = None) -> Connection[Customer]:
        service = info.context.service
        where = Where(region=filter.region, reason=filter.reason, pool=filter.pool) if filter else Where()
        found, page = await service.store.pool(where, 20 if first is None else first, after, service.clock.now())
        return Connection.of([Customer(id=strawberry.ID(o.customer_id), loaded=o) for o in found], page)

    @strawberry.field(description="A region's pools, its own first (default: the caller's region): where its "
                                  "customers may be released to and claimed from")
    async def pools(self, info: Info, region: str | None = None) -> list[str]:
        chosen = region if region is not None else info.context.caller.region
        return list(info.context.service.settings.pool_rules.pools_of(chosen))

    @strawberry.field
    async def salesperson(self, info: Info, id: strawberry.ID) -> Salesperson | None:
        found = await salespeople(info).load(str(id))
        return Salesperson.from_domain(found) if found else None

    @strawberry.field(directives=list_size(200))
    async def salespeople(self, info: Info, region: str | None = None) -> list[Salesperson]:
        return [Salesperson.from_domain(s) for s in await info.context.service.store.salespeople_in(region)]

    @strawberry.field(description="OWN-9: whom to assign the customer to: lowest load ÷ capacity in its region first")
    async def assignment_candidates(self, info: Info, customer_id: strawberry.ID) -> list[AssignmentCandidate]:
        caller, service = info.context.caller, info.context.service
        policy.require_may_suggest(caller)
        found = await handlers.assignment_candidates(str(customer_id), caller.region, service.store,
                                                     service.settings, service.clock.now())
        return [AssignmentCandidate(salesperson=Salesperson.from_domain(c.salesperson), owned_count=c.owned,
                                    load_ratio=c.load_ratio) for c in found]


@strawberry.type
class Mutation(HandoverMutation):
    @strawberry.mutation(description="OWN-5: take a pool customer; of concurrent claims exactly one wins")
    async def claim_customer(self, info: Info, customer_id: strawberry.ID) -> Ownership:
        claimed = await info.context.service.run(
            lambda uow: handlers.claim_customer(str(customer_id), info.context.caller, uow))
        return Ownership.shown(info, claimed)

    @strawberry.mutation(description="OWN-6: back to the pool with a report; a salesperson releases only their own")
    async def release_customer(self, info: Info, customer_id: strawberry.ID, report: ReleaseReportInput,
                               pool: str | None = None) -> Ownership:
        released = await info.context.service.run(lambda uow: handlers.release_customer(
            str(customer_id), _report(report), pool, info.context.caller, uow))
        return Ownership.shown(info, released)

    @strawberry.mutation(description="The owner keeps one of their customers out of automatic recall (OWN-1 / "
                                     "OWN-3), saying why; at most OWNERSHIP_PROTECTED_PER_SALESPERSON at once")
    async def protect_customer(self, info: Info, customer_id: strawberry.ID, reason: str) -> Ownership:
        protected = await info.context.service.run(lambda uow: handlers.protect_customer(
            str(customer_id), reason, info.context.caller, uow))
        return Ownership.shown(info, protected)

    @strawberry.mutation(description="Automatic recall applies again: the owner, the region's manager or a manager")
    async def lift_protection(self, info: Info, customer_id: strawberry.ID) -> Ownership:
        lifted = await info.context.service.run(lambda uow: handlers.lift_protection(
            str(customer_id), info.context.caller, uow))
        return Ownership.shown(info, lifted)

    @strawberry.mutation(description="OWN-5: a problem customer (问题客户) into the pool, with the reason; the "
                                     "regional manager of its region or a manager")
    async def mark_problem_customer(self, info: Info, customer_id: strawberry.ID, reason: str) -> Ownership:
        marked = await info.context.service.run(lambda uow: handlers.mark_problem_customer(
            str(customer_id), reason, info.context.caller, uow))
        return Ownership.shown(info, marked)

    @strawberry.mutation(description="OWN-6: the owner's report ahead of a return, or one missing after it")
    async def file_return_report(self, info: Info, customer_id: strawberry.ID, report: ReleaseReportInput
                                 ) -> Ownership:
        filed = await info.context.service.run(lambda uow: handlers.file_return_report(
            str(customer_id), _report(report), info.context.caller, uow))
        return Ownership.shown(info, filed)

    @strawberry.mutation(description="OWN-9: the regional manager assigns an unowned customer")
    async def assign_customer(self, info: Info, customer_id: strawberry.ID, salesperson_id: strawberry.ID
                              ) -> Ownership:
        assigned = await info.context.service.run(lambda uow: handlers.assign_customer(
            str(customer_id), str(salesperson_id), info.context.caller, uow))
        return Ownership.shown(info, assigned)

    @strawberry.mutation(description="OWN-4 有情客户: management hands a customer it brought to a salesperson")
    async def refer_customer(self, info: Info, customer_id: strawberry.ID, salesperson_id: strawberry.ID,
                             note: str | None = None) -> Ownership:
        referred = await info.context.service.run(lambda uow: handlers.refer_customer(
            str(customer_id), str(salesperson_id), info.context.caller, note, uow))
        return Ownership.shown(info, referred)

    @strawberry.mutation(description="The staff directory (whom a complaint is handed to, CMP-2, or goes to when "
                                     "overdue, CMP-4; whom credit alerts name, CRD-3): ADMIN, or the regional "
                                     "manager for the people of their region")
    async def save_staff_member(self, info: Info, input: StaffMemberInput) -> StaffMember:
        member = staff.StaffMember(id=str(input.id).strip(), name=input.name.strip(), roles=tuple(input.roles),
                                   region=input.region, manager_id=str(input.manager_id) if input.manager_id else None,
                                   department=input.department, active=input.active)
        saved = await info.context.service.run(lambda uow: handlers.save_staff_member(
            member, info.context.caller, uow))
        return StaffMember.from_domain(saved)

    @strawberry.mutation(description="OWN-9: a salesperson away (leave, training …) is not suggested for "
                                     "assignment meanwhile: ADMIN, or the regional manager of their region")
    async def record_absence(self, info: Info, salesperson_id: strawberry.ID, from_: Annotated[
            datetime, strawberry.argument(name="from")], until: datetime, reason: str) -> Salesperson:
        absence = domain.Absence(from_, until, reason.strip())
        saved = await info.context.service.run(lambda uow: handlers.record_absence(
            str(salesperson_id), absence, info.context.caller, uow))
        return Salesperson.from_domain(saved)

    @strawberry.mutation(description="Add or change a salesperson: ADMIN, or the regional manager in their region")
    async def save_salesperson(self, info: Info, input: SalespersonInput) -> Salesperson:
        salesperson = domain.Salesperson(id=str(input.id).strip(), name=input.name.strip(),
                                         region=input.region.strip(), capacity_weight=input.capacity_weight,
                                         active=True if input.active is None else input.active)
        saved = await info.context.service.run(lambda uow: handlers.save_salesperson(
            salesperson, info.context.caller, uow, keep_active=input.active is None))
        return Salesperson.from_domain(saved)


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer, Salesperson])
