"""A few customers get most of the events: their events are applied one at a time (the per-customer lock),
note settlements included — whether ERP names the customer or credit finds it from the note — so none races
another into the conflict retries and none is dead-lettered."""

import json
import random

import aio_pika
import pytest

from chassis.bus import dead_letter_queue_name, entrance_name
from services.credit.ledger import NoteStatus
from tests.credit.conftest import CreditHarness, note, note_dishonoured, note_settled
from tests.support import eventually

CUSTOMERS = 5
NOTES = 500  # received, then settled or dishonoured: 1,000 note events


async def publish_to_service(amqp_url: str, service: str, envelopes: list[dict]) -> None:
    """Through this service's own entrance, as ERP would (no subject header): other copies get nothing."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        entrance = await channel.get_exchange(entrance_name(service), ensure=False)
        for body in envelopes:
            await entrance.publish(
                aio_pika.Message(json.dumps(body).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                 content_type="application/cloudevents+json", message_id=body["id"]), body["type"])


async def dead_letters(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count


@pytest.mark.parametrize("erp_names_the_customer", [True, False], ids=["named", "found by credit"])
async def test_1000_note_events_on_5_hot_customers_end_with_no_dead_letter_and_every_note_right(
        credit: CreditHarness, erp_names_the_customer: bool) -> None:
    customers = [await credit.register(trading=False) for _ in range(CUSTOMERS)]
    owner = {f"N-{credit.instance}-{i}": customers[i % CUSTOMERS] for i in range(NOTES)}
    service = f"credit.{credit.instance}"
    await publish_to_service(credit.amqp_url, service, [note(c, n, 100) for n, c in owner.items()])

    async def notes_of_each() -> list[list]:
        return [(await credit.service.store.get(c)).notes for c in customers]

    async def all_received() -> bool:
        return all(len(notes) == NOTES // CUSTOMERS for notes in await notes_of_each())

    await eventually(all_received, timeout_s=60)
    dishonoured = set(random.Random(7).sample(sorted(owner), NOTES // 5))
    def ending(note_id: str, customer_id: str) -> dict:
        said = customer_id if erp_names_the_customer else None
        return note_dishonoured(note_id, said) if note_id in dishonoured else note_settled(note_id, said)

    endings = [ending(n, c) for n, c in owner.items()]
    random.Random(8).shuffle(endings)
    await publish_to_service(credit.amqp_url, service, endings)

    async def all_ended() -> bool:
        return all(n.status is not NoteStatus.RECEIVED for notes in await notes_of_each() for n in notes)

    await eventually(all_ended, timeout_s=60)
    assert await dead_letters(credit.amqp_url, dead_letter_queue_name(service)) == 0
    for customer_id in customers:
        profile = await credit.service.store.get(customer_id)
        mine = {n for n, c in owner.items() if c == customer_id}
        assert {n.note_id for n in profile.notes if n.status is NoteStatus.DISHONOURED} == mine & dishonoured
        assert profile.receivables_fen == 100 * len(mine & dishonoured)  # a dishonoured note is owed again
        assert profile.notes_fen == 0
