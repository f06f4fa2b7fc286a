"""The credit subgraph: a thin skin over credit. Validate, authorise (policy.py), call a handler, map.

Need-to-know (`access.md`): a customer's credit is for its owner, region roles of its region,
managers, FINANCE and ADMIN; anyone else gets null and FORBIDDEN for one customer, and lists leave
such customers out. Ageing over many customers is a statistic (region roles: their region).
Types: `schema_types.py`.
"""

from datetime import date, timedelta

import strawberry

from chassis.errors import Invalid
from chassis.graphql import ServiceSchema
from chassis.scalars import Fen
from services.credit import approval, domain, handlers, ledger, limits, policy
from services.credit.jobs import quarterly_review
from services.credit.schema_types import (
    CountermeasuresInput,
    CreditAgeing,
    CreditAlert,
    CreditChangeInput,
    CreditDecision,
    CreditEmergency,
    CreditEmergencyInput,
    CreditProfile,
    CreditReceivable,
    CreditRequest,
    CreditRequestStatus,
    CreditReview,
    CreditTermsInput,
    Customer,
    FinanceReconciliation,
    Info,
    InvestigationDue,
    InvestigationReport,
    LedgerMismatch,
    LimitCalculation,
    LimitInputs,
    LimitMethodResult,
    first_of,
    now_of,
    profiles,
    shown,
)


async def _visible(info: Info, customer_ids: list[str]) -> set[str]:
    """Of these customers, those whose credit the caller may see."""
    found = await info.context.service.store.get_many(sorted(set(customer_ids)))
    return {c for c, profile in found.items() if policy.sees(info.context.caller, profile)}


# -- root fields -----------------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="CRD-4: may this customer take an order of amountFen on credit?")
    async def credit_check(self, info: Info, customer_id: strawberry.ID, amount_fen: Fen) -> CreditDecision:
        profile = await info.context.service.store.get(str(customer_id))
        policy.require_sees(info.context.caller, profile)
        return CreditDecision.from_domain(profile.check(amount_fen, now_of(info)))

    @strawberry.field(description="CRD-1: one customer's credit profile")
    async def credit_profile(self, info: Info, customer_id: strawberry.ID) -> CreditProfile | None:
        profile = await profiles(info).load(str(customer_id))
        return shown(info, profile) if profile else None

    @strawberry.field(description="What credit received from one sending system (`source`, e.g. erp) on one day, "
                                  "optionally for one customer: counts and sums, copies dropped, events refused or "
                                  "dead-lettered with their reasons (FINANCE, GENERAL_MANAGER, ADMIN)")
    async def finance_reconciliation(self, info: Info, source: str, day: date,
                                     customer_id: strawberry.ID | None = None) -> FinanceReconciliation:
        policy.require_may_reconcile(info.context.caller)
        found = await info.context.service.store.reconciliation(source, day.isoformat(),
                                                                str(customer_id) if customer_id else None)
        return FinanceReconciliation.from_domain(found)

    @strawberry.field(description="Customers whose ledger does not add up to the invoices and payments credit "
                                  "received for them (FINANCE, GENERAL_MANAGER, ADMIN)")
    async def ledger_mismatches(self, info: Info) -> list[LedgerMismatch]:
        policy.require_may_reconcile(info.context.caller)
        return [LedgerMismatch(**vars(m)) for m in await info.context.service.store.ledger_mismatches()]

    @strawberry.field(description="CRD-3: the caller's own alerts (as the salesperson, by role, by region)")
    async def credit_alerts(self, info: Info, customer_id: strawberry.ID | None = None,
                            first: int = 50) -> list[CreditAlert]:
        stored = await info.context.service.store.alerts_for(info.context.caller.addresses, str(customer_id) if customer_id else None,
                                                             first_of(first))
        visible = await _visible(info, [a.alert.customer_id for a in stored])
        return [CreditAlert.from_domain(a) for a in stored if a.alert.customer_id in visible]

    @strawberry.field(description="CRD-5: ageing of one customer, or of every customer in the caller's statistics "
                                  "(region roles: their region)")
    async def credit_ageing(self, info: Info, customer_id: strawberry.ID | None = None) -> CreditAgeing:
        now = now_of(info)
        store = info.context.service.store
        if customer_id is not None:
            profile = await store.get(str(customer_id))
            policy.require_sees(info.context.caller, profile)
            return CreditAgeing.from_domain(profile.ageing(now))
        total = ledger.Ageing.of([], now)
        for profile in await store.with_receivables(policy.statistics(info.context.caller)):
            total += profile.ageing(now)
        return CreditAgeing.from_domain(total)

    @strawberry.field(description="CRD-5: overdue invoices of the customers the caller may see, most overdue first")
    async def overdue_invoices(self, info: Info, first: int = 100) -> list[CreditReceivable]:
        now = now_of(info)
        found = [CreditReceivable.from_domain(profile, i, now)
                 for profile in await info.context.service.store.overdue(now, policy.lists(info.context.caller))
                 for i in profile.overdue_invoices(now)]
        return sorted(found, key=lambda r: (r.due_at, str(r.invoice_id)))[:first_of(first)]

    @strawberry.field(description="CRD-6: the five limit methods; each computed and explained when its inputs "
                                  "are given")
    def credit_limit_methods(self, info: Info, inputs: LimitInputs | None = None) -> list[LimitMethodResult]:
        results = limits.calculate_all(inputs.to_domain() if inputs else limits.LimitInputs())
        return [LimitMethodResult(method=spec.method, name=spec.name, formula=spec.formula, inputs=list(spec.inputs),
                                  missing_inputs=missing, calculation=LimitCalculation.from_domain(calculation))
                for spec, calculation, missing in results]

    @strawberry.field(description="CRD-7")
    async def credit_request(self, info: Info, id: strawberry.ID) -> CreditRequest | None:
        request = await info.context.service.store.find_request(str(id))
        if request is None:
            return None
        if request.customer_id not in await _visible(info, [request.customer_id]):
            raise policy.refuse(f"credit request {request.id}")
        return CreditRequest.from_domain(request)

    @strawberry.field(description="CRD-7: requests, newest first; awaitingMe: those whose next step is the "
                                  "caller's")
    async def credit_requests(self, info: Info, customer_id: strawberry.ID | None = None,
                              status: CreditRequestStatus | None = None, awaiting_me: bool = False,
                              first: int = 100) -> list[CreditRequest]:
        p = info.context.caller
        steps = [s for s in approval.Step if s.role in p.roles] if awaiting_me else None
        found = await info.context.service.store.find_requests(
            customer_id=str(customer_id) if customer_id else None, status=status, steps=steps, limit=first_of(first))
        if awaiting_me:
            found = [r for r in found if not (r.step is approval.Step.REGION_MANAGER_REVIEW and r.region
                                              and r.region != p.region)]
        visible = await _visible(info, [r.customer_id for r in found])
        return [CreditRequest.from_domain(r) for r in found if r.customer_id in visible]

    @strawberry.field(description="CRD-8: quarterly reviews, newest quarter first")
    async def credit_reviews(self, info: Info, customer_id: strawberry.ID | None = None,
                             quarter: str | None = None) -> list[CreditReview]:
        stored = await info.context.service.store.find_reviews(str(customer_id) if customer_id else None, quarter)
        visible = await _visible(info, [r.outcome.customer_id for r in stored])
        return [CreditReview.from_domain(r) for r in stored if r.outcome.customer_id in visible]

    @strawberry.field(description="CRD-9: investigation reports due within `withinDays` (and those overdue)")
    async def investigation_reports_due(self, info: Info, within_days: int = 14) -> list[InvestigationDue]:
        if not 0 <= within_days <= 366:
            raise Invalid("withinDays", "must be between 0 and 366")
        now = now_of(info)
        due_soon = await info.context.service.store.investigations_due(now + timedelta(days=within_days),
                                                                       policy.lists(info.context.caller))
        return [InvestigationDue(customer_id=strawberry.ID(x.customer_id), rating=x.rating or domain.CreditRating.C,
                                 due_at=due, overdue=due < now, last_report_at=x.last_investigation_at)
                for x in due_soon if (due := x.investigation_due_at())]

    @strawberry.field(description="CRD-10: emergencies still holding credit, of customers the caller may see")
    async def credit_emergencies(self, info: Info) -> list[CreditEmergency]:
        held = await info.context.service.store.on_hold(policy.lists(info.context.caller))
        return [CreditEmergency.from_domain(x.customer_id, e) for x in held for e in x.emergencies if e.holds]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CRD-7: the owner (a region role of the region, a manager) applies for a "
                                     "change of rating, limit or term")
    async def request_credit_change(self, info: Info, input: CreditChangeInput) -> CreditRequest:
        calculation = limits.calculate(input.calculation.method, input.calculation.inputs.to_domain()) \
            if input.calculation else None
        cmd = handlers.RequestCreditChange(
            customer_id=str(input.customer_id), by=info.context.caller, justification=input.justification,
            requested=approval.Terms(input.rating, input.limit_fen, input.term_days), calculation=calculation)
        request = await info.context.service.run(lambda uow: handlers.request_credit_change(cmd, uow))
        return CreditRequest.from_domain(request)

    @strawberry.mutation(description="CRD-7: one step of the chain, by that step's role")
    async def decide_credit_request(self, info: Info, id: strawberry.ID, approve: bool, comment: str | None = None,
                                    proposal: CreditTermsInput | None = None) -> CreditRequest:
        cmd = handlers.DecideCreditRequest(
            request_id=str(id), approve=approve, comment=comment, by=info.context.caller,
            proposal=approval.Terms(proposal.rating, proposal.limit_fen, proposal.term_days) if proposal else None)
        request = await info.context.service.run(lambda uow: handlers.decide_credit_request(cmd, uow))
        return CreditRequest.from_domain(request)

    @strawberry.mutation(description="CRD-8: finance accepts why these invoices are late (no downgrade for them)")
    async def accept_overdue_reason(self, info: Info, customer_id: strawberry.ID, invoice_ids: list[strawberry.ID],
                                    reason: str) -> CreditProfile:
        profile = await info.context.service.run(lambda uow: handlers.accept_overdue_reason(
            str(customer_id), [str(i) for i in invoice_ids], reason, info.context.caller, uow))
        return shown(info, profile)

    @strawberry.mutation(description="CRD-8: review every profile for the last completed quarter now")
    async def run_credit_review(self, info: Info) -> list[CreditReview]:
        policy.require_may_run_review(info.context.caller)
        service = info.context.service
        outcomes = await quarterly_review(service)
        stored = [r for o in outcomes for r in await service.store.find_reviews(o.customer_id, o.quarter)]
        return [CreditReview.from_domain(r) for r in stored]

    @strawberry.mutation(description="CRD-9: file a credit investigation report")
    async def record_investigation_report(self, info: Info, customer_id: strawberry.ID,
                                          summary: str) -> InvestigationReport:
        report = await info.context.service.run(lambda uow: handlers.record_investigation(
            str(customer_id), summary, info.context.caller, uow))
        return InvestigationReport.from_domain(report)

    @strawberry.mutation(description="CRD-10: report a sudden change; the customer goes on credit hold at once")
    async def report_credit_emergency(self, info: Info, input: CreditEmergencyInput) -> CreditEmergency:
        reported = await info.context.service.run(lambda uow: handlers.report_emergency(
            str(input.customer_id), input.kind, input.description, info.context.caller, uow))
        return CreditEmergency.from_domain(str(input.customer_id), reported)

    @strawberry.mutation(description="CRD-10: a manager decides countermeasures; the hold ends unless shipments "
                                     "stay stopped")
    async def decide_countermeasures(self, info: Info, input: CountermeasuresInput) -> CreditEmergency:
        decided = await info.context.service.run(lambda uow: handlers.decide_countermeasures(
            str(input.customer_id), str(input.emergency_id), list(input.measures), input.comment,
            info.context.caller, uow))
        return CreditEmergency.from_domain(str(input.customer_id), decided)


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
