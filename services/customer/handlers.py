"""Use cases of the customer archive: one function per command or consumed event."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from chassis.errors import Conflict
from contracts.customer import CustomerRegistered, CustomerTerminated, CustomerUpdated
from contracts.sales import InvoiceIssued
from services.customer.domain import Customer, EndOfTrading
from services.customer.store import CustomerUnitOfWork, duplicate


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


async def on_invoice_issued(event: InvoiceIssued, uow: CustomerUnitOfWork) -> None:
    """CUS-2: a sale moves the lifecycle (potential → new, dormant → back to trading)."""
    customer = await uow.customers.get(event.customer_id)  # unknown yet: NotFound, retried by the bus
    before = customer.lifecycle
    customer.record_sale(event.issued_at, now=uow.now())
    uow.customers.save(customer, uow)
    if customer.lifecycle is not before:
        uow.publish(_updated(customer, ["lifecycle"], "system", uow))
    await uow.commit()


async def refresh_lifecycle(customer_id: str, uow: CustomerUnitOfWork) -> bool:
    """CUS-2: time alone moved the lifecycle (dormant after 3 months, established after 12)."""
    customer = await uow.customers.get(customer_id)
    changed = customer.refresh_lifecycle(uow.now())
    uow.customers.save(customer, uow)  # also clears or moves its `lifecycle_due_at`
    if changed:
        uow.publish(_updated(customer, ["lifecycle"], "system", uow))
    await uow.commit()
    return changed


SUBSCRIPTIONS = {InvoiceIssued: on_invoice_issued}


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
