"""The credit subgraph: a thin skin over credit. Validate, authorise, call a handler, map.

Reading one customer's profile needs a valid token. Lists over many customers (ageing, overdue,
investigations due, holds) are scoped: a salesperson sees the customers they are the salesperson
of, regional roles their region, finance, managers and admin everything. Types: `schema_types.py`.
"""

from datetime import timedelta

import strawberry
from strawberry.types.info import Info

from chassis.auth import Principal, Role
from chassis.errors import Invalid
from chassis.graphql import Fen, ServiceSchema, caller, service_of
from services.credit import alerts, approval, handlers, ledger, limits
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
    InvestigationDue,
    InvestigationReport,
    LimitCalculation,
    LimitInputs,
    LimitMethodResult,
    first_of,
    now_of,
)
from services.credit.store import Scope

SEE_ALL = (Role.FINANCE, Role.SALES_MANAGER, Role.GENERAL_MANAGER, Role.ADMIN)
STAFF = (Role.SALES, Role.REGION_ASSISTANT, Role.REGION_MANAGER, Role.SALES_MANAGER, Role.FINANCE,
         Role.GENERAL_MANAGER)
MANAGERS = (Role.REGION_MANAGER, Role.SALES_MANAGER, Role.GENERAL_MANAGER)  # CRD-10 countermeasures
INVESTIGATORS = (Role.SALES, Role.REGION_MANAGER, Role.FINANCE)  # CRD-9 reports


# -- root fields -----------------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="CRD-4: may this customer take an order of amountFen on credit?")
    async def credit_check(self, info: Info, customer_id: strawberry.ID, amount_fen: Fen) -> CreditDecision:
        caller(info)
        profile = await service_of(info).store.get(str(customer_id))
        return CreditDecision.from_domain(profile.check(amount_fen, now_of(info)))

    @strawberry.field(description="CRD-1: one customer's credit profile")
    async def credit_profile(self, info: Info, customer_id: strawberry.ID) -> CreditProfile | None:
        caller(info)
        profile = await service_of(info).store.find(str(customer_id))
        return CreditProfile.from_domain(profile, now_of(info)) if profile else None

    @strawberry.field(description="CRD-3: the caller's own alerts (as the salesperson, by role, by region)")
    async def credit_alerts(self, info: Info, customer_id: strawberry.ID | None = None,
                            first: int = 50) -> list[CreditAlert]:
        p = caller(info)
        keys = alerts.recipient_keys(p.user_id, sorted(p.roles), p.region)
        stored = await service_of(info).store.alerts_for(keys, str(customer_id) if customer_id else None,
                                                         first_of(first))
        return [CreditAlert.from_domain(a) for a in stored]

    @strawberry.field(description="CRD-5: ageing of one customer, or of every customer the caller may see")
    async def credit_ageing(self, info: Info, customer_id: strawberry.ID | None = None) -> CreditAgeing:
        p = caller(info)
        now = now_of(info)
        store = service_of(info).store
        if customer_id is not None:
            return CreditAgeing.from_domain((await store.get(str(customer_id))).ageing(now))
        total = ledger.Ageing.of([], now)
        for profile in await store.with_receivables(_scope(p)):
            total += profile.ageing(now)
        return CreditAgeing.from_domain(total)

    @strawberry.field(description="CRD-5: overdue invoices of the customers the caller may see, most overdue first")
    async def overdue_invoices(self, info: Info, first: int = 100) -> list[CreditReceivable]:
        p = caller(info)
        now = now_of(info)
        found = [CreditReceivable.from_domain(profile, i, now)
                 for profile in await service_of(info).store.overdue(now, _scope(p))
                 for i in profile.overdue_invoices(now)]
        return sorted(found, key=lambda r: (r.due_at, str(r.invoice_id)))[:first_of(first)]

    @strawberry.field(description="CRD-6: the five limit methods; each computed and explained when its inputs "
                                  "are given")
    def credit_limit_methods(self, info: Info, inputs: LimitInputs | None = None) -> list[LimitMethodResult]:
        caller(info)
        results = limits.calculate_all(inputs.to_domain() if inputs else limits.LimitInputs())
        return [LimitMethodResult(method=spec.method, name=spec.name, formula=spec.formula, inputs=list(spec.inputs),
                                  missing_inputs=missing, calculation=LimitCalculation.from_domain(calculation))
                for spec, calculation, missing in results]

    @strawberry.field(description="CRD-7")
    async def credit_request(self, info: Info, id: strawberry.ID) -> CreditRequest | None:
        caller(info)
        request = await service_of(info).store.find_request(str(id))
        return CreditRequest.from_domain(request) if request else None

    @strawberry.field(description="CRD-7: requests, newest first; awaitingMe: those whose next step is the "
                                  "caller's")
    async def credit_requests(self, info: Info, customer_id: strawberry.ID | None = None,
                              status: CreditRequestStatus | None = None, awaiting_me: bool = False,
                              first: int = 100) -> list[CreditRequest]:
        p = caller(info)
        steps = [s for s in approval.Step if s.role in p.roles] if awaiting_me else None
        found = await service_of(info).store.find_requests(
            customer_id=str(customer_id) if customer_id else None, status=status, steps=steps, limit=first_of(first))
        if awaiting_me:
            found = [r for r in found if not (r.step is approval.Step.REGION_MANAGER_REVIEW and r.region
                                              and r.region != p.region)]
        return [CreditRequest.from_domain(r) for r in found]

    @strawberry.field(description="CRD-8: quarterly reviews, newest quarter first")
    async def credit_reviews(self, info: Info, customer_id: strawberry.ID | None = None,
                             quarter: str | None = None) -> list[CreditReview]:
        caller(info)
        stored = await service_of(info).store.find_reviews(str(customer_id) if customer_id else None, quarter)
        return [CreditReview.from_domain(r) for r in stored]

    @strawberry.field(description="CRD-9: investigation reports due within `withinDays` (and those overdue)")
    async def investigation_reports_due(self, info: Info, within_days: int = 14) -> list[InvestigationDue]:
        p = caller(info)
        if not 0 <= within_days <= 366:
            raise Invalid("withinDays", "must be between 0 and 366")
        now = now_of(info)
        profiles = await service_of(info).store.investigations_due(now + timedelta(days=within_days), _scope(p))
        return [InvestigationDue(customer_id=strawberry.ID(x.customer_id), rating=x.rating, due_at=due,
                                 overdue=due < now, last_report_at=x.last_investigation_at)
                for x in profiles if x.rating and (due := x.investigation_due_at())]

    @strawberry.field(description="CRD-10: emergencies still holding credit, of customers the caller may see")
    async def credit_emergencies(self, info: Info) -> list[CreditEmergency]:
        p = caller(info)
        return [CreditEmergency.from_domain(x.customer_id, e)
                for x in await service_of(info).store.on_hold(_scope(p)) for e in x.emergencies if e.holds]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="CRD-7: a salesperson applies for a change of rating, limit or term")
    async def request_credit_change(self, info: Info, input: CreditChangeInput) -> CreditRequest:
        p = caller(info)
        p.require(Role.SALES)
        calculation = limits.calculate(input.calculation.method, input.calculation.inputs.to_domain()) \
            if input.calculation else None
        cmd = handlers.RequestCreditChange(
            customer_id=str(input.customer_id), by=p.user_id, justification=input.justification,
            requested=approval.Terms(input.rating, input.limit_fen, input.term_days), calculation=calculation)
        request = await service_of(info).run(lambda uow: handlers.request_credit_change(cmd, uow))
        return CreditRequest.from_domain(request)

    @strawberry.mutation(description="CRD-7: one step of the chain, by that step's role")
    async def decide_credit_request(self, info: Info, id: strawberry.ID, approve: bool, comment: str | None = None,
                                    proposal: CreditTermsInput | None = None) -> CreditRequest:
        p = caller(info)
        cmd = handlers.DecideCreditRequest(
            request_id=str(id), approve=approve, comment=comment, by=p.user_id, roles=p.roles, region=p.region,
            proposal=approval.Terms(proposal.rating, proposal.limit_fen, proposal.term_days) if proposal else None)
        request = await service_of(info).run(lambda uow: handlers.decide_credit_request(cmd, uow))
        return CreditRequest.from_domain(request)

    @strawberry.mutation(description="CRD-8: finance accepts why these invoices are late (no downgrade for them)")
    async def accept_overdue_reason(self, info: Info, customer_id: strawberry.ID, invoice_ids: list[strawberry.ID],
                                    reason: str) -> CreditProfile:
        p = caller(info)
        p.require(Role.FINANCE)
        profile = await service_of(info).run(lambda uow: handlers.accept_overdue_reason(
            str(customer_id), [str(i) for i in invoice_ids], reason, p.user_id, uow))
        return CreditProfile.from_domain(profile, now_of(info))

    @strawberry.mutation(description="CRD-8: review every profile for the last completed quarter now")
    async def run_credit_review(self, info: Info) -> list[CreditReview]:
        p = caller(info)
        p.require(Role.FINANCE, Role.GENERAL_MANAGER)
        service = service_of(info)
        outcomes = await service.quarterly_review()
        stored = [r for o in outcomes for r in await service.store.find_reviews(o.customer_id, o.quarter)]
        return [CreditReview.from_domain(r) for r in stored]

    @strawberry.mutation(description="CRD-9: file a credit investigation report")
    async def record_investigation_report(self, info: Info, customer_id: strawberry.ID,
                                          summary: str) -> InvestigationReport:
        p = caller(info)
        p.require(*INVESTIGATORS)
        report = await service_of(info).run(lambda uow: handlers.record_investigation(
            str(customer_id), summary, p.user_id, uow))
        return InvestigationReport.from_domain(report)

    @strawberry.mutation(description="CRD-10: report a sudden change; the customer goes on credit hold at once")
    async def report_credit_emergency(self, info: Info, input: CreditEmergencyInput) -> CreditEmergency:
        p = caller(info)
        p.require(*STAFF)
        reported = await service_of(info).run(lambda uow: handlers.report_emergency(
            str(input.customer_id), input.kind, input.description, p.user_id, uow))
        return CreditEmergency.from_domain(str(input.customer_id), reported)

    @strawberry.mutation(description="CRD-10: a manager decides countermeasures; the hold ends unless shipments "
                                     "stay stopped")
    async def decide_countermeasures(self, info: Info, input: CountermeasuresInput) -> CreditEmergency:
        p = caller(info)
        p.require(*MANAGERS)
        decided = await service_of(info).run(lambda uow: handlers.decide_countermeasures(
            str(input.customer_id), str(input.emergency_id), list(input.measures), input.comment, p.user_id, uow))
        return CreditEmergency.from_domain(str(input.customer_id), decided)


# -- helpers ---------------------------------------------------------------------------------------------


def _scope(p: Principal) -> Scope:
    """Whose customers a list shows the caller (need to know)."""
    if p.has_any(*SEE_ALL):
        return Scope()
    if p.has_any(Role.REGION_MANAGER, Role.REGION_ASSISTANT):
        return Scope(region=p.region) if p.region else Scope(nobody=True)
    if p.has_any(Role.SALES):
        return Scope(salesperson_id=p.user_id)
    return Scope(nobody=True)


schema = ServiceSchema(query=Query, mutation=Mutation, types=[Customer])
