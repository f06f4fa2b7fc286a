"""The complaints subgraph: a thin skin over the complaints desk. Validate, authorise (policy.py), call a
handler, map. Types: `schema_types.py`.

Who may do what (anyone else gets FORBIDDEN naming the allowed roles; no token: UNAUTHENTICATED):

- read: a complaint's details are for the customer's owner, the salesperson who filed it, region roles
  of the customer's region, managers, FINANCE, SERVICE and ADMIN; lists leave out the others;
  complaintStatistics (CMP-7) for region roles (their region), managers, FINANCE, SERVICE and ADMIN.
- fileComplaint — anyone signed in: whoever receives a complaint (visit, call, letter) records it
  and becomes its first responder (CMP-2, 首问负责: nobody may refuse one).
- acknowledgeComplaint, recordFirstResponse, handOverComplaint — its first responder, its handler,
  SERVICE (客户中心 / 公关部) or a manager.
- startInvestigation, recordFinding, proposeResolution, resolveComplaint, closeComplaint,
  reopenComplaint, extendDeadline — its current handler, SERVICE or a manager; a MONEY remedy only
  SERVICE or a manager.
- recordClaimRecovery — SERVICE, FINANCE, SALES_MANAGER, GENERAL_MANAGER (money came back).
- writeOffClaim — FINANCE, GENERAL_MANAGER (giving up money is theirs to decide).

A step the flow does not allow now is a RULE_VIOLATION naming the rule (CMP-3 …) and the allowed steps.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from chassis.graphql import Connection, DepartmentType, ServiceSchema
from chassis.scalars import Fen
from services.complaints import analysis, domain, findings, handlers, policy
from services.complaints.handlers import Uow
from services.complaints.schema_types import (
    Complaint,
    ComplaintCount,
    ComplaintFilter,
    ComplaintStatistics,
    Customer,
    DurationStatistics,
    FileComplaintInput,
    FindingInput,
    FirstResponseInput,
    Info,
    ResolutionInput,
    Responsibility,
    SatisfactionInput,
    shown,
)
from services.complaints.store import ComplaintFilter as Filter


@strawberry.type
class Query:
    @strawberry.field(description="One complaint: null and FORBIDDEN for whoever may not see it")
    async def complaint(self, info: Info, id: strawberry.ID) -> Complaint | None:
        found = await info.context.service.store.find(str(id))
        if found is None:
            return None
        policy.require_sees(info.context.caller, found)
        return shown(info, [found])[0]

    @strawberry.field(description="CMP-7: search the complaints the caller may see, newest first, with stable "
                                  "cursors")
    async def complaints(self, info: Info, filter: ComplaintFilter | None = None, first: int | None = 20,
                         after: str | None = None) -> Connection[Complaint]:
        found, page = await info.context.service.store.search(
            _filter(filter), policy.listed(info.context.caller), 20 if first is None else first, after)
        return Connection.of(shown(info, found), page)

    @strawberry.field(description="CMP-7 留档分析: by kind, responsibility, product, region, month; durations "
                                  "(region roles: their region)")
    async def complaint_statistics(self, info: Info, filter: ComplaintFilter | None = None) -> ComplaintStatistics:
        scope = policy.statistics(info.context.caller)
        stats = await info.context.service.store.statistics(_filter(filter), scope.query())

        def counts(dimension: str) -> list[ComplaintCount]:
            return [ComplaintCount(key=key, count=n) for key, n in stats.by[dimension]]

        return ComplaintStatistics(
            total=stats.total, by_kind=counts("kind"), by_responsibility=counts("responsibility"),
            by_product=counts("product"), by_region=counts("region"), by_month=counts("month"),
            by_severity=counts("severity"), by_status=counts("status"),
            by_satisfaction=counts("satisfaction_score"),
            average_satisfaction=analysis.average_of(stats.by["satisfaction_score"]),
            time_to_acknowledge=DurationStatistics.from_summary(stats.time_to_acknowledge),
            time_to_resolve=DurationStatistics.from_summary(stats.time_to_resolve),
        )


async def _run(info: Info, command: Callable[[Uow], Awaitable[domain.Complaint]]) -> Complaint:
    return shown(info, [await info.context.service.run(command)])[0]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CMP-2: anyone signed in; the caller becomes the first responder. "
                                     "An unknown customer is NOT_FOUND")
    async def file_complaint(self, info: Info, input: FileComplaintInput) -> Complaint:
        cmd = handlers.FileComplaint(
            customer_id=str(input.customer_id), kind=input.kind, description=input.description,
            severity=input.severity or domain.Severity.MEDIUM, product=input.product, channel=input.channel,
            reason=input.reason, plan=input.plan, expected_resolution_at=input.expected_resolution_at,
            invoice_ids=tuple(input.invoice_ids or ()))
        return await _run(info, lambda uow: handlers.file_complaint(cmd, info.context.caller, uow))

    @strawberry.mutation(description="CMP-2: the reason, plan and expected date given to the customer")
    async def record_first_response(self, info: Info, id: strawberry.ID, input: FirstResponseInput) -> Complaint:
        return await _run(info, lambda uow: handlers.record_first_response(
            str(id), input.reason, input.plan, input.expected_resolution_at, info.context.caller, uow))

    @strawberry.mutation(description="CMP-2: solved while the customer was there: who was responsible (COMPANY or "
                                     "CUSTOMER) and what was done; it closes at once")
    async def solve_on_the_spot(self, info: Info, id: strawberry.ID, responsibility: Responsibility,
                                summary: str) -> Complaint:
        return await _run(info, lambda uow: handlers.solve_on_the_spot(str(id), responsibility, summary,
                                                                       info.context.caller, uow))

    @strawberry.mutation(description="CMP-2: hand it to the responsible department: to the person named there "
                                     "(`handlerId`, who must work in it per the staff directory), else to its "
                                     "head; the first responder stays on record")
    async def hand_over_complaint(self, info: Info, id: strawberry.ID, department: DepartmentType, note: str,
                                  handler_id: strawberry.ID | None = None) -> Complaint:
        return await _run(info, lambda uow: handlers.hand_over(
            str(id), department, str(handler_id) if handler_id else None, note, info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: RECEIVED → ACKNOWLEDGED (CMP-4: within 1 working day)")
    async def acknowledge_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        return await _run(info, lambda uow: handlers.acknowledge(str(id), info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: ACKNOWLEDGED or REOPENED → INVESTIGATING")
    async def start_investigation(self, info: Info, id: strawberry.ID) -> Complaint:
        return await _run(info, lambda uow: handlers.start_investigation(str(id), info.context.caller, uow))

    @strawberry.mutation(description="CMP-5: who is responsible (during investigation); CMP-6: a SUPPLIER "
                                     "finding opens a claim against the supplier")
    async def record_finding(self, info: Info, id: strawberry.ID, input: FindingInput) -> Complaint:
        meeting = input.meeting
        cmd = handlers.RecordFinding(
            responsibility=input.responsibility, summary=input.summary, supplier=input.supplier,
            claim_amount_fen=input.claim_amount_fen,
            meeting=findings.Meeting(meeting.held_at, tuple(meeting.parties),
                                     meeting.notes) if meeting else None)
        return await _run(info, lambda uow: handlers.record_finding(str(id), cmd, info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: INVESTIGATING → RESOLUTION_PROPOSED, only once the finding is "
                                     "recorded (no concession before the cause is known); CMP-6: the remedy")
    async def propose_resolution(self, info: Info, id: strawberry.ID, input: ResolutionInput) -> Complaint:
        cmd = handlers.ProposeResolution(remedy=input.remedy, amount_fen=input.amount_fen,
                                         promised_at=input.promised_at, description=input.description,
                                         with_apology=input.with_apology,
                                         no_replacement_available=input.no_replacement_available)
        return await _run(info, lambda uow: handlers.propose_resolution(str(id), cmd, info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: RESOLUTION_PROPOSED → RESOLVED (the customer accepted)")
    async def resolve_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        return await _run(info, lambda uow: handlers.resolve(str(id), info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: RESOLVED (or INVESTIGATING, settled by the finding alone) → CLOSED; "
                                     "never without a finding (CMP-5)")
    async def close_complaint(self, info: Info, id: strawberry.ID) -> Complaint:
        return await _run(info, lambda uow: handlers.close(str(id), info.context.caller, uow))

    @strawberry.mutation(description="CMP-7: how satisfied the customer is (1–5, with a comment), asked at closing")
    async def record_complaint_satisfaction(self, info: Info, id: strawberry.ID,
                                            satisfaction: SatisfactionInput) -> Complaint:
        return await _run(info, lambda uow: handlers.record_satisfaction(
            str(id), satisfaction.score, satisfaction.comment, info.context.caller, uow))

    @strawberry.mutation(description="CMP-3: RESOLVED or CLOSED → REOPENED, then back into investigation")
    async def reopen_complaint(self, info: Info, id: strawberry.ID, reason: str) -> Complaint:
        return await _run(info, lambda uow: handlers.reopen(str(id), reason, info.context.caller, uow))

    @strawberry.mutation(description="CMP-4: a later resolution deadline, only with the customer's acknowledgement")
    async def extend_deadline(self, info: Info, id: strawberry.ID, new_due_at: datetime,
                              customer_acknowledgement: str) -> Complaint:
        return await _run(info, lambda uow: handlers.extend_deadline(
            str(id), new_due_at, customer_acknowledgement, info.context.caller, uow))

    @strawberry.mutation(description="CMP-6: money the supplier paid back on its claim")
    async def record_claim_recovery(self, info: Info, id: strawberry.ID, amount_fen: Fen,
                                    note: str | None = None) -> Complaint:
        return await _run(info, lambda uow: handlers.record_claim_recovery(
            str(id), amount_fen, note, info.context.caller, uow))

    @strawberry.mutation(description="CMP-6: give up on what the supplier still owes, saying why")
    async def write_off_claim(self, info: Info, id: strawberry.ID, reason: str) -> Complaint:
        return await _run(info, lambda uow: handlers.write_off_claim(str(id), reason, info.context.caller, uow))


def _filter(given: ComplaintFilter | None) -> Filter:
    return Filter(**vars(given)) if given else Filter()


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
