"""`crm dev` with AMQP_URL starts every time: ten starts in a row on fresh data against a broker whose queues
hold leftover messages, which the consumers work on while the demo seed runs its commands."""

import uuid

from chassis.settings import Settings
from chassis.store import connect
from crm.dev import all_in_one
from crm.services import SERVICES
from tests.support import START, delete_services, publish_as_outsider, settings_for

STARTS = 10


def leftovers(round_: int) -> list[tuple[dict[str, object], str]]:
    """What a broker can hold after a crash: events about customers this data dir never heard of, and junk."""
    def envelope(event_type: str, data: dict[str, object]) -> dict[str, object]:
        return {"specversion": "1.0", "id": f"left-{round_}-{uuid.uuid4()}", "source": "erp", "type": event_type,
                "time": START.isoformat(), "subject": data.get("customerId"), "datacontenttype": "application/json",
                "data": data}

    gone = f"gone-{uuid.uuid4()}"
    return [(envelope("invoice.issued", {"invoiceId": f"INV-{round_}", "customerId": gone, "amountFen": 100,
                                         "issuedAt": START.isoformat(), "dueAt": START.isoformat()}), "invoice.issued"),
            (envelope("payment.received", {"paymentId": f"PAY-{round_}", "customerId": gone, "amountFen": 100,
                                           "receivedAt": START.isoformat()}), "payment.received"),
            (envelope("ownership.changed", {"customerId": gone, "previousOwnerId": None, "ownerId": "x",
                                            "basis": "CLAIM", "changedAt": START.isoformat()}), "ownership.changed"),
            (envelope("customer.registered", {"customerId": "half"}), "customer.registered")]


async def test_crm_dev_with_amqp_starts_ten_times_in_a_row_against_leftover_messages(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    settings: Settings = settings_for(mongo_url, amqp_url, unique)
    seeded = []
    client = connect(mongo_url)
    try:
        for round_ in range(STARTS):
            for name in SERVICES:  # a fresh data dir: every start seeds again
                await client.drop_database(f"crm_{name}_{unique}")
            app = all_in_one(settings)
            async with app.router.lifespan_context(app):  # raises if a start fails, as `crm dev` would exit
                seeded.append(await client[f"crm_customer_{unique}"]["customers"].count_documents({}))
            for body, routing_key in leftovers(round_):  # left for the next start's consumers
                await publish_as_outsider(amqp_url, body, routing_key)
    finally:
        await client.close()
        await delete_services(amqp_url, *[f"{name}.{unique}" for name in SERVICES])
    assert seeded == [5] * STARTS
