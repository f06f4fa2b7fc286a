"""Use cases of the customer archive: one function per command or consumed event."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chassis.clock import add_months
from chassis.errors import Conflict
from contracts.credit import CreditInvoiceOverdue
from contracts.customer import CustomerLevelChanged, CustomerRegistered, CustomerTerminated, CustomerUpdated
from contracts.ownership import OwnershipChanged
from contracts.sales import InvoiceIssued
from services.customer.access import Ownership
from services.customer.domain import Customer, EndOfTrading, LevelPolicy, TradingRecord
from services.customer.store import CustomerStore, CustomerUnitOfWork, duplicate
from services.customer.visits import (
    PlannedVisit,
    PlanRole,
    ProspectGrade,
    Visit,
    VisitChannel,
    cadence_for,
    planned_visit,
)

DEFAULT_POLICY = LevelPolicy()  # CUS-3 as domain.md states it; the service runs with CustomerSettings


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: str
    expected_version: int
    by: str
    changes: dict[str, Any] = field(default_factory=dict)


async def register_customer(card: dict[str, Any], by: str, uow: CustomerUnitOfWork) -> Customer:
    """`card`: name, kind, nature and any other fields of `Customer` a person fills in."""
    code = await uow.customers.next_code()  # a refused registration leaves a gap in the codes: harmless
    customer = Customer.register(id=str(uuid.uuid4()), code=code, by=by, now=uow.now(), **card)
    await _refuse_duplicates(customer, uow)  # CUS-12
    uow.customers.save(customer, uow)
    uow.publish(CustomerRegistered(
        customer_id=customer.id, code=customer.code, name=customer.name, kind=customer.kind.value,
        nature=customer.nature.value, region=customer.region, registered_by=by, registered_at=uow.now(),
    ))
    await uow.commit()
    return customer


async def update_customer(cmd: UpdateCustomer, uow: CustomerUnitOfWork) -> Customer:
    customer = await _load_at(cmd.customer_id, cmd.expected_version, uow)
    changed = customer.update(cmd.changes, by=cmd.by, now=uow.now())
    if not changed:
        return customer
    await _refuse_duplicates(customer, uow)
    uow.customers.save(customer, uow)
    uow.publish(_updated(customer, [c.field for c in changed], cmd.by, uow))
    await uow.commit()
    return customer


async def start_trading(customer_id: str, expected_version: int, summary: str, by: str, uow: CustomerUnitOfWork
                        ) -> Customer:
    """CUS-8: the unit head approves the start-of-trading survey."""
    customer = await _load_at(customer_id, expected_version, uow)
    customer.start_trading(summary, approved_by=by, now=uow.now())
    uow.customers.save(customer, uow)
    uow.publish(_updated(customer, ["tradingSurvey"], by, uow))
    await uow.commit()
    return customer


async def end_trading(customer_id: str, expected_version: int, reason: EndOfTrading, note: str, by: str,
                      uow: CustomerUnitOfWork) -> Customer:
    """CUS-8: archived, never deleted."""
    customer = await _load_at(customer_id, expected_version, uow)
    customer.end_trading(reason, note, by=by, now=uow.now())
    uow.customers.save(customer, uow)
    uow.publish(CustomerTerminated(customer_id=customer.id, reason=reason.value, terminated_by=by,
                                   terminated_at=uow.now()))
    await uow.commit()
    return customer


async def grade_prospect(customer_id: str, expected_version: int, grade: ProspectGrade, by: str,
                         uow: CustomerUnitOfWork) -> Customer:
    """CUS-4: the salesperson grades a prospect; the grade sets how often they visit it."""
    customer = await _load_at(customer_id, expected_version, uow)
    if not customer.grade_prospect(grade, by=by, now=uow.now()):
        return customer
    uow.customers.save(customer, uow)
    uow.publish(_updated(customer, ["prospectGrade"], by, uow))
    await uow.commit()
    return customer


@dataclass(frozen=True)
class LogVisit:
    customer_id: str
    by: str
    channel: VisitChannel
    progress: str
    visited_at: datetime | None = None
    achievements: str | None = None
    problems: str | None = None
    next_steps: str | None = None


async def log_visit(cmd: LogVisit, uow: CustomerUnitOfWork) -> Visit:
    """CUS-6: one visit in the log (the reports and the visit plan are derived from it)."""
    customer = await uow.customers.get(cmd.customer_id)
    now = uow.now()
    visit = Visit.log(id=str(uuid.uuid4()), customer_id=customer.id, by=cmd.by, at=cmd.visited_at or now,
                      channel=cmd.channel, progress=cmd.progress, achievements=cmd.achievements,
                      problems=cmd.problems, next_steps=cmd.next_steps, now=now)
    uow.customers.save_visit(visit, uow)
    await uow.commit()
    return visit


async def visit_plan(store: CustomerStore, user_id: str, role: PlanRole, region: str | None, now: datetime,
                     horizon: timedelta) -> list[tuple[Customer, PlannedVisit]]:
    """CUS-5: the visits `user_id` in `role` owes, due within `horizon` or overdue, most overdue first.
    SALES: the customers they own; regional roles: their region; managers: every planned customer."""
    if role is PlanRole.SALES:
        customers = await store.owned_customers(user_id)
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


async def on_invoice_issued(event: InvoiceIssued, uow: CustomerUnitOfWork, policy: LevelPolicy = DEFAULT_POLICY
                            ) -> None:
    """CUS-2: a sale moves the lifecycle (potential → new, dormant → back to trading); CUS-3: and the level."""
    customer = await uow.customers.get(event.customer_id)  # unknown yet: NotFound, retried by the bus
    before = customer.lifecycle
    customer.record_sale(event.issued_at, now=uow.now())
    record = await uow.customers.trading_record(customer.id, add_months(uow.now(), -policy.window_months))
    if event.invoice_id not in await uow.customers.known_sales(customer.id, [event.invoice_id]):
        record = TradingRecord(record.sales + ((event.issued_at, event.amount_fen),), record.spoiled)
    uow.customers.record_sale({
        "_id": event.invoice_id, "customer_id": customer.id, "amount_fen": event.amount_fen,
        "issued_at": event.issued_at, "product_line": event.product_line, "salesperson_id": event.salesperson_id,
    }, uow)
    _reassess_level(customer, record, policy, uow)
    uow.customers.save(customer, uow)
    if customer.lifecycle is not before:
        uow.publish(_updated(customer, ["lifecycle"], "system", uow))
    await uow.commit()


async def on_invoice_overdue(event: CreditInvoiceOverdue, uow: CustomerUnitOfWork,
                             policy: LevelPolicy = DEFAULT_POLICY) -> None:
    """CUS-3: an invoice more than 30 days overdue spoils "good payment" for the trailing window."""
    customer = await uow.customers.get(event.customer_id)
    spoiled_at = event.due_at + timedelta(days=policy.overdue_days)
    record = await uow.customers.trading_record(customer.id, add_months(uow.now(), -policy.window_months))
    uow.customers.record_spoiled_payment(event.invoice_id, customer.id, spoiled_at, event.days_overdue, uow)
    record = TradingRecord(record.sales, record.spoiled + (spoiled_at,))
    _reassess_level(customer, record, policy, uow)
    uow.customers.save(customer, uow)
    await uow.commit()


async def refresh_level(customer_id: str, uow: CustomerUnitOfWork, policy: LevelPolicy = DEFAULT_POLICY) -> bool:
    """CUS-3: time alone moved the window (a sale or a late payment left it, long-term cooperation began)."""
    customer = await uow.customers.get(customer_id)
    record = await uow.customers.trading_record(customer.id, add_months(uow.now(), -policy.window_months))
    changed = _reassess_level(customer, record, policy, uow)
    uow.customers.save(customer, uow)  # also moves or clears its `level_due_at`
    await uow.commit()
    return changed


def _reassess_level(customer: Customer, record: TradingRecord, policy: LevelPolicy, uow: CustomerUnitOfWork
                    ) -> bool:
    change = customer.reassess_level(record, policy, uow.now())
    if change is None:
        return False
    old, new = change
    uow.publish(CustomerLevelChanged(customer_id=customer.id, old_level=old.value if old else None,
                                     new_level=new.value if new else None, changed_at=uow.now()))
    return True


async def refresh_lifecycle(customer_id: str, uow: CustomerUnitOfWork) -> bool:
    """CUS-2: time alone moved the lifecycle (dormant after 3 months, established after 12)."""
    customer = await uow.customers.get(customer_id)
    changed = customer.refresh_lifecycle(uow.now())
    uow.customers.save(customer, uow)  # also clears or moves its `lifecycle_due_at`
    if changed:
        uow.publish(_updated(customer, ["lifecycle"], "system", uow))
    await uow.commit()
    return changed


async def on_ownership_changed(event: OwnershipChanged, uow: CustomerUnitOfWork) -> None:
    """CUS-9: keep each customer's owner (None: in the pool); a late, older announcement is ignored."""
    uow.customers.save_ownership(event.customer_id, Ownership(event.owner_id, announced=True,
                                                              changed_at=event.changed_at), uow)
    await uow.commit()


SUBSCRIPTIONS = {InvoiceIssued: on_invoice_issued, OwnershipChanged: on_ownership_changed,
                 CreditInvoiceOverdue: on_invoice_overdue}
LEVEL_HANDLERS = (on_invoice_issued, on_invoice_overdue)  # app.py binds the configured LevelPolicy to these


async def _load_at(customer_id: str, expected_version: int, uow: CustomerUnitOfWork) -> Customer:
    customer = await uow.customers.get(customer_id)
    if customer.version != expected_version:
        raise Conflict(
            f"{customer.code} is at version {customer.version}, not {expected_version}: "
            "someone changed it since you read it; reload and retry",
            expectedVersion=expected_version, currentVersion=customer.version,
        )
    return customer


async def _refuse_duplicates(customer: Customer, uow: CustomerUnitOfWork) -> None:
    for key in customer.dedupe_keys():
        existing = await uow.customers.owner_of_key(key)
        if existing not in (None, customer.id):
            raise duplicate(key, existing)


def _updated(customer: Customer, fields: list[str], by: str, uow: CustomerUnitOfWork) -> CustomerUpdated:
    return CustomerUpdated(customer_id=customer.id, version=customer.version, changed_fields=fields, updated_by=by,
                           updated_at=uow.now(), region=customer.region, lifecycle=customer.lifecycle.value)
