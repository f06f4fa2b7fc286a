"""Nothing is lost when the broker is down at commit time or the process dies before its ack."""

import asyncio
from urllib.parse import urlparse

from chassis.clock import FixedClock
from chassis.rabbit import RabbitBus
from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued
from services.customer.app import create_app
from tests.customer.test_archive import HISTORY, REGISTER, a_company
from tests.customer.test_sales_events import an_invoice
from tests.faults.proxy import CuttableProxy
from tests.support import (
    START,
    delete_services,
    eventually,
    listening,
    publish_as_outsider,
    serving,
    settings_for,
)


async def test_broker_down_at_commit_the_event_goes_out_when_it_returns(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    broker = urlparse(amqp_url)
    proxy = await CuttableProxy(broker.hostname or "localhost", broker.port or 5672).start()
    via_proxy = f"amqp://{broker.username}:{broker.password}@127.0.0.1:{proxy.port}/?reconnect_interval=0.2"
    app = create_app(settings_for(mongo_url, via_proxy, unique), clock=FixedClock(START))
    try:
        async with serving(app) as gql, listening(amqp_url, "customer.registered") as received:
            await proxy.cut()
            await eventually(lambda: not app.state.crm["service"].bus.is_ready())

            data = await gql.data(REGISTER, {"input": a_company("断网时登记的客户")})  # committed while down
            customer_id = data["registerCustomer"]["id"]
            outbox = app.state.crm["service"].database.outbox
            assert await outbox.count_documents({}) == 1
            await asyncio.sleep(0.3)  # a few relay passes fail meanwhile
            assert [e for e in received if e["subject"] == customer_id] == []

            await proxy.restore()
            delivered = await eventually(lambda: [e for e in received if e["subject"] == customer_id], 15)
            assert delivered[0]["type"] == "customer.registered"
            assert await eventually(lambda: _empty(outbox))
    finally:
        await proxy.cut()
        await delete_services(amqp_url, f"customer.{unique}")


async def test_killed_between_storing_and_acking_the_redelivery_changes_nothing(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    """The first consumer commits the effect, then its connection dies before the ack."""
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=FixedClock(START))
    service_queue = f"crash-{unique}"
    async with serving(app) as gql:
        customer = (await gql.data(REGISTER, {"input": a_company()}))["registerCustomer"]
        service = app.state.crm["service"]
        apply = service.deliver
        deliveries: list[str] = []

        first = RabbitBus(amqp_url, retry_delays_s=[0.05])
        await first.start()

        async def store_then_die(envelope: Envelope[InvoiceIssued]) -> None:
            deliveries.append("first")
            await apply(envelope)  # the effect and the inbox entry are committed...
            await first.close()  # ...and the process dies before the ack

        async def store(envelope: Envelope[InvoiceIssued]) -> None:
            deliveries.append("second")
            await apply(envelope)

        await first.subscribe(service_queue, {InvoiceIssued: store_then_die})
        await publish_as_outsider(amqp_url, an_invoice(customer["id"]), "invoice.issued")
        await eventually(lambda: deliveries == ["first"] and not first.is_ready())
        after_first = await gql.data(HISTORY, {"id": customer["id"]})

        second = RabbitBus(amqp_url, retry_delays_s=[0.05])
        await second.start()
        try:
            await second.subscribe(service_queue, {InvoiceIssued: store})
            await eventually(lambda: deliveries == ["first", "second"])
        finally:
            await second.close()  # waits for the running handler to finish and ack
        assert after_first["customer"]["version"] == 2
        assert await gql.data(HISTORY, {"id": customer["id"]}) == after_first
    await delete_services(amqp_url, service_queue, f"customer.{unique}")


async def _empty(collection) -> bool:  # noqa: ANN001
    return await collection.count_documents({}) == 0
