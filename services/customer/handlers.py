"""Use cases of the customer archive: one function per command or consumed event."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chassis.auth import Principal
from chassis.clock import add_months, business_date
from chassis.directory import on_staff_changed
from chassis.errors import VersionMismatch
from chassis.service import Service
from chassis.store import UnitOfWork
from contracts.access import AccessRecorded
from contracts.complaints import ComplaintFiled, ComplaintReopened, ComplaintResolved
from contracts.credit import CreditInvoiceOverdue
from contracts.customer import VisitsOverdue
from contracts.ownership import OwnershipChanged, StaffChanged
from contracts.sales import InvoiceIssued
from services.customer import policy
from services.customer.domain import Customer, EndOfTrading, Registrant, TradingRecord
from services.customer.settings import CustomerSettings
from services.customer.store import CustomerStore, duplicate
from services.customer.timeline import Dealing, TimelineEntry
from services.customer.visits import (
    PlannedVisit,
    PlanRole,
    PlanStatus,
    ProspectGrade,
    Visit,
    VisitChannel,
    cadence_for,
    planned_visit,
)

Uow = UnitOfWork[CustomerStore, CustomerSettings]
CustomerService = Service[CustomerStore, CustomerSettings]


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: str
    expected_version: int
    by: Principal
    changes: dict[str, Any] = field(default_factory=dict)


async def register_customer(card: dict[str, Any], by: Principal, uow: Uow) -> Customer:
    """`card`: name, kind, nature and any other fields of `Customer` a person fills in."""
    policy.require_may_register(by)
    code = await uow.store.next_code()  # a refused registration leaves a gap in the codes: harmless
    registrant = Registrant(by.user_id, by.name, tuple(sorted(by.roles)), by.region)
    customer = Customer.register(id=str(uuid.uuid4()), code=code, by=registrant, now=uow.now(), **card)
    await _refuse_duplicates(customer, uow)  # CUS-12
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


async def update_customer(cmd: UpdateCustomer, uow: Uow) -> Customer:
    customer = await uow.store.get(cmd.customer_id)
    policy.require_may_edit(cmd.by, customer)
    _refuse_stale(customer, cmd.expected_version)
    if not customer.update(cmd.changes, by=cmd.by.user_id, now=uow.now()):
        return customer
    await _refuse_duplicates(customer, uow)
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


async def submit_trading_survey(customer_id: str, expected_version: int, summary: str, by: Principal, uow: Uow
                                ) -> Customer:
    """CUS-8: the person responsible for the customer writes the start-of-trading survey."""
    customer = await uow.store.get(customer_id)
    policy.require_may_edit(by, customer)
    _refuse_stale(customer, expected_version)
    customer.submit_trading_survey(summary, by=by.user_id, now=uow.now())
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


async def decide_trading_survey(customer_id: str, expected_version: int, approve: bool, comment: str | None,
                                by: Principal, uow: Uow) -> Customer:
    """CUS-8: the unit head, then the general manager; the final approval opens trading."""
    customer = await uow.store.get(customer_id)
    policy.require_may_decide_survey(by, customer)
    _refuse_stale(customer, expected_version)
    customer.decide_trading_survey(approve, comment, by=by.user_id, now=uow.now())
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


async def end_trading(customer_id: str, expected_version: int, reason: EndOfTrading, note: str, by: Principal,
                      uow: Uow) -> Customer:
    """CUS-8: archived, never deleted."""
    customer = await uow.store.get(customer_id)
    policy.require_may_end_trading(by, customer)
    _refuse_stale(customer, expected_version)
    customer.end_trading(reason, note, by=by.user_id, now=uow.now())
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


async def grade_prospect(customer_id: str, expected_version: int, grade: ProspectGrade, by: Principal,
                         uow: Uow) -> Customer:
    """CUS-4: the salesperson grades a prospect; the grade sets how often they visit it."""
    customer = await uow.store.get(customer_id)
    policy.require_may_edit(by, customer)
    _refuse_stale(customer, expected_version)
    if not customer.grade_prospect(grade, by=by.user_id, now=uow.now()):
        return customer
    uow.store.save(customer, uow)
    await uow.commit()
    return customer


@dataclass(frozen=True)
class LogVisit:
    customer_id: str
    by: Principal
    channel: VisitChannel
    progress: str
    visited_at: datetime | None = None
    achievements: str | None = None
    problems: str | None = None
    next_steps: str | None = None


async def log_visit(cmd: LogVisit, uow: Uow) -> Visit:
    """CUS-6: one visit in the log (the reports and the visit plan are derived from it)."""
    customer = await uow.store.get(cmd.customer_id)
    policy.require_may_edit(cmd.by, customer)
    now = uow.now()
    visit = Visit.log(id=str(uuid.uuid4()), customer_id=customer.id, by=cmd.by.user_id, at=cmd.visited_at or now,
                      channel=cmd.channel, progress=cmd.progress, achievements=cmd.achievements,
                      problems=cmd.problems, next_steps=cmd.next_steps, now=now)
    uow.store.save_visit(visit, uow)
    await uow.commit()
    return visit


async def visit_plan(store: CustomerStore, user_id: str, role: PlanRole, region: str | None, now: datetime,
                     horizon: timedelta) -> list[tuple[Customer, PlannedVisit]]:
    """CUS-5: the visits `user_id` in `role` owes, due within `horizon` or overdue, most overdue first.
    SALES: the customers they own; a team lead (组长): their team's, as the staff directory has it, else
    their region's; a section chief: their region's; managers: every planned customer."""
    team = await store.directory.managed_by(user_id) if role is PlanRole.REGION_ASSISTANT else ()
    if role is PlanRole.SALES:
        customers = await store.owned_customers([user_id])
    elif team:
        customers = await store.owned_customers(list(team))
    elif role in (PlanRole.REGION_ASSISTANT, PlanRole.REGION_MANAGER):
        customers = await store.active_customers(region=region) if region else []
    else:
        customers = await store.active_customers(levels=["VIP", "SPECIAL_VIP", "A", "B", "C"])
    last = await store.last_visits(user_id, [c.id for c in customers])
    plan = []
    for c in customers:
        bought = c.first_sale_at is not None
        cadence = cadence_for(role, c.level.value if c.level else None, c.prospect_grade, bought)
        if cadence is None:
            continue
        since = c.prospect_graded_at if not bought and c.prospect_graded_at else c.registered_at
        if entry := planned_visit(c.id, role, cadence, last.get(c.id), since, now, horizon):
            plan.append((c, entry))
    return sorted(plan, key=lambda p: (p[1].due_at, p[0].code))


MAX_NAMED = 50  # customers a reminder names; it counts them all


async def remind_of_visits(owner_id: str, uow: Uow) -> int:
    """CUS-5: once a company day, an owner with visits overdue in their plan is told how many and which
    (`customer.visits_overdue`, a digest rather than one message per customer); returns how many."""
    now = uow.now()
    plan = await visit_plan(uow.store, owner_id, PlanRole.SALES, None, now, timedelta(0))
    overdue = [c.id for c, p in plan if p.status is PlanStatus.OVERDUE]
    uow.store.record_visit_reminder(owner_id, business_date(now), len(overdue), uow)
    if overdue:  # a digest of the day's plan, no aggregate's change: published as it is
        uow.publish(VisitsOverdue(salesperson_id=owner_id, customer_ids=overdue[:MAX_NAMED], count=len(overdue),
                                  day=business_date(now), reminded_at=now))
    await uow.commit()
    return len(overdue)


async def on_invoice_issued(event: InvoiceIssued, uow: Uow) -> None:
    """CUS-2: a sale moves the lifecycle (potential → new, dormant → back to trading); CUS-3: and the level."""
    levels = uow.settings.level_policy
    customer = await uow.store.get(event.customer_id)  # unknown yet: NotFound, retried by the bus
    customer.record_sale(event.issued_at, now=uow.now())
    record = await uow.store.trading_record(customer.id, add_months(uow.now(), -levels.window_months))
    if event.invoice_id not in await uow.store.known_sales(customer.id, [event.invoice_id]):
        record = TradingRecord(record.sales + ((event.issued_at, event.amount_fen),), record.spoiled)
    uow.store.record_sale({
        "_id": event.invoice_id, "customer_id": customer.id, "amount_fen": event.amount_fen,
        "issued_at": event.issued_at, "product_line": event.product_line, "salesperson_id": event.salesperson_id,
    }, uow)
    customer.reassess_level(record, levels, uow.now())
    uow.store.save(customer, uow)
    await uow.commit()


async def on_invoice_overdue(event: CreditInvoiceOverdue, uow: Uow) -> None:
    """CUS-3: an invoice more than 30 days overdue spoils "good payment" until it is paid and for the window
    after; credit tells when it passes 30 days overdue and again when it is paid."""
    levels = uow.settings.level_policy
    customer = await uow.store.get(event.customer_id)
    # once paid, always paid: a redelivered word that it is still open keeps the payment date
    paid = event.settled_at or await uow.store.paid_at(event.invoice_id)
    spoil = (event.due_at + timedelta(days=levels.overdue_days), paid)
    uow.store.record_spoiled_payment(event.invoice_id, customer.id, spoil, event.days_overdue, uow)
    record = await uow.store.trading_record(customer.id, add_months(uow.now(), -levels.window_months),
                                            deciding={event.invoice_id: spoil})
    customer.reassess_level(record, levels, uow.now())
    uow.store.save(customer, uow)
    await uow.commit()


async def refresh_level(customer_id: str, uow: Uow) -> bool:
    """CUS-3: time alone moved the window (a sale or a late payment left it, long-term cooperation began)."""
    levels = uow.settings.level_policy
    customer = await uow.store.get(customer_id)
    record = await uow.store.trading_record(customer.id, add_months(uow.now(), -levels.window_months))
    changed = customer.reassess_level(record, levels, uow.now()) is not None
    uow.store.save(customer, uow)  # also moves or clears its `level_due_at`
    await uow.commit()
    return changed


async def refresh_lifecycle(customer_id: str, uow: Uow) -> bool:
    """CUS-2: time alone moved the lifecycle (dormant after 3 months, established after 12)."""
    customer = await uow.store.get(customer_id)
    changed = customer.refresh_lifecycle(uow.now())
    uow.store.save(customer, uow)  # also clears or moves its `lifecycle_due_at`
    await uow.commit()
    return changed


async def on_ownership_changed(event: OwnershipChanged, uow: Uow) -> None:
    """CUS-9: keep each customer's owner (None: in the pool); a late, older announcement is ignored."""
    customer = await uow.store.get(event.customer_id)
    if customer.announce_owner(event.owner_id, event.changed_at):
        uow.store.save_owner(customer, uow)
        await uow.commit()


async def on_complaint_filed(event: ComplaintFiled, uow: Uow) -> None:
    """The card's timeline tells of the customer's complaints, beside its own versions (timeline.py)."""
    what = " ".join(filter(None, (event.reference, event.kind, f"({event.severity})", event.product)))
    await _tell(TimelineEntry(event.customer_id, Dealing.COMPLAINT_FILED, event.filed_at, event.complaint_id,
                              what), uow)


async def on_complaint_resolved(event: ComplaintResolved, uow: Uow) -> None:
    what = " ".join(filter(None, (event.kind, f"responsibility {event.responsibility}",
                                  f"remedy {event.remedy}" if event.remedy else None)))
    await _tell(TimelineEntry(event.customer_id, Dealing.COMPLAINT_RESOLVED, event.resolved_at, event.complaint_id,
                              what), uow)


async def on_complaint_reopened(event: ComplaintReopened, uow: Uow) -> None:
    await _tell(TimelineEntry(event.customer_id, Dealing.COMPLAINT_REOPENED, event.reopened_at,
                              event.complaint_id, f"{event.kind} reopened"), uow)


async def _tell(entry: TimelineEntry, uow: Uow) -> None:
    await uow.store.get(entry.customer_id)  # unknown yet: NotFound, retried by the bus
    if not await uow.store.told(entry):
        uow.store.tell(entry, uow)
    await uow.commit()


async def on_access_recorded(event: AccessRecorded, uow: Uow) -> None:
    """CUS-9: every service's confidential reads by non-owners, kept in the one access log."""
    assert uow.consumed is not None
    uow.store.record_access(uow.consumed.id, event, uow)
    await uow.commit()


SUBSCRIPTIONS = {InvoiceIssued: on_invoice_issued, OwnershipChanged: on_ownership_changed,
                 CreditInvoiceOverdue: on_invoice_overdue, AccessRecorded: on_access_recorded,
                 StaffChanged: on_staff_changed, ComplaintFiled: on_complaint_filed,
                 ComplaintResolved: on_complaint_resolved, ComplaintReopened: on_complaint_reopened}


def _refuse_stale(customer: Customer, expected_version: int) -> None:
    """The caller decided on the version they read; a change since then is theirs to look at first."""
    if customer.version != expected_version:
        raise VersionMismatch(
            f"{customer.code} is at version {customer.version}, not {expected_version}: "
            "someone changed it since you read it; reload and retry",
            expectedVersion=expected_version, currentVersion=customer.version,
        )


async def _refuse_duplicates(customer: Customer, uow: Uow) -> None:
    for key in customer.dedupe_keys():
        existing = await uow.store.owner_of_key(key)
        if existing not in (None, customer.id):
            raise duplicate(key, existing)
