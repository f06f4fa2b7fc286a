"""Through the gateway: the customer service registers a customer, the registration reaches complaints
over RabbitMQ, and a complaint is walked through its whole flow and read on the federated customer."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from chassis.clock import FixedClock
from gateway.app import create_gateway_app
from services.complaints.app import create_app as create_complaints_app
from services.customer.app import create_app as create_customer_app
from tests.support import START, GraphQL, delete_queues, eventually, settings_for, token

REGISTER = """mutation { registerCustomer(input: {name: "华东机电有限公司", kind: COMPANY, nature: ORDINARY_COMPANY,
  region: "east"}) { id } }"""
FILE = """mutation($customer: ID!) { fileComplaint(input: {customerId: $customer, kind: PRODUCT_QUALITY,
  description: "轴承有裂纹", severity: HIGH}) { id status firstResponderId dueAt } }"""
FLOW = [
    "acknowledgeComplaint(id: $id) { status }",
    "startInvestigation(id: $id) { status }",
    'recordFinding(id: $id, input: {responsibility: COMPANY, summary: "出厂检验漏检"}) { status }',
    "proposeResolution(id: $id, input: {remedy: REPLACEMENT}) { status }",
    "resolveComplaint(id: $id) { status }",
    "closeComplaint(id: $id) { status }",
]
CUSTOMER = """query($id: ID!) { customer(id: $id) { name region complaints { status firstResponderId } } }"""


@asynccontextmanager
async def a_crm(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[GraphQL]:
    clock = FixedClock(START)
    settings = settings_for(mongo_url, amqp_url, unique)
    services = {"customer": create_customer_app(settings, clock=clock),
                "complaints": create_complaints_app(settings, clock=clock)}
    async with AsyncExitStack() as stack:
        for app in services.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        gateway = create_gateway_app(
            settings, {name: f"http://{name}/graphql" for name in services},
            transports={name: httpx.ASGITransport(app=app) for name, app in services.items()})
        await stack.enter_async_context(gateway.router.lifespan_context(gateway))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway"))
        yield GraphQL(client, token("SALES", user="u1"))


async def test_file_acknowledge_investigate_propose_resolve_close_and_read_on_the_customer(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    try:
        async with a_crm(mongo_url, amqp_url, unique) as gql:
            customer_id = (await gql.data(REGISTER))["registerCustomer"]["id"]

            async def filed() -> dict | None:  # once customer.registered reached the complaints desk
                answer = await gql(FILE, {"customer": customer_id})
                return None if answer.get("errors") else answer["data"]["fileComplaint"]

            complaint = await eventually(filed)
            assert (complaint["status"], complaint["firstResponderId"]) == ("RECEIVED", "u1")
            statuses = [(await gql.data(f"mutation($id: ID!) {{ step: {step} }}", {"id": complaint["id"]}))
                        ["step"]["status"] for step in FLOW]
            assert statuses == ["ACKNOWLEDGED", "INVESTIGATING", "INVESTIGATING", "RESOLUTION_PROPOSED",
                                "RESOLVED", "CLOSED"]

            customer = (await gql.data(CUSTOMER, {"id": customer_id}))["customer"]
            assert customer == {"name": "华东机电有限公司", "region": "east",
                                "complaints": [{"status": "CLOSED", "firstResponderId": "u1"}]}
    finally:
        queues = [f"crm.{name}.{unique}{suffix}" for name in ("customer", "complaints")
                  for suffix in ("", ".dead", ".retry.50ms", ".retry.100ms")]
        await delete_queues(amqp_url, *queues)
