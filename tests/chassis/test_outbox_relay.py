"""The outbox relay publishes a batch with overlapping confirms, and still each subject's events in the order
they committed (what a consumer's per-customer order rests on). Real RabbitMQ, the real Mongo wire protocol."""

import random
from datetime import UTC, datetime, timedelta

from chassis.outbox import BATCH, OutboxRelay
from chassis.rabbit import RabbitBus
from chassis.store import Database
from contracts.envelope import Envelope
from contracts.sales import PaymentReceived
from tests.support import TEST_RETRY_DELAYS_S, eventually, listening

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SUBJECTS = 7


async def test_the_relay_keeps_each_subjects_order_across_batches_and_empties_the_outbox(
        database: Database, amqp_url: str, unique: str) -> None:
    class Paid(PaymentReceived):
        type = f"test.{unique}.relayed"

    rows = []
    for n in range(BATCH * 2 + 30):  # more than two batches, the subjects interleaved
        event = Paid(payment_id=f"p{n}", customer_id=f"c{n % SUBJECTS}", amount_fen=100, received_at=NOW)
        envelope = Envelope.wrap(event, source="test", time=NOW, id=f"e{n}")
        rows.append({"_id": envelope.id, "type": Paid.type, "subject": envelope.subject,
                     "body": envelope.to_json().decode(), "created_at": NOW + timedelta(milliseconds=n),
                     "position": 0})
    await database.outbox.insert_many(random.Random(3).sample(rows, len(rows)))  # stored in any order

    bus = RabbitBus(amqp_url, retry_delays_s=TEST_RETRY_DELAYS_S)
    await bus.start()
    try:
        async with listening(amqp_url, Paid.type) as received:
            assert await OutboxRelay(database, bus).relay_pending() == len(rows)
            await eventually(lambda: len(received) == len(rows), timeout_s=30)
    finally:
        await bus.close()

    for subject in {row["subject"] for row in rows}:
        sent = [row["_id"] for row in rows if row["subject"] == subject]
        assert [e["id"] for e in received if e["subject"] == subject] == sent
    assert await database.outbox.count_documents({}) == 0
