"""Finance events over HTTP (CloudEvents structured and batched mode) at the credit process: authenticated per
source, validated like the AMQP path, stored and forwarded through the outbox before the answer, idempotent."""

import hashlib
import hmac
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from chassis.clock import FixedClock
from services.credit.app import create_app
from services.credit.intake import BATCH, STRUCTURED
from services.credit.settings import CreditSettings, IntakeSource
from tests.credit.conftest import FINANCE, SALES, CreditHarness, invoice, note, payment
from tests.support import START, delete_services, eventually, publish_as_outsider, serving, settings_for

ERP_TOKEN = "erp-token-0123456789abcdef"
BANK_SECRET = "bank-secret-0123456789abcdef"
SOURCES = {"erp": IntakeSource(token=ERP_TOKEN), "bank": IntakeSource(hmac_secret=BANK_SECRET)}
YUAN = 100


@pytest.fixture
async def credit(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[CreditHarness]:
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=FixedClock(START),
                     service_settings=CreditSettings(intake_sources=SOURCES))
    async with serving(app, SALES) as gql:
        yield CreditHarness(gql, app.state.crm["service"].clock, app, amqp_url, unique)
    await delete_services(amqp_url, f"credit.{unique}")


async def send(credit: CreditHarness, body: Any, *, source: str = "erp", kind: str = STRUCTURED,
               headers: dict[str, str | bytes] | None = None) -> httpx.Response:
    raw = json.dumps(body).encode()
    sent: dict[str, str | bytes] = {"content-type": kind, "x-source": source}
    if source == "erp":
        sent["authorization"] = f"Bearer {ERP_TOKEN}"
    if source == "bank":
        sent["x-signature"] = "sha256=" + hmac.new(BANK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return await credit.gql.client.post("/events", content=raw, headers=sent | (headers or {}))


async def exposure(credit: CreditHarness, customer_id: str) -> int:
    return (await credit.profile(customer_id))["exposureFen"]


async def stored(credit: CreditHarness) -> dict[str, int]:
    store = credit.service.store
    return {"intake": await store.intake.count_documents({}), "rejections": await store.rejections.count_documents({}),
            "outbox": await credit.service.database.outbox.count_documents({})}


async def test_a_payment_sent_three_times_over_http_changes_exposure_once(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.deliver(invoice(customer_id, "INV-1", 10_000 * YUAN))
    paid = payment(customer_id, "PAY-1", 4_000 * YUAN)

    answers = [await send(credit, paid) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert [a.json()["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    await eventually(lambda: credit.service.store.receipts.count_documents({"_id": paid["id"]}))  # over RabbitMQ
    assert await exposure(credit, customer_id) == 6_000 * YUAN
    resent = await send(credit, {**paid, "id": "PAY-1-again"})  # the same payment under another event id
    assert resent.status_code == 202
    await eventually(lambda: credit.service.store.receipts.count_documents({"_id": "PAY-1-again"}))
    assert await exposure(credit, customer_id) == 6_000 * YUAN  # the ledger knows the payment (CRD-11)


async def test_a_bad_signature_or_token_is_401_and_nothing_is_stored(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    paid = payment(customer_id, "PAY-X", 100 * YUAN)
    before = await stored(credit)

    forged = await send(credit, paid, source="bank", headers={"x-signature": "sha256=" + "0" * 64})
    wrong_token = await send(credit, paid, headers={"authorization": "Bearer guessed-token-000000"})
    odd = await send(credit, paid, headers={"authorization": "Bearer é".encode()})  # not ASCII
    unknown = await send(credit, paid, source="someone")
    assert [r.status_code for r in (forged, wrong_token, odd, unknown)] == [401, 401, 401, 401]
    assert forged.json()["error"]["code"] == "UNAUTHENTICATED"
    assert await stored(credit) == before
    signed = await send(credit, {**paid, "source": "bank"}, source="bank")  # the bank's real signature
    assert signed.status_code == 202


async def test_a_batch_with_one_invalid_event_accepts_the_others_and_names_the_invalid_one(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    good = [invoice(customer_id, "INV-A", 1_000 * YUAN), invoice(customer_id, "INV-C", 2_000 * YUAN)]
    bad = invoice(customer_id, "INV-B", -5)
    answer = await send(credit, [good[0], bad, good[1]], kind=BATCH)

    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "invalid", "accepted"]
    assert (results[1]["id"], results[1]["field"]) == (bad["id"], "data.amountFen")
    async def both_applied() -> bool:
        return await credit.service.store.receipts.count_documents({"customer_id": customer_id}) == 2

    await eventually(both_applied)
    assert await exposure(credit, customer_id) == 3_000 * YUAN
    shown = await credit.gql.data("""query($day: Date!) { financeReconciliation(source: "erp", day: $day) {
      invoices { count sumFen } rejected { eventId reason via } } }""", {"day": START.date().isoformat()},
                                  as_token=FINANCE)
    assert shown["financeReconciliation"]["invoices"] == {"count": 2, "sumFen": 3_000 * YUAN}
    [refused] = shown["financeReconciliation"]["rejected"]
    assert (refused["eventId"], refused["via"]) == (bad["id"], "HTTP") and "data.amountFen" in refused["reason"]


async def test_what_is_not_a_finance_event_or_too_much_is_refused_plainly(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    event = invoice(customer_id, "INV-1", 100)
    assert (await send(credit, event, kind="application/json")).status_code == 415
    assert (await send(credit, [event] * 101, kind=BATCH)).status_code == 413
    answer = await send(credit, {**event, "type": "customer.registered"})
    assert (answer.status_code, answer.json()["field"]) == (400, "type")
    spoofed = await send(credit, {**event, "source": "bank"})  # erp may not speak for the bank
    assert (spoofed.status_code, spoofed.json()["field"]) == (400, "source")
    twin = invoice(customer_id, "INV-2", 100)
    broken_twin = {**twin, "data": {**twin["data"], "amountFen": -1}}  # the same id, broken
    mixed = (await send(credit, [twin, broken_twin], kind=BATCH)).json()["results"]
    assert [r["status"] for r in mixed] == ["accepted", "invalid"]
    assert (await credit.service.store.intake.find_one({"_id": twin["id"]}))["copies"] == 0
    deep = await credit.gql.client.post("/events", content=b"[" * 100_000, headers={
        "content-type": BATCH, "x-source": "erp", "authorization": f"Bearer {ERP_TOKEN}"})
    assert (deep.status_code, deep.json()["error"]["code"]) == (400, "BAD_REQUEST")


async def test_reconciliation_matches_a_mixed_stream_over_amqp_and_http_copies_and_invalid_ones_included(
        credit: CreditHarness) -> None:
    rng = random.Random(17)
    customers = [await credit.register() for _ in range(6)]
    days = [START, START + timedelta(days=1)]
    expected = {day.date().isoformat(): Counter() for day in days}
    over_http: list[dict[str, Any]] = []
    over_amqp: list[dict[str, Any]] = []
    for n in range(240):
        customer, at, amount = rng.choice(customers), rng.choice(days), rng.randint(1, 9_999) * YUAN
        kind = rng.choice(["invoice", "payment", "note"])
        if kind == "invoice":
            event = invoice(customer, f"INV-{n}", amount, issued=at)
        elif kind == "payment":
            event = payment(customer, f"PAY-{n}", amount, received=at)
        else:
            event = note(customer, f"N-{n}", amount)
        event["time"] = at.isoformat()  # the day reconciliation counts it on
        counted = expected[at.date().isoformat()]
        counted[f"{kind}s"] += 1
        counted[f"{kind}s_fen"] += amount
        route = over_http if rng.random() < 0.5 else over_amqp
        route.append(event)
        roll = rng.random()
        if roll < 0.1:  # the same event again: over HTTP a copy counted; over AMQP the inbox drops it unseen
            route.append(event)
            counted["duplicates"] += route is over_http
        elif roll < 0.15:  # the same document under another event id, by either way
            rng.choice([over_http, over_amqp]).append({**event, "id": event["id"] + "-again"})
            counted["duplicates"] += 1
        elif roll < 0.22:  # a broken one
            route.append({**event, "id": event["id"] + "-bad", "data": {**event["data"], "amountFen": -1}})
            counted["rejected"] += 1
    rng.shuffle(over_http)
    for start in range(0, len(over_http), 25):
        answer = await send(credit, over_http[start:start + 25], kind=BATCH)
        assert answer.status_code == 200
    for event in over_amqp:
        await publish_as_outsider(credit.amqp_url, event, event["type"])

    reaching = {e["id"] for e in over_http + over_amqp if e["data"]["amountFen"] > 0}
    broken_over_amqp = sum(1 for e in over_amqp if e["data"]["amountFen"] < 0)

    async def all_taken() -> bool:
        store = credit.service.store
        return (await store.receipts.count_documents({}) == len(reaching)
                and await store.dead_letters.count_documents({}) == broken_over_amqp)

    await eventually(all_taken, timeout_s=60)
    query = """query($day: Date!) { financeReconciliation(source: "erp", day: $day) {
      invoices { count sumFen } payments { count sumFen } notes { count sumFen } duplicatesDropped
      rejected { via } } }"""
    for day, counted in expected.items():
        found = (await credit.gql.data(query, {"day": day}, as_token=FINANCE))["financeReconciliation"]
        assert found["invoices"] == {"count": counted["invoices"], "sumFen": counted["invoices_fen"]}
        assert found["payments"] == {"count": counted["payments"], "sumFen": counted["payments_fen"]}
        assert found["notes"] == {"count": counted["notes"], "sumFen": counted["notes_fen"]}
        assert found["duplicatesDropped"] == counted["duplicates"]
        assert len(found["rejected"]) == counted["rejected"]
    assert (await credit.gql.data("{ ledgerMismatches { customerId } }", as_token=FINANCE))["ledgerMismatches"] == []

    changed = customers[0]  # someone edits a ledger by hand: it no longer adds up to what was received
    profiles = credit.service.store.profiles
    edited = await profiles.find_one({"_id": changed})
    edited["payments"].append({"payment_id": "HAND-1", "amount_fen": 1, "received_at": START, "allocations": [],
                               "to_balance_fen": 1})
    await profiles.replace_one({"_id": changed}, edited)
    mismatches = (await credit.gql.data("{ ledgerMismatches { customerId ledgerPaidFen receivedPaidFen } }",
                                        as_token=FINANCE))["ledgerMismatches"]
    assert [(m["customerId"], m["ledgerPaidFen"] - m["receivedPaidFen"]) for m in mismatches] == [(changed, 1)]


async def test_a_source_sending_too_fast_is_told_when_to_come_back_and_nothing_is_stored(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=FixedClock(START),
                     service_settings=CreditSettings(intake_sources=SOURCES, intake_rate_per_s=0.01,
                                                     intake_rate_burst=1))
    async with serving(app, SALES) as gql:
        slow = CreditHarness(gql, app.state.crm["service"].clock, app, amqp_url, unique)
        customer_id = await slow.register()
        first = await send(slow, payment(customer_id, "PAY-1", 100))
        second = await send(slow, payment(customer_id, "PAY-2", 100))
        assert (first.status_code, second.status_code) == (202, 429)
        assert int(second.headers["retry-after"]) >= 1
        assert (second.json()["error"]["code"], second.json()["error"]["limit"]) == ("LIMIT", "rate")
        assert await slow.service.store.intake.count_documents({}) == 1  # the refused one left no trace
        bank = await send(slow, {**payment(customer_id, "PAY-3", 100), "source": "bank"}, source="bank")
        assert bank.status_code == 202  # each source has its own bucket
    await delete_services(amqp_url, f"credit.{unique}")
