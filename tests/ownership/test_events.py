"""What ownership learns from events: first contact (OWN-1), first deal (OWN-2), last sale (OWN-3);
out-of-order events are retried, not lost; every consumed event is harmless twice."""

import asyncio
import json
import logging

import pytest

from contracts.customer import CustomerRegistered
from contracts.envelope import Envelope
from contracts.ownership import OwnershipChanged
from services.ownership.jobs import sweep_lapses
from tests.customer.test_sales_events import collect_dead_letters, dead_letters
from tests.ownership.builders import (
    POOL,
    a_payment,
    a_registration,
    a_termination,
    add_salespeople,
    an_invoice,
    an_update,
    days,
    deliver,
    in_the_pool,
    owned_by_first_contact,
    ownership_of,
    salesperson,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, eventually, listening, publish_as_outsider


async def test_own_1_the_registering_salesperson_owns_by_first_contact_heard_on_the_bus(
        ownership: OwnershipHarness, amqp_url: str) -> None:
    await add_salespeople(ownership, "alice")
    async with listening(amqp_url, "ownership.changed") as changes:
        await publish_as_outsider(amqp_url, a_registration("c-bus-1", "alice"), "customer.registered")
        owned = await eventually(lambda: _found(ownership, "c-bus-1"))
        assert (owned["ownerId"], owned["basis"], owned["inPool"]) == ("alice", "FIRST_CONTACT", False)
        assert owned["expiresAt"] == (START + days(61)).isoformat()  # 2 March + 2 months = 2 May
        published = await eventually(lambda: [c for c in changes if c["subject"] == "c-bus-1"])
    event = OwnershipChanged.model_validate(published[0]["data"])  # the contract parses what we publish
    assert (event.owner_id, event.previous_owner_id, event.basis) == ("alice", None, "FIRST_CONTACT")
    assert event.expires_at == START + days(61)


async def test_own_1_a_customer_registered_by_someone_who_does_not_sell_waits_unowned_in_the_pool(
        ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-unowned")
    found = await ownership_of(ownership, "c-unowned")
    assert (found["ownerId"], found["inPool"], found["poolReason"], found["history"]) == (
        None, True, "UNOWNED", [])
    pool = (await ownership.gql.data(POOL, {}))["pool"]
    assert [e["node"]["id"] for e in pool["edges"]] == ["c-unowned"]


async def test_own_1_registered_61_days_without_a_deal_the_customer_is_in_the_pool(
        ownership: OwnershipHarness, amqp_url: str) -> None:
    await owned_by_first_contact(ownership, "c-61", "alice")
    ownership.clock.advance(days(60))
    assert await sweep_lapses(ownership.service) == 0
    assert (await ownership_of(ownership, "c-61"))["ownerId"] == "alice"
    ownership.clock.advance(days(1))
    async with listening(amqp_url, "ownership.changed") as changes:
        assert await sweep_lapses(ownership.service) == 1
        published = await eventually(lambda: [c for c in changes if c["subject"] == "c-61"])
    found = await ownership_of(ownership, "c-61")
    assert (found["ownerId"], found["inPool"], found["poolReason"], found["basis"]) == (None, True, "NO_DEAL", "LAPSE")
    assert found["history"][-1]["when"] == (START + days(61)).isoformat()
    assert published[0]["data"]["inPool"] is True and published[0]["data"]["reason"] == "NO_DEAL"
    assert [e["node"]["id"] for e in (await ownership.gql.data(POOL, {}))["pool"]["edges"]] == ["c-61"]


async def test_own_2_first_deal_by_another_salesperson_after_a_lapse_makes_them_the_owner(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-deal", "alice")
    ownership.clock.advance(days(65))
    await sweep_lapses(ownership.service)
    await deliver(ownership, a_payment("c-deal", "bob", at=START + days(64)))
    found = await ownership_of(ownership, "c-deal")
    assert (found["ownerId"], found["basis"], found["inPool"]) == ("bob", "FIRST_DEAL", False)
    assert [(h["from"], h["to"], h["basis"]) for h in found["history"]] == [
        (None, "alice", "FIRST_CONTACT"), ("alice", None, "LAPSE"), (None, "bob", "FIRST_DEAL")]


async def test_own_2_a_deal_by_someone_else_never_overrides_a_live_first_contact(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-live", "alice")
    await deliver(ownership, a_payment("c-live", "bob", at=START + days(20)))
    found = await ownership_of(ownership, "c-live")
    assert (found["ownerId"], found["basis"]) == ("alice", "FIRST_CONTACT")
    assert found["expiresAt"] == (START + days(20 + 92)).isoformat()  # bought: 3 months from the deal (OWN-3)


async def test_own_2_a_payment_before_the_registration_is_retried_until_the_registration_lands(
        ownership: OwnershipHarness, amqp_url: str, unique: str, caplog: pytest.LogCaptureFixture) -> None:
    await add_salespeople(ownership, "alice")
    caplog.set_level(logging.WARNING, logger="crm.bus")
    await publish_as_outsider(amqp_url, a_payment("c-early", "alice", at=START + days(1)), "payment.received")
    await eventually(lambda: any("retrying" in r.getMessage() and "c-early" in r.getMessage()
                                 for r in caplog.records))  # the payment failed once: no such customer yet
    await deliver(ownership, a_registration("c-early", "alice"))  # the registration arrives in between
    found = await eventually(lambda: _with_basis(ownership, "c-early", "FIRST_DEAL"))
    assert found["ownerId"] == "alice"
    assert await dead_letters(amqp_url, f"crm.ownership.{unique}.dead") == []  # nothing was lost


async def test_own_2_a_payment_for_a_customer_never_registered_is_dead_lettered_after_the_retries(
        ownership: OwnershipHarness, amqp_url: str, unique: str) -> None:
    await publish_as_outsider(amqp_url, a_payment("never-registered", "alice"), "payment.received")
    dead = await collect_dead_letters(amqp_url, f"crm.ownership.{unique}.dead", 1)
    assert "never-registered" in dead[0].headers["x-crm-reason"]
    assert int(dead[0].headers["x-crm-attempts"]) == 3  # first try + the two retries of the test settings
    assert json.loads(dead[0].body)["data"]["customerId"] == "never-registered"


async def test_own_3_bought_then_three_months_silent_the_customer_is_in_the_pool(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-silent", "alice")
    await deliver(ownership, a_payment("c-silent", "alice", at=START + days(10)),
                  an_invoice("c-silent", at=START + days(30)))
    ownership.clock.advance(days(30 + 90))  # the last sale was on 1 April: 3 months run out on 1 July
    assert await sweep_lapses(ownership.service) == 0
    ownership.clock.advance(days(1))
    assert await sweep_lapses(ownership.service) == 1
    found = await ownership_of(ownership, "c-silent")
    assert (found["ownerId"], found["poolReason"]) == (None, "NO_SALE")


async def test_own_3_a_sale_restarts_the_three_months(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-active", "alice")
    await deliver(ownership, a_payment("c-active", "alice", at=START + days(10)))
    ownership.clock.advance(days(80))
    await deliver(ownership, an_invoice("c-active", at=START + days(80)))
    ownership.clock.advance(days(60))  # 140 days after registration, 60 after the last sale
    assert await sweep_lapses(ownership.service) == 0
    assert (await ownership_of(ownership, "c-active"))["ownerId"] == "alice"


async def test_customer_events_keep_the_region_and_an_archived_customer_leaves_the_pool(
        ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-moving")
    await deliver(ownership, an_update("c-moving", "west", version=3))
    await deliver(ownership, an_update("c-moving", "north", version=2))  # older, arriving late: ignored
    assert (await ownership_of(ownership, "c-moving"))["region"] == "west"
    west = (await ownership.gql.data(POOL, {"filter": {"region": "west"}}))["pool"]
    assert [e["node"]["id"] for e in west["edges"]] == ["c-moving"]
    await deliver(ownership, a_termination("c-moving"))
    assert (await ownership.gql.data(POOL, {}))["pool"]["totalCount"] == 0


@pytest.mark.parametrize("make", [
    lambda: a_payment("c-twice", "bob", at=START + days(70)),
    lambda: an_invoice("c-twice", at=START + days(70)),
    lambda: an_update("c-twice", "north"),
    lambda: a_termination("c-twice"),
    lambda: a_registration("c-twice", "bob"),
], ids=["payment.received", "invoice.issued", "customer.updated", "customer.terminated", "customer.registered"])
async def test_the_same_event_twice_changes_nothing_the_second_time(ownership: OwnershipHarness, make) -> None:
    await add_salespeople(ownership, "bob")
    await owned_by_first_contact(ownership, "c-twice", "alice")
    ownership.clock.advance(days(70))
    event = make()
    await deliver(ownership, event)
    once = (await ownership_of(ownership, "c-twice"), await salesperson(ownership, "alice"))
    await deliver(ownership, event)
    await asyncio.gather(*[deliver(ownership, event) for _ in range(3)])
    assert (await ownership_of(ownership, "c-twice"), await salesperson(ownership, "alice")) == once


async def test_concurrent_first_deliveries_of_a_registration_apply_it_once(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "alice")
    typed = Envelope[CustomerRegistered].model_validate(a_registration("c-once", "alice"))
    handle = ownership.service.deliver
    await asyncio.gather(*[handle(typed) for _ in range(4)])
    found = await ownership_of(ownership, "c-once")
    assert found["version"] == 1 and len(found["history"]) == 1


async def _found(harness: OwnershipHarness, customer_id: str) -> dict | None:
    return await ownership_of(harness, customer_id)


async def _with_basis(harness: OwnershipHarness, customer_id: str, basis: str) -> dict | None:
    found = await ownership_of(harness, customer_id)
    return found if found and found["basis"] == basis else None
