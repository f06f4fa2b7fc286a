"""Batched consumption (group commit): the events a consumer has under way commit together, their effects,
inbox rows and outbox events in one transaction, and each is still applied exactly once, whatever else is in
its group: duplicates, and a poison that fails at commit in the middle of the group.

Real RabbitMQ, the real Mongo wire protocol, the service kit's own consumer (`Service.deliver`)."""

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import aio_pika

from chassis.bus import REASON_HEADER, dead_letter_queue_name
from chassis.changes import Change
from chassis.clock import FixedClock
from chassis.rabbit import RabbitBus
from chassis.service import Service
from chassis.store import TRANSACTIONS_AT_ONCE, Database
from contracts.envelope import Envelope
from contracts.sales import PaymentReceived
from tests.support import PARTITIONS, TEST_RETRY_DELAYS_S, delete_services, eventually

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CUSTOMERS = 30
POISON = "cust-poison"


class Store:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.totals = database.db["totals"]


async def test_a_group_with_duplicates_and_a_poison_in_the_middle_applies_each_event_once(
        database: Database, amqp_url: str, unique: str) -> None:
    class Paid(PaymentReceived):
        type = f"test.{unique}.paid"

    def paid(payment_id: str, customer_id: str, fen: int = 100) -> Paid:
        return Paid(payment_id=payment_id, customer_id=customer_id, amount_fen=fen, received_at=NOW)

    gate, ready = asyncio.Event(), set[str]()
    store = Store(database)

    async def add_up(event: Paid, uow: Any) -> None:
        """A payment adds to its customer's total (read, add, save against the version read)."""
        doc = await database.find_by_id(store.totals, event.customer_id) or {"_id": event.customer_id, "fen": 0,
                                                                              "version": 0}
        if event.payment_id.startswith("gate"):
            uow.stage(lambda session: gate.wait())  # keeps its transaction open until the others have queued
        if event.customer_id == POISON:
            uow.stage(poisoned)
        uow.save_versioned(store.totals, {**doc, "fen": doc["fen"] + event.amount_fen,
                                          "version": doc["version"] + 1}, doc["version"])
        uow.publish(event)  # an outbox row per event
        ready.add(event.customer_id)

    async def poisoned(session: Any) -> None:
        raise RuntimeError("poisoned at commit")

    groups: list[list[Exception | None]] = []
    commit_group = database._commit_group

    async def watched(group: list[list[Change]]) -> list[Exception | None]:  # observes, changes nothing
        outcomes = await commit_group(group)
        groups.append(outcomes)
        return outcomes

    database._commit_group = watched  # type: ignore[method-assign]

    name = f"group-{unique}"
    bus = RabbitBus(amqp_url, retry_delays_s=TEST_RETRY_DELAYS_S, prefetch=256, partitions=PARTITIONS)
    service = Service(name, {Paid: add_up}, lambda event: event, None, database, store, bus, FixedClock(NOW))
    await bus.start()
    try:
        await bus.subscribe(name, {Paid: service.deliver}, service.subject)
        customers = [f"cust-{i}" for i in range(CUSTOMERS)]
        # Enough gates to hold every transaction slot, so that everything else queues into one group.
        gates = [f"gate-{i}" for i in range(TRANSACTIONS_AT_ONCE)]
        payments = [paid(f"pay-{c}-{n}", c, 100 * (n + 1)) for c in customers for n in range(2)]
        firsts = [paid(g, g) for g in gates] + [paid("poison", POISON)] + payments[::2]
        rest = payments[1::2] + random.Random(5).sample(payments, 40)  # second payments, and duplicates
        for event in firsts + random.Random(6).sample(rest, len(rest)):
            envelope = Envelope.wrap(event, source="erp", time=NOW, id=event.payment_id)
            await bus.publish(envelope.to_json(), event_type=Paid.type, message_id=envelope.id,
                              subject=event.customer_id)

        await eventually(lambda: len(ready) == len(firsts), timeout_s=60)  # every customer's first in a commit
        gate.set()

        async def totals() -> dict[str, int]:
            return {d["_id"]: d["fen"] async for d in store.totals.find({})}

        expected = {c: 100 + 200 for c in customers} | {g: 100 for g in gates}
        await eventually(lambda: _equal(totals(), expected), timeout_s=60)
        dead = await eventually(lambda: _dead_letters(amqp_url, name), timeout_s=30)
    finally:
        await bus.close()
        await delete_services(amqp_url, name)

    # The poison was in a group with the others; that group failed, each was tried alone, only it failed.
    assert any(len(g) > 1 and sum(o is not None for o in g) == 1 for g in groups), groups
    assert any(len(g) > 1 and all(o is None for o in g) for g in groups)  # and later groups did commit whole
    assert [reason for reason, _ in dead] == ["RuntimeError: poisoned at commit"]
    applied = len(payments) + len(gates)
    assert await database.inbox.count_documents({}) == applied  # each event once, duplicates changed nothing
    assert await database.outbox.count_documents({}) == applied
    assert await store.totals.count_documents({"_id": POISON}) == 0


async def _equal(found: Any, expected: dict[str, int]) -> bool:
    return await found == expected


async def _dead_letters(amqp_url: str, service: str) -> list[tuple[str, str]] | None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(dead_letter_queue_name(service), durable=True,
                                            arguments={"x-queue-type": "quorum"})
        messages = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            messages.append((str((message.headers or {})[REASON_HEADER]), message.message_id or ""))
        return messages or None
