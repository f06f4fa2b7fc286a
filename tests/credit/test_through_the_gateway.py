"""Done means: through the gateway, one query returns a customer with its credit, after the events were
published with a plain AMQP client. Customer and credit run as in production (their own databases,
RabbitMQ between them); the gateway composes their subgraphs over HTTP (in-process transports)."""

import contextlib
from collections.abc import AsyncIterator

import httpx

from chassis.clock import FixedClock
from gateway.app import create_gateway_app
from services.credit.app import create_app as create_credit_app
from services.customer.app import create_app as create_customer_app
from tests.credit.conftest import CHAIN, DECIDE, REQUEST, SALES, invoice, payment
from tests.support import START, delete_queues, eventually, publish_as_outsider, settings_for

YUAN = 100
REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { id } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { name region
  credit { limitFen exposureFen utilization onHold alerts { level } } } }"""


@contextlib.asynccontextmanager
async def federation(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(mongo_url, amqp_url, unique)
    clock = FixedClock(START)
    apps = {"customer": create_customer_app(settings, clock=clock), "credit": create_credit_app(settings, clock=clock)}
    async with contextlib.AsyncExitStack() as running:
        for app in apps.values():
            await running.enter_async_context(app.router.lifespan_context(app))
        gateway = create_gateway_app(
            settings, {name: f"http://{name}/graphql" for name in apps},
            transports={name: httpx.ASGITransport(app=app) for name, app in apps.items()})
        await running.enter_async_context(gateway.router.lifespan_context(gateway))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as client:
            yield client
    for service in apps:
        queue = f"crm.{service}.{unique}"
        await delete_queues(amqp_url, queue, f"{queue}.dead", f"{queue}.retry.50ms", f"{queue}.retry.100ms")


async def ask(client: httpx.AsyncClient, query: str, variables: dict, bearer: str = SALES) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"authorization": f"Bearer {bearer}"})
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def test_one_query_through_the_gateway_returns_the_customer_with_its_credit(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique) as gateway:
        registered = await ask(gateway, REGISTER, {"input": {"name": "华南五金有限公司", "kind": "COMPANY",
                                                             "nature": "ORDINARY_COMPANY", "region": "east"}})
        customer_id = registered["registerCustomer"]["id"]

        async def credit_heard_of_it() -> bool:  # customer.registered went customer → RabbitMQ → credit
            return (await ask(gateway, CUSTOMER, {"id": customer_id}))["customer"]["credit"] is not None

        await eventually(credit_heard_of_it)
        asked = await ask(gateway, REQUEST, {"input": {"customerId": customer_id, "limitFen": 10_000 * YUAN,
                                                       "rating": "B", "termDays": 30, "justification": "new"}})
        for bearer in CHAIN:
            await ask(gateway, DECIDE, {"id": asked["requestCreditChange"]["id"], "approve": True}, bearer)
        await publish_as_outsider(amqp_url, invoice(customer_id, "INV-1", 9_000 * YUAN), "invoice.issued")
        await publish_as_outsider(amqp_url, payment(customer_id, "PAY-1", 500 * YUAN), "payment.received")

        async def settled() -> dict | None:
            customer = (await ask(gateway, CUSTOMER, {"id": customer_id}))["customer"]
            return customer if customer["credit"]["exposureFen"] == 850_000 else None

        customer = await eventually(settled)
    alerts = customer["credit"].pop("alerts")
    assert customer == {"name": "华南五金有限公司", "region": "east", "credit": {
        "limitFen": 1_000_000, "exposureFen": 850_000, "utilization": 0.85, "onHold": False}}
    assert alerts in ([{"level": 90}, {"level": 80}], [{"level": 80}])  # 90 too if the invoice landed first
