"""Use cases of credit: one function per consumed event or command, each one unit of work.

Every consumed event is applied once by its own id (CRD-11): the inbox catches a redelivered
envelope, and the profile catches the same invoice, payment or note sent again under a new one.
An event about a customer credit has not heard of yet raises NotFound: the bus retries it, then
dead-letters it with the reason; it never creates a customer.
"""

import uuid
from dataclasses import dataclass, replace

from chassis.auth import Principal
from chassis.directory import on_staff_changed
from chassis.errors import Invalid, RuleViolation
from chassis.service import Service
from chassis.store import UnitOfWork
from contracts.complaints import ComplaintFiled, ComplaintReopened, ComplaintResolved
from contracts.customer import CustomerRegistered, CustomerTerminated, CustomerUpdated
from contracts.ownership import OwnershipChanged, StaffChanged
from contracts.sales import InvoiceIssued, NoteDishonoured, NoteReceived, NoteSettled, PaymentReceived
from services.credit import policy
from services.credit.alerts import Alert, addressed
from services.credit.approval import CreditRequest, Origin, Terms
from services.credit.domain import CreditProfile
from services.credit.emergency import Countermeasure, Emergency, EmergencyKind
from services.credit.limits import LimitCalculation
from services.credit.review import Quarter, ReviewOutcome, review
from services.credit.settings import CreditSettings
from services.credit.store import CreditStore, InvestigationReport

Uow = UnitOfWork[CreditStore, CreditSettings]
CreditService = Service[CreditStore, CreditSettings]

# -- consumed events ---------------------------------------------------------------------------------


async def on_customer_registered(event: CustomerRegistered, uow: Uow) -> None:
    """CRD-1: every customer gets a profile, cash only until a limit is approved."""
    if await uow.store.find(event.customer_id) is not None:
        return  # CRD-11: heard before
    profile = CreditProfile.open(event.customer_id, event.region, event.registered_by, uow.now())
    uow.store.save(profile, uow)
    await uow.commit()


async def on_customer_updated(event: CustomerUpdated, uow: Uow) -> None:
    """Alerts go to the regional manager of the customer's current region; credit waits for trading (CUS-8)."""
    profile = await uow.store.get(event.customer_id)
    if profile.follow_card(event.region, event.trading_open, event.version):
        await _save(profile, uow)


async def on_customer_terminated(event: CustomerTerminated, uow: Uow) -> None:
    """CUS-8: trading ended; the credit check refuses from now on (the ledger stays, receivables may still
    be paid)."""
    profile = await uow.store.get(event.customer_id)
    if profile.trading_ended_at is None:
        profile.trading_ended_at = event.terminated_at
        await _save(profile, uow)


async def on_ownership_changed(event: OwnershipChanged, uow: Uow) -> None:
    """CRD-3: the owner is the salesperson alerts go to."""
    profile = await uow.store.get(event.customer_id)
    if profile.change_owner(event.owner_id, event.changed_at):
        await _save(profile, uow)


async def on_invoice_issued(event: InvoiceIssued, uow: Uow) -> None:
    """CRD-2: a sale on credit is a receivable; it may cross an alert level (CRD-3)."""
    profile = await uow.store.get(event.customer_id)
    applied = profile.apply_invoice(event.invoice_id, event.amount_fen, event.issued_at, event.salesperson_id,
                                    uow.now())
    _received(profile.customer_id, event.amount_fen, applied, uow)
    if applied:
        await _save(profile, uow)


async def on_payment_received(event: PaymentReceived, uow: Uow) -> None:
    """CRD-2: a receipt reduces the receivables: listed invoices first, then the oldest."""
    profile = await uow.store.get(event.customer_id)
    applied = profile.apply_payment(event.payment_id, event.amount_fen, event.received_at, event.invoice_ids,
                                    uow.now()) is not None
    _received(profile.customer_id, event.amount_fen, applied, uow)
    if applied:
        await _save(profile, uow)


async def on_note_received(event: NoteReceived, uow: Uow) -> None:
    """CRD-2: an unsettled note counts as exposure."""
    profile = await uow.store.get(event.customer_id)
    _refuse_another_holder(event.note_id, await uow.store.find_customer_of_note(event.note_id), profile.customer_id)
    applied = profile.receive_note(event.note_id, event.amount_fen, event.matures_at, uow.now())
    _received(profile.customer_id, event.amount_fen, applied, uow)
    if applied:
        uow.store.link_note(event.note_id, profile.customer_id, uow)
        await _save(profile, uow)


async def on_note_settled(event: NoteSettled, uow: Uow) -> None:
    profile = await uow.store.get(await _holder(event.note_id, event.customer_id, uow))
    applied = profile.settle_note(event.note_id, uow.now())
    _received(profile.customer_id, None, applied, uow)
    if applied:
        await _save(profile, uow)


async def on_note_dishonoured(event: NoteDishonoured, uow: Uow) -> None:
    """CRD-10: a dishonoured note is an emergency: credit hold at once; the amount is owed again."""
    profile = await uow.store.get(await _holder(event.note_id, event.customer_id, uow))
    applied = profile.dishonour_note(event.note_id, _new_id(), uow.now())
    _received(profile.customer_id, None, applied, uow)
    if applied:
        await _save(profile, uow)


async def on_complaint_filed(event: ComplaintFiled, uow: Uow) -> None:
    """CRD-8: a quality or contract complaint about invoices holds them out of a downgrade while open."""
    profile = await uow.store.get(event.customer_id)
    if profile.open_dispute(event.complaint_id, event.kind, event.invoice_ids, event.filed_at):
        await _save(profile, uow)


async def on_complaint_resolved(event: ComplaintResolved, uow: Uow) -> None:
    """CRD-8: resolved, the dispute is over: its invoices count again."""
    profile = await uow.store.get(event.customer_id)
    if profile.close_dispute(event.complaint_id, event.resolved_at):
        await _save(profile, uow)


async def on_complaint_reopened(event: ComplaintReopened, uow: Uow) -> None:
    """CRD-8: reopened, the dispute is live again."""
    profile = await uow.store.get(event.customer_id)
    if profile.reopen_dispute(event.complaint_id, event.reopened_at):
        await _save(profile, uow)


def _received(customer_id: str, amount_fen: int | None, applied: bool, uow: Uow) -> None:
    """Reconciliation: finance's event as credit took it, applied or a copy of a document it knew."""
    assert uow.consumed is not None
    uow.store.record_receipt(uow.consumed, customer_id, amount_fen, applied, uow)


async def _note_holder(event: NoteSettled | NoteDishonoured, store: CreditStore) -> str:
    return await store.customer_of_note(event.note_id)


# Note settlements may name only the note: their customer is found so that they keep that customer's order.
SUBJECTS = {NoteSettled: _note_holder, NoteDishonoured: _note_holder}


async def _holder(note_id: str, said: str | None, uow: Uow) -> str:
    """The customer a note was received from; one ERP names must be that one (CRD-11)."""
    holder = await uow.store.customer_of_note(note_id)
    _refuse_another_holder(note_id, holder, said)
    return holder


def _refuse_another_holder(note_id: str, holder: str | None, said: str | None) -> None:
    """CRD-11: a note belongs to the customer it was received from."""
    if None not in (holder, said) and holder != said:
        raise RuleViolation("CRD-11", f"note {note_id} was received from customer {holder}, not {said}",
                            noteId=note_id, customerId=holder)


SUBSCRIPTIONS = {
    CustomerRegistered: on_customer_registered,
    CustomerUpdated: on_customer_updated,
    CustomerTerminated: on_customer_terminated,
    OwnershipChanged: on_ownership_changed,
    InvoiceIssued: on_invoice_issued,
    PaymentReceived: on_payment_received,
    NoteReceived: on_note_received,
    NoteSettled: on_note_settled,
    NoteDishonoured: on_note_dishonoured,
    ComplaintFiled: on_complaint_filed,
    ComplaintResolved: on_complaint_resolved,
    ComplaintReopened: on_complaint_reopened,
    StaffChanged: on_staff_changed,
}

# -- commands ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestCreditChange:
    customer_id: str
    requested: Terms
    justification: str
    by: Principal
    calculation: LimitCalculation | None = None


async def request_credit_change(cmd: RequestCreditChange, uow: Uow) -> CreditRequest:
    """CRD-7: the owner (or a region role, or a manager) applies; the request waits for the regional manager."""
    profile = await uow.store.get(cmd.customer_id)
    policy.require_may_request_change(cmd.by, profile)
    profile.refuse_unless_trading()
    request = CreditRequest.apply(id=_new_id(), customer_id=profile.customer_id, region=profile.region,
                                  requested=cmd.requested, justification=cmd.justification, by=cmd.by.user_id,
                                  now=uow.now(), calculation=cmd.calculation)
    _one_request_at_a_time(profile)
    profile.open_request_id = request.id
    uow.store.save(profile, uow)
    uow.store.save_request(request, uow)
    await uow.commit()
    return request


@dataclass(frozen=True)
class DecideCreditRequest:
    request_id: str
    approve: bool
    comment: str | None
    by: Principal
    proposal: Terms | None = None


async def decide_credit_request(cmd: DecideCreditRequest, uow: Uow) -> CreditRequest:
    """CRD-7: one step, by that step's role (a regional manager in the customer's region); the final
    approval changes the profile and announces it."""
    request = await uow.store.get_request(cmd.request_id)
    final = request.decide(approve=cmd.approve, by=cmd.by.user_id, roles=cmd.by.roles, region=cmd.by.region,
                           comment=cmd.comment, now=uow.now(), proposal=cmd.proposal)
    uow.store.save_request(request, uow)
    if not request.is_open:
        profile = await uow.store.get(request.customer_id)
        if profile.open_request_id == request.id:
            profile.open_request_id = None
        if final:
            terms = request.terms
            profile.change_terms(terms.rating, terms.limit_fen, terms.term_days, request.id, uow.now())
        uow.store.save(profile, uow)
    await uow.commit()
    return request


async def accept_overdue_reason(customer_id: str, invoice_ids: list[str], reason: str, by: Principal,
                                uow: Uow) -> CreditProfile:
    """CRD-8: finance accepts why invoices are late: no downgrade for them."""
    policy.require_finance(by)
    profile = await uow.store.get(customer_id)
    profile.accept_overdue_reason(invoice_ids, reason, by.user_id, uow.now())
    await _save(profile, uow)
    return profile


async def record_investigation(customer_id: str, summary: str, by: Principal, uow: Uow) -> InvestigationReport:
    """CRD-9: a credit investigation report (信用调查报告) was filed."""
    if not summary.strip():
        raise Invalid("summary", "must not be empty")
    profile = await uow.store.get(customer_id)
    policy.require_may_record_investigation(by, profile)
    profile.record_investigation(uow.now())
    report = InvestigationReport(_new_id(), customer_id, summary.strip(), profile.rating, by.user_id, uow.now())
    uow.store.add_investigation(report, uow)
    await _save(profile, uow)
    return report


async def report_emergency(customer_id: str, kind: EmergencyKind, description: str, by: Principal,
                           uow: Uow) -> Emergency:
    """CRD-10: reported at once; credit hold until a manager decides."""
    profile = await uow.store.get(customer_id)
    policy.require_may_report_emergency(by, profile)
    emergency = profile.report_emergency(_new_id(), kind, description, by.user_id, uow.now())
    await _save(profile, uow)
    return emergency


async def decide_countermeasures(customer_id: str, emergency_id: str, measures: list[Countermeasure],
                                 comment: str | None, by: Principal, uow: Uow) -> Emergency:
    """CRD-10: the manager's decision; it lifts the hold unless shipments stay stopped."""
    profile = await uow.store.get(customer_id)
    policy.require_may_decide_countermeasures(by, profile)
    emergency = profile.decide_countermeasures(emergency_id, measures, comment, by.user_id, uow.now())
    await _save(profile, uow)
    return emergency


async def review_profile(customer_id: str, quarter: Quarter, uow: Uow) -> ReviewOutcome | None:
    """CRD-8: review one profile for one quarter; a proposal becomes a request entering CRD-7."""
    profile = await uow.store.get(customer_id)
    if profile.last_reviewed_quarter == str(quarter):
        return None
    outcome = review(profile, quarter, uow.now(), uow.settings.review_policy)
    request_id = None
    if outcome.proposal is not None and profile.open_request_id is None:
        request = CreditRequest.apply(
            id=_new_id(), customer_id=customer_id, region=profile.region, requested=outcome.proposal,
            justification=f"quarterly review {quarter}: " + "; ".join(outcome.findings), by="system",
            now=uow.now(), origin=Origin.QUARTERLY_REVIEW)
        uow.store.save_request(request, uow)
        profile.open_request_id = request_id = request.id
    elif outcome.proposal is not None:
        outcome = ReviewOutcome(outcome.customer_id, outcome.quarter, outcome.direction, outcome.findings + (
            f"not proposed: request {profile.open_request_id} is still open",), outcome.proposal)
    profile.last_reviewed_quarter = str(quarter)
    uow.store.add_review(outcome, request_id, uow)
    await _save(profile, uow)
    return outcome


# -- helpers ---------------------------------------------------------------------------------------------


def _one_request_at_a_time(profile: CreditProfile) -> None:
    if profile.open_request_id is not None:
        raise RuleViolation("CRD-7", f"customer {profile.customer_id} already has a change request in the chain: "
                                     f"{profile.open_request_id}; decide it first",
                            openRequestId=profile.open_request_id)


async def announce_long_overdue(customer_id: str, uow: Uow) -> bool:
    """CUS-3: tell the customer archive about invoices that passed 30 days overdue (once each)."""
    profile = await uow.store.get(customer_id)
    announced = profile.announce_long_overdue(uow.now())
    await _save(profile, uow)  # also moves its `long_overdue_due_at` on
    return announced


async def _save(profile: CreditProfile, uow: Uow) -> None:
    profile.announce_long_overdue(uow.now())  # e.g. a payment that settles an invoice already 40 days late
    for i, event in enumerate(profile.events):
        if isinstance(event, Alert):  # CRD-3: to the people the staff directory names
            people = await uow.store.people_for(event.recipients)
            profile.events[i] = replace(event, recipients=addressed(event.recipients, people))
    uow.store.save(profile, uow)
    await uow.commit()


def _new_id() -> str:
    return str(uuid.uuid4())
