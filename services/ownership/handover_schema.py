"""The handover (OWN-7) and transfer (OWN-8) part of the ownership subgraph: cases, their queries and mutations."""

from datetime import datetime

import strawberry

from chassis.scalars import Fen
from services.ownership import handover, handover_handlers, policy
from services.ownership.schema_types import Info

HandoverKind = strawberry.enum(handover.CaseKind, name="HandoverKind")
HandoverReason = strawberry.enum(handover.CaseReason, name="HandoverReason")
HandoverStatus = strawberry.enum(handover.CaseStatus, name="HandoverStatus")



@strawberry.type(description="OWN-7/OWN-8: one customer of a handover or transfer")
class HandoverItem:
    customer_id: strawberry.ID
    successor_id: strawberry.ID | None
    to_pool: bool
    summary: str | None
    receivables_fen: Fen | None
    complete: bool


@strawberry.type(description="OWN-7 离职交接 / OWN-8 交转客户, approved by the regional manager")
class HandoverCase:
    id: strawberry.ID
    kind: HandoverKind
    reason: HandoverReason
    salesperson_id: strawberry.ID
    region: str | None
    status: HandoverStatus
    commission_hold: bool
    items: list[HandoverItem]
    incomplete: list[strawberry.ID]
    opened_by: str
    opened_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    version: int

    @classmethod
    def from_domain(cls, c: handover.HandoverCase) -> "HandoverCase":
        return cls(
            id=strawberry.ID(c.id), kind=c.kind, reason=c.reason, salesperson_id=strawberry.ID(c.salesperson_id),
            region=c.region, status=c.status, commission_hold=c.commission_on_hold,
            items=[HandoverItem(customer_id=strawberry.ID(i.customer_id), successor_id=i.successor_id,
                                to_pool=i.to_pool, summary=i.summary, receivables_fen=i.receivables_fen,
                                complete=i.complete) for i in c.items],
            incomplete=[strawberry.ID(i) for i in c.incomplete()], opened_by=c.opened_by, opened_at=c.opened_at,
            decided_by=c.decided_by, decided_at=c.decided_at, note=c.note, version=c.version)


@strawberry.input(description="OWN-7: where one customer goes, what the successor must know, what is owed")
class HandoverItemInput:
    customer_id: strawberry.ID
    successor_id: strawberry.ID | None = None
    to_pool: bool = False
    summary: str | None = None
    receivables_fen: Fen | None = strawberry.field(
        default=None, description="what the customer owes: credit's ledger gives it; one typed here must agree")


@strawberry.input(description="OWN-8: one customer to another salesperson")
class TransferInput:
    customer_id: strawberry.ID
    to_salesperson_id: strawberry.ID
    reason: HandoverReason
    summary: str | None = None
    receivables_fen: Fen | None = strawberry.field(
        default=None, description="what the customer owes: credit's ledger gives it; one typed here must agree")


def _item(input: HandoverItemInput) -> handover.Item:
    return handover.Item(str(input.customer_id), str(input.successor_id) if input.successor_id else None,
                         input.to_pool, input.summary, input.receivables_fen)


@strawberry.type
class HandoverQuery:
    @strawberry.field(description="OWN-7/OWN-8: for the salesperson concerned, region roles of its region, managers")
    async def handover_case(self, info: Info, id: strawberry.ID) -> HandoverCase | None:
        found = await info.context.service.store.find_case(str(id))
        if found is None:
            return None
        policy.require_sees(policy.sees_case(info.context.caller, found), f"handover case {found.id}")
        return HandoverCase.from_domain(found)

    @strawberry.field(description="OWN-7/OWN-8: the cases the caller may see, oldest first")
    async def handover_cases(self, info: Info, salesperson_id: strawberry.ID | None = None,
                             status: HandoverStatus | None = None) -> list[HandoverCase]:
        found = await info.context.service.store.cases_of(str(salesperson_id) if salesperson_id else None, status)
        return [HandoverCase.from_domain(c) for c in found if policy.sees_case(info.context.caller, c)]


@strawberry.type
class HandoverMutation:
    @strawberry.mutation(description="OWN-7: a departing salesperson's customers to successors or the pool")
    async def start_handover(self, info: Info, salesperson_id: strawberry.ID) -> HandoverCase:
        return HandoverCase.from_domain(await info.context.service.run(
            lambda uow: handover_handlers.start_handover(str(salesperson_id), info.context.caller, uow)))

    @strawberry.mutation(description="OWN-8: one customer to another salesperson, for the regional manager to approve")
    async def request_transfer(self, info: Info, input: TransferInput) -> HandoverCase:
        item = handover.Item(str(input.customer_id), str(input.to_salesperson_id), False, input.summary,
                             input.receivables_fen)
        return HandoverCase.from_domain(await info.context.service.run(lambda uow: handover_handlers.request_transfer(
            str(input.customer_id), item, input.reason, info.context.caller, uow)))

    @strawberry.mutation(description="OWN-7/OWN-8: successor (or pool), summary and receivables of one customer")
    async def record_handover_item(self, info: Info, case_id: strawberry.ID, input: HandoverItemInput
                                   ) -> HandoverCase:
        return HandoverCase.from_domain(await info.context.service.run(
            lambda uow: handover_handlers.record_item(str(case_id), _item(input), info.context.caller, uow)))

    @strawberry.mutation(description="OWN-7/OWN-8: the regional manager approves; the customers move, the hold lifts")
    async def approve_handover(self, info: Info, case_id: strawberry.ID) -> HandoverCase:
        return HandoverCase.from_domain(await info.context.service.run(
            lambda uow: handover_handlers.approve_case(str(case_id), info.context.caller, uow)))

    @strawberry.mutation(description="OWN-7/OWN-8: the regional manager rejects; nothing moves. A rejected handover "
                                     "keeps the commission on hold until one is approved, unless the salesperson "
                                     "stays (`staying`)")
    async def reject_handover(self, info: Info, case_id: strawberry.ID, note: str, staying: bool = False
                              ) -> HandoverCase:
        return HandoverCase.from_domain(await info.context.service.run(
            lambda uow: handover_handlers.reject_case(str(case_id), note, staying, info.context.caller, uow)))
