"""CUS-3: the level follows invoices and overdue invoices published on the bus; thresholds are configuration."""

import asyncio
import uuid
from datetime import datetime, timedelta

from chassis.clock import FixedClock, add_months
from contracts.credit import CreditInvoiceOverdue
from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued
from services.customer.app import create_app
from services.customer.handlers import on_invoice_issued
from services.customer.jobs import sweep_levels
from services.customer.settings import CustomerSettings
from tests.customer.conftest import CustomerHarness
from tests.customer.test_archive import HISTORY, register
from tests.customer.test_sales_events import an_invoice
from tests.support import (
    START,
    delete_services,
    eventually,
    listening,
    publish_as_outsider,
    serving,
    settings_for,
)

LEVEL = """query($id: ID!) { customer(id: $id) { level } }"""
YUAN = 100


def overdue(customer_id: str, invoice_id: str, *, due_days_ago: int = 31, paid: datetime | None = None
            ) -> dict[str, object]:
    """What the credit service publishes when an invoice passes 30 days overdue, and when it is paid
    (contracts/credit.py)."""
    due = START - timedelta(days=due_days_ago)
    return {"specversion": "1.0", "id": f"credit-{uuid.uuid4()}", "source": "credit",
            "type": "credit.invoice_overdue", "time": START.isoformat(), "subject": customer_id,
            "datacontenttype": "application/json",
            "data": {"customerId": customer_id, "invoiceId": invoice_id, "daysOverdue": due_days_ago,
                     "dueAt": due.isoformat(), "settledAt": paid.isoformat() if paid else None}}


async def level(archive: CustomerHarness, customer_id: str) -> str | None:
    return (await archive.gql.data(LEVEL, {"id": customer_id}))["customer"]["level"]


async def test_cus_3_invoices_on_the_bus_raise_the_level_and_publish_level_changed(
        archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive)
    async with listening(amqp_url, "customer.level_changed") as changes:
        await publish_as_outsider(amqp_url, an_invoice(customer["id"], days_ago=20, amountFen=20_000 * YUAN),
                                  "invoice.issued")
        await eventually(lambda: [c for c in changes if c["subject"] == customer["id"]])
        await publish_as_outsider(amqp_url, an_invoice(customer["id"], days_ago=10, amountFen=35_000 * YUAN),
                                  "invoice.issued")
        mine = await eventually(lambda: [c["data"] for c in changes if c["subject"] == customer["id"]][1:] and
                                [c["data"] for c in changes if c["subject"] == customer["id"]])
    assert [(c["oldLevel"], c["newLevel"]) for c in mine] == [(None, "C"), ("C", "A")]  # 55,000 in 12 months
    assert await level(archive, customer["id"]) == "A"


async def test_cus_3_short_term_big_buyer_is_special_vip_and_an_invoice_over_30_days_overdue_spoils_it(
        archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive)
    invoice = an_invoice(customer["id"], days_ago=60, amountFen=120_000 * YUAN)
    await publish_as_outsider(amqp_url, invoice, "invoice.issued")
    await eventually(lambda: _level_is(archive, customer["id"], "SPECIAL_VIP"))  # trading for 2 months only
    async with listening(amqp_url, "customer.level_changed") as changes:
        await publish_as_outsider(amqp_url, overdue(customer["id"], invoice["data"]["invoiceId"]),
                                  "credit.invoice_overdue")
        await eventually(lambda: _level_is(archive, customer["id"], "C"))  # every level asks good payment
        await eventually(lambda: [c for c in changes if c["subject"] == customer["id"]])
    assert changes[-1]["data"]["oldLevel"] == "SPECIAL_VIP" and changes[-1]["data"]["newLevel"] == "C"


async def test_cus_3_long_term_cooperation_makes_vip_and_the_window_slides_with_the_sweep(
        archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive)
    await publish_as_outsider(amqp_url, an_invoice(customer["id"], days_ago=400, amountFen=1_000 * YUAN),
                              "invoice.issued")  # first deal over a year ago
    await publish_as_outsider(amqp_url, an_invoice(customer["id"], days_ago=5, amountFen=100_000 * YUAN),
                              "invoice.issued")
    await eventually(lambda: _level_is(archive, customer["id"], "VIP"))
    archive.clock.advance(timedelta(days=300))
    assert await sweep_levels(archive.service) == 0
    archive.clock.advance(timedelta(days=70))  # the big invoice left the 12-month window
    assert await sweep_levels(archive.service) == 1
    assert await level(archive, customer["id"]) == "C"
    assert await sweep_levels(archive.service) == 0  # another replica's sweep finds nothing


async def test_the_same_overdue_event_twice_changes_nothing_the_second_time(archive: CustomerHarness) -> None:
    customer = await register(archive)
    await a_big_sale(archive, customer["id"])
    envelope = Envelope[CreditInvoiceOverdue].model_validate(overdue(customer["id"], "INV-X"))
    handle = archive.service.deliver
    await handle(envelope)
    before = await archive.gql.data(HISTORY, {"id": customer["id"]})
    await handle(envelope)
    await asyncio.gather(handle(envelope), handle(envelope))
    assert await archive.gql.data(HISTORY, {"id": customer["id"]}) == before
    assert await archive.service.store.overdue.count_documents({"customer_id": customer["id"]}) == 1


async def test_cus_3_thresholds_come_from_configuration(mongo_url: str, amqp_url: str, unique: str) -> None:
    config = CustomerSettings(level_b_fen=1_000 * YUAN, level_a_fen=5_000 * YUAN, level_vip_fen=9_000 * YUAN)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=FixedClock(START), service_settings=config)
    try:
        async with serving(app) as gql:
            customer = (await gql.data("""mutation { registerCustomer(input: {name: "配置客户", kind: COMPANY,
                nature: ORDINARY_COMPANY, region: "east"}) { id } }"""))["registerCustomer"]
            await publish_as_outsider(amqp_url, an_invoice(customer["id"], amountFen=6_000 * YUAN), "invoice.issued")

            async def level_a() -> bool:
                return (await gql.data(LEVEL, {"id": customer["id"]}))["customer"]["level"] == "A"

            await eventually(level_a)
    finally:
        await delete_services(amqp_url, f"customer.{unique}")


async def a_big_sale(archive: CustomerHarness, customer_id: str) -> None:
    data = an_invoice(customer_id, amountFen=150_000 * YUAN, issuedAt=archive.clock.now().isoformat())["data"]
    await on_invoice_issued(InvoiceIssued.model_validate(data), archive.service.uow())


async def _level_is(archive: CustomerHarness, customer_id: str, expected: str) -> bool:
    return await level(archive, customer_id) == expected


async def test_cus_3_a_spoiled_invoice_spoils_until_paid_and_12_months_after_not_12_months_after_it_spoiled(
        archive: CustomerHarness) -> None:
    customer = await register(archive)
    await a_big_sale(archive, customer["id"])
    deliver = archive.service.deliver
    await deliver(Envelope[CreditInvoiceOverdue].model_validate(overdue(customer["id"], "INV-SLOW")))
    assert await level(archive, customer["id"]) == "C"
    for _ in range(2):  # 13 months on, still unpaid: still spoiled (and the 150,000 sale left the window)
        archive.clock.advance(timedelta(days=200))
        await sweep_levels(archive.service)
        assert await level(archive, customer["id"]) == "C"
    await a_big_sale(archive, customer["id"])
    paid = archive.clock.now()
    settled = overdue(customer["id"], "INV-SLOW", paid=paid)
    await deliver(Envelope[CreditInvoiceOverdue].model_validate(settled))
    await deliver(Envelope[CreditInvoiceOverdue].model_validate(overdue(customer["id"], "INV-SLOW")))  # late echo
    assert await level(archive, customer["id"]) == "C"  # paid today: the window still holds the spoil
    archive.clock.set(add_months(paid, 12) - timedelta(seconds=1))
    await a_big_sale(archive, customer["id"])
    assert await level(archive, customer["id"]) == "C"
    archive.clock.set(add_months(paid, 12) + timedelta(seconds=1))
    assert await sweep_levels(archive.service) >= 1
    assert await level(archive, customer["id"]) == "VIP"
