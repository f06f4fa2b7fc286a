"""Done means: through the gateway, one query returns a customer with its credit, after the events were
published with a plain AMQP client. Customer and credit run as in production (their own databases,
RabbitMQ between them); the gateway composes their subgraphs over HTTP (in-process transports)."""

from tests.credit.conftest import CHAIN, DECIDE, REQUEST, SALES, invoice, payment
from tests.federation import federation, open_trading
from tests.support import GraphQL, eventually, publish_as_outsider

YUAN = 100
REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { id } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) { name region
  credit { limitFen exposureFen utilization onHold alerts { level } } } }"""


async def ask(gateway: GraphQL, query: str, variables: dict, bearer: str = SALES) -> dict:
    return await gateway.data(query, variables, as_token=bearer)


async def test_cus_8_credit_waits_for_the_approved_survey_then_one_query_returns_the_customer_with_its_credit(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, ("customer", "credit")) as crm:
        gateway = crm.gateway
        registered = await ask(gateway, REGISTER, {"input": {"name": "华南五金有限公司", "kind": "COMPANY",
                                                             "nature": "ORDINARY_COMPANY", "region": "east"}})
        customer_id = registered["registerCustomer"]["id"]

        async def credit_heard_of_it() -> bool:  # customer.registered went customer → RabbitMQ → credit
            return (await ask(gateway, CUSTOMER, {"id": customer_id}))["customer"]["credit"] is not None

        await eventually(credit_heard_of_it)
        request = {"input": {"customerId": customer_id, "limitFen": 10_000 * YUAN, "rating": "B", "termDays": 30,
                             "justification": "new"}}
        too_soon = await gateway(REQUEST, request, as_token=SALES)
        assert too_soon["errors"][0]["extensions"]["rule"] == "CUS-8"  # no survey approved: no credit
        await open_trading(crm, customer_id, SALES)  # customer.updated (tradingOpen) went over RabbitMQ
        asked = await ask(gateway, REQUEST, request)
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
