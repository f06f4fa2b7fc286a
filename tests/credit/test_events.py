"""CRD-2 / CRD-11: invoices, payments and notes from outside become exposure, each exactly once.

Over real RabbitMQ where the bus matters (publishing, retries, dead letters, concurrency); through
the service's own consumer (inbox, commit, conflict retries) where only the use case does.
"""

import asyncio
import json
import random
from datetime import timedelta
from typing import Any

import aio_pika
import pytest

from contracts import EVENT_TYPES, Envelope
from tests.credit.conftest import (
    REGION,
    CreditHarness,
    again,
    customer_updated,
    invoice,
    note,
    note_dishonoured,
    note_settled,
    owner_changed,
    payment,
    registered,
)
from tests.support import START, eventually, publish_as_outsider

YUAN = 100


async def dead_letter_of(credit: CreditHarness, event: dict[str, Any]) -> aio_pika.abc.AbstractIncomingMessage:
    """Waits for this event in the service's dead-letter queue (others' events on a shared broker are skipped)."""
    found: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def arrived() -> aio_pika.abc.AbstractIncomingMessage | None:
        connection = await aio_pika.connect(credit.amqp_url)
        async with connection:
            queue = f"crm.credit.{credit.instance}.dead"
            dead = await (await connection.channel()).declare_queue(queue, passive=True)
            while message := await dead.get(fail=False):
                await message.ack()
                found.append(message)
        return next((m for m in found if json.loads(m.body)["id"] == event["id"]), None)

    return await eventually(arrived)


async def exposure_of(credit: CreditHarness, customer_id: str, expected: int) -> bool:
    profile = await credit.service.store.find(customer_id)
    return profile is not None and profile.exposure_fen == expected


async def test_crd_11_events_an_erp_publishes_become_the_customers_exposure(credit: CreditHarness) -> None:
    customer_id = "cust-wire"
    await publish_as_outsider(credit.amqp_url, registered(customer_id), "customer.registered")
    await publish_as_outsider(credit.amqp_url, customer_updated(customer_id, region=REGION), "customer.updated")

    async def trading_known() -> bool:  # CUS-8: the survey's approval came over the bus too
        profile = await credit.service.store.find(customer_id)
        return profile is not None and profile.trading_open

    await eventually(trading_known)
    await credit.grant(customer_id, 100_000 * YUAN)
    for event in (invoice(customer_id, "INV-1", 30_000 * YUAN), invoice(customer_id, "INV-2", 20_000 * YUAN),
                  payment(customer_id, "PAY-1", 10_000 * YUAN, invoices=["INV-2"]),
                  note(customer_id, "NOTE-1", 5_000 * YUAN)):
        await publish_as_outsider(credit.amqp_url, event, event["type"])
    await eventually(lambda: exposure_of(credit, customer_id, 45_000 * YUAN))
    await publish_as_outsider(credit.amqp_url, note_settled("NOTE-1"), "note.settled")
    await eventually(lambda: exposure_of(credit, customer_id, 40_000 * YUAN))
    profile = await credit.profile(customer_id)
    assert (profile["receivablesFen"], profile["notesFen"], profile["utilization"]) == (4_000_000, 0, 0.4)
    assert [(r["invoiceId"], r["balanceFen"]) for r in profile["receivables"]] == [("INV-1", 3_000_000),
                                                                                 ("INV-2", 1_000_000)]


@pytest.mark.parametrize("kind", ["customer.registered", "customer.updated", "ownership.changed", "invoice.issued",
                                  "payment.received", "note.received", "note.settled", "note.dishonoured"])
async def test_crd_11_the_same_event_twice_or_resent_under_another_envelope_changes_nothing(
        credit: CreditHarness, kind: str) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 10_000 * YUAN)
    await credit.deliver(invoice(customer_id, "INV-1", 8_500 * YUAN))  # 85 %: an alert is raised once
    await credit.deliver(note(customer_id, "N-0", 100 * YUAN))
    events = {
        "customer.registered": registered(customer_id),
        "customer.updated": customer_updated(customer_id, region="north"),
        "ownership.changed": owner_changed(customer_id, "rep-9"),
        "invoice.issued": invoice(customer_id, "INV-2", 1_000 * YUAN),
        "payment.received": payment(customer_id, "PAY-1", 3_000 * YUAN),
        "note.received": note(customer_id, "N-1", 700 * YUAN),
        "note.settled": note_settled("N-0"),
        "note.dishonoured": note_dishonoured("N-0"),
    }
    event = events[kind]
    await credit.deliver(event)
    first = await credit.profile(customer_id)
    await credit.deliver(event)
    await credit.deliver(again(event))
    await asyncio.gather(credit.deliver(event), credit.deliver(again(again(event))))
    assert await credit.profile(customer_id) == first


async def test_crd_11_an_event_for_an_unknown_customer_is_retried_then_dead_lettered_never_creating_one(
        credit: CreditHarness) -> None:
    event = payment("never-registered", "PAY-X", 100)
    await publish_as_outsider(credit.amqp_url, event, "payment.received")
    dead = await dead_letter_of(credit, event)
    assert "never-registered" in dead.headers["x-crm-reason"]
    assert int(dead.headers["x-crm-attempts"]) == 3  # first try + the two retries of the test settings
    assert json.loads(dead.body)["data"]["paymentId"] == "PAY-X"  # the event itself is kept
    assert await credit.service.store.find("never-registered") is None


@pytest.mark.parametrize(("bad", "field"), [({"amountFen": 0}, "amountFen"), ({"amountFen": -500}, "amountFen"),
                                            ({"currency": "USD"}, "currency")])
async def test_crd_11_zero_negative_or_foreign_currency_payments_are_dead_lettered_at_once(
        credit: CreditHarness, bad: dict[str, Any], field: str) -> None:
    customer_id = await credit.register()
    await credit.deliver(invoice(customer_id, "INV-1", 1_000 * YUAN))
    event = payment(customer_id, "PAY-BAD", 100, **bad)
    await publish_as_outsider(credit.amqp_url, event, "payment.received")
    dead = await dead_letter_of(credit, event)
    assert field in dead.headers["x-crm-reason"] and int(dead.headers["x-crm-attempts"]) == 0
    assert (await credit.profile(customer_id))["exposureFen"] == 100_000


async def test_crd_11_a_payment_naming_unknown_invoices_is_dead_lettered_with_their_ids(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.deliver(invoice(customer_id, "INV-1", 1_000 * YUAN))
    event = payment(customer_id, "PAY-1", 500 * YUAN, invoices=["INV-1", "INV-404"])
    await publish_as_outsider(credit.amqp_url, event, "payment.received")
    reason = (await dead_letter_of(credit, event)).headers["x-crm-reason"]
    assert "CRD-11" in reason and "INV-404" in reason and "INV-1," not in reason
    assert (await credit.profile(customer_id))["exposureFen"] == 100_000  # nothing of it applied


async def test_crd_2_concurrent_payments_for_one_customer_never_lose_an_update(credit: CreditHarness) -> None:
    """Five handlers at once without any lock: the version check and the consumer's retries order them."""
    customer_id = await credit.register()
    await credit.deliver(invoice(customer_id, "INV-1", 10_000 * YUAN))
    await asyncio.gather(*[credit.deliver(payment(customer_id, f"PAY-{i}", 100 * YUAN)) for i in range(5)])
    profile = await credit.service.store.get(customer_id)
    assert profile.exposure_fen == 9_500 * YUAN and len(profile.payments) == 5


async def test_crd_2_concurrent_payments_over_the_bus_all_land(credit: CreditHarness) -> None:
    """Twenty at once through RabbitMQ (prefetch 32): every one of them is in the exposure."""
    customer_id = await credit.register()
    await credit.deliver(invoice(customer_id, "INV-1", 10_000 * YUAN))
    await asyncio.gather(*[publish_as_outsider(credit.amqp_url, payment(customer_id, f"PAY-{i}", 100 * YUAN),
                                               "payment.received") for i in range(20)])
    await eventually(lambda: exposure_of(credit, customer_id, 8_000 * YUAN))
    assert len((await credit.service.store.get(customer_id)).payments) == 20


async def test_crd_11_a_replayed_stream_of_1000_events_leaves_exposure_unchanged(credit: CreditHarness) -> None:
    rng = random.Random(4)
    customers = [await credit.register(f"replay-{n}") for n in range(40)]
    for customer_id in customers[:3]:
        await credit.grant(customer_id, 100_000 * YUAN)
    streams: list[list[dict[str, Any]]] = []
    for c, customer_id in enumerate(customers):
        stream: list[dict[str, Any]] = []
        invoices: list[str] = []
        for i in range(25):
            at = START + timedelta(hours=i)
            if i % 8 == 3:
                stream.append(note(customer_id, f"N-{c}-{i}", rng.randint(1, 5_000) * YUAN))
            elif i % 16 == 6:  # one note in three stays unsettled
                stream.append(note_settled(f"N-{c}-{i - 3}"))
            elif i % 2 == 0 or not invoices:
                invoices.append(f"INV-{c}-{i}")
                stream.append(invoice(customer_id, invoices[-1], rng.randint(1, 9_000) * YUAN, issued=at))
            else:
                listed = rng.sample(invoices, k=min(len(invoices), rng.randint(0, 2))) or None
                stream.append(payment(customer_id, f"PAY-{c}-{i}", rng.randint(1, 6_000) * YUAN, received=at,
                                      invoices=listed))
        streams.append(stream)
    assert sum(len(s) for s in streams) == 1_000

    async def play(events: list[dict[str, Any]]) -> None:
        for event in events:
            await credit.deliver(event)

    async def snapshot() -> dict[str, tuple[int, int, int, int]]:
        found = await credit.service.store.get_many(customers)
        return {c: (p.exposure_fen, p.receivables_fen, p.notes_fen, p.credit_balance_fen) for c, p in found.items()}

    await asyncio.gather(*[play(s) for s in streams])
    before = await snapshot()
    alerts = await credit.service.store.alerts.count_documents({})
    assert sum(notes for _, _, notes, _ in before.values()) and sum(balance for *_, balance in before.values())
    await asyncio.gather(*[play(s) for s in streams])  # all 1,000 redelivered: the inbox knows them
    # A quarter re-sent under new envelope ids: the ledger knows their invoice, payment and note ids (each
    # event type is re-sent on its own in the test above; all 1,000 would only cost time on the stand-in).
    await asyncio.gather(*[play([again(e) for e in s]) for s in streams[::4]])
    assert await snapshot() == before
    assert await credit.service.store.alerts.count_documents({}) == alerts


@pytest.mark.parametrize("builder", [registered("c-1"), customer_updated("c-1", region="west"),
                                     owner_changed("c-1", "rep-1"), invoice("c-1", "I-1", 1),
                                     payment("c-1", "P-1", 1, invoices=["I-1"]), note("c-1", "N-1", 1),
                                     note_settled("N-1"), note_dishonoured("N-1")],
                         ids=lambda e: e["type"])
def test_every_consumed_event_the_producers_json_parses_into_the_consumers_model(builder: dict[str, Any]) -> None:
    event_type = EVENT_TYPES[builder["type"]]
    parsed = Envelope[event_type].model_validate_json(json.dumps(builder))
    aliases = {field.alias or name for name, field in event_type.model_fields.items()}
    assert set(builder["data"]) <= aliases  # no field the consumer would silently ignore
    assert parsed.subject == builder["subject"] and parsed.data.type == builder["type"]
