"""What the archive learns from events: invoices move the lifecycle; bad events are dead-lettered."""

import asyncio
import json
import uuid
from datetime import timedelta

import aio_pika

from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued
from services.customer.handlers import on_invoice_issued
from services.customer.jobs import sweep_lifecycles
from tests.customer.conftest import CustomerHarness
from tests.customer.test_archive import HISTORY, register
from tests.support import START, eventually, listening, publish_as_outsider, token

CARD = """query($id: ID!) { customer(id: $id) { lifecycle lastSaleAt version } }"""


def an_invoice(customer_id: str, *, days_ago: int = 0, **overrides: object) -> dict[str, object]:
    """The JSON an ERP puts on the wire."""
    issued = START - timedelta(days=days_ago)
    return {
        "specversion": "1.0", "id": f"erp-{uuid.uuid4()}", "source": "erp", "type": "invoice.issued",
        "time": issued.isoformat(), "subject": customer_id, "datacontenttype": "application/json",
        "data": {"invoiceId": f"INV-{uuid.uuid4().hex[:8]}", "customerId": customer_id, "amountFen": 1_000_000,
                 "issuedAt": issued.isoformat(), "dueAt": (issued + timedelta(days=30)).isoformat(), **overrides},
    }


async def card(archive: CustomerHarness, customer_id: str) -> dict[str, object]:
    return (await archive.gql.data(CARD, {"id": customer_id}))["customer"]


async def collect_dead_letters(amqp_url: str, queue: str, n: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Waits for `n` messages in a dead-letter queue (reading takes them off the queue)."""
    found: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def enough() -> list[aio_pika.abc.AbstractIncomingMessage] | None:
        found.extend(await dead_letters(amqp_url, queue))
        return found if len(found) >= n else None

    return await eventually(enough)


async def dead_letters(amqp_url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = await channel.declare_queue(queue, passive=True)
        found = []
        while message := await dead.get(fail=False):
            await message.ack()
            found.append(message)
        return found


async def test_cus_2_an_invoice_on_the_bus_makes_a_potential_customer_new(
        archive: CustomerHarness, amqp_url: str) -> None:
    customer = await register(archive)
    async with listening(amqp_url, "customer.updated") as updates:
        await publish_as_outsider(amqp_url, an_invoice(customer["id"], days_ago=1), "invoice.issued")
        after = await eventually(lambda: _when_lifecycle(archive, customer["id"], "NEW"))
        assert after["lastSaleAt"].startswith((START - timedelta(days=1)).date().isoformat())
        await eventually(lambda: [u for u in updates if u["subject"] == customer["id"]])
    assert updates[0]["data"]["changedFields"] == ["lifecycle"] and updates[0]["data"]["lifecycle"] == "NEW"


async def test_cus_8_erp_invoicing_a_customer_before_its_survey_is_approved_is_kept_and_listed_for_follow_up(
        archive: CustomerHarness) -> None:
    invoiced, quiet = await register(archive, name="先开票客户"), await register(archive, name="未交易客户")
    await archive.service.deliver(Envelope[InvoiceIssued].model_validate(an_invoice(invoiced["id"], days_ago=2)))

    listed = """query($f: CustomerFilter) { customers(filter: $f) { edges { node { id soldBeforeTradingOpenAt } } } }"""
    finance = token("FINANCE", user="fin-1", region=None)

    async def flagged(value: bool) -> list[tuple[str, str | None]]:
        found = await archive.gql.data(listed, {"f": {"soldBeforeTradingOpen": value}}, as_token=finance)
        return [(e["node"]["id"], e["node"]["soldBeforeTradingOpenAt"]) for e in found["customers"]["edges"]]

    assert await flagged(True) == [(invoiced["id"], (START - timedelta(days=2)).isoformat())]
    assert [c for c, _ in await flagged(False)] == [quiet["id"]]
    assert (await card(archive, invoiced["id"]))["lifecycle"] == "NEW"  # the sale itself is kept


async def test_cus_2_no_sale_for_3_months_makes_a_customer_dormant(archive: CustomerHarness) -> None:
    customer = await register(archive)
    await on_invoice_issued(InvoiceIssued.model_validate(an_invoice(customer["id"])["data"]), archive.service.uow())
    archive.clock.advance(timedelta(days=89))
    assert await sweep_lifecycles(archive.service) == 0
    assert (await card(archive, customer["id"]))["lifecycle"] == "NEW"
    archive.clock.advance(timedelta(days=3))  # 2 March + 3 calendar months = 2 June
    assert await sweep_lifecycles(archive.service) == 1
    assert (await card(archive, customer["id"]))["lifecycle"] == "DORMANT"
    assert await sweep_lifecycles(archive.service) == 0  # a second replica's sweep finds nothing to do


async def test_cus_2_a_sale_after_dormancy_brings_the_customer_back(archive: CustomerHarness) -> None:
    customer = await register(archive)
    await on_invoice_issued(InvoiceIssued.model_validate(an_invoice(customer["id"])["data"]), archive.service.uow())
    archive.clock.advance(timedelta(days=400))
    await sweep_lifecycles(archive.service)
    assert (await card(archive, customer["id"]))["lifecycle"] == "DORMANT"
    later = an_invoice(customer["id"], days_ago=-400)["data"]
    await on_invoice_issued(InvoiceIssued.model_validate(later), archive.service.uow())
    assert (await card(archive, customer["id"]))["lifecycle"] == "ESTABLISHED"  # first deal over 12 months ago


async def test_the_same_invoice_event_twice_changes_nothing_the_second_time(archive: CustomerHarness) -> None:
    customer = await register(archive)
    envelope = Envelope[InvoiceIssued].model_validate(an_invoice(customer["id"]))
    handle = archive.service.deliver
    await handle(envelope)
    before = await archive.gql.data(HISTORY, {"id": customer["id"]})
    await handle(envelope)
    await asyncio.gather(handle(envelope), handle(envelope))
    assert await archive.gql.data(HISTORY, {"id": customer["id"]}) == before


async def test_concurrent_first_deliveries_of_one_event_apply_it_once(archive: CustomerHarness) -> None:
    customer = await register(archive)
    envelope = Envelope[InvoiceIssued].model_validate(an_invoice(customer["id"]))
    handle = archive.service.deliver
    await asyncio.gather(*[handle(envelope) for _ in range(4)])
    history = (await archive.gql.data(HISTORY, {"id": customer["id"]}))["customer"]
    assert history["version"] == 2  # registered, then one sale
    assert [h["action"] for h in history["history"]] == ["REGISTERED", "LIFECYCLE"]


async def test_an_invalid_event_is_dead_lettered_at_once_with_its_reason(
        archive: CustomerHarness, amqp_url: str, unique: str) -> None:
    customer = await register(archive)
    await publish_as_outsider(amqp_url, an_invoice(customer["id"], amountFen=-5), "invoice.issued")
    await publish_as_outsider(amqp_url, b"{not json", "invoice.issued")
    dead = await collect_dead_letters(amqp_url, f"crm.customer.{unique}.dead", 2)
    reasons = sorted(m.headers["x-crm-reason"] for m in dead)
    assert "amountFen" in reasons[1] and "not JSON" in reasons[0]
    assert all(int(m.headers["x-crm-attempts"]) == 0 for m in dead)  # no retries for what cannot succeed
    assert (await card(archive, customer["id"]))["lifecycle"] == "POTENTIAL"


async def test_an_invoice_for_an_unknown_customer_is_retried_then_dead_lettered(
        archive: CustomerHarness, amqp_url: str, unique: str) -> None:
    await publish_as_outsider(amqp_url, an_invoice("never-registered"), "invoice.issued")
    dead = await collect_dead_letters(amqp_url, f"crm.customer.{unique}.dead", 1)
    assert "never-registered" in dead[0].headers["x-crm-reason"]
    assert int(dead[0].headers["x-crm-attempts"]) == 3  # first try + the two retries of the test settings
    assert json.loads(dead[0].body)["data"]["customerId"] == "never-registered"  # the event itself is kept


async def _when_lifecycle(archive: CustomerHarness, customer_id: str, lifecycle: str) -> dict[str, object] | None:
    found = await card(archive, customer_id)
    return found if found["lifecycle"] == lifecycle else None

