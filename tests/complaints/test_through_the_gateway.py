"""Through the gateway: the customer service registers a customer, the registration reaches complaints
over RabbitMQ, and a complaint is walked through its whole flow and read on the federated customer."""

from tests.federation import federation
from tests.support import eventually, token

REGISTER = """mutation { registerCustomer(input: {name: "华东机电有限公司", kind: COMPANY, nature: ORDINARY_COMPANY,
  region: "east"}) { id } }"""
FILE = """mutation($customer: ID!) { fileComplaint(input: {customerId: $customer, kind: PRODUCT_QUALITY,
  description: "轴承有裂纹", severity: HIGH, reason: "待检验", plan: "取样送检",
  expectedResolutionAt: "2026-03-09T18:00:00+08:00"}) { id status firstResponderId dueAt } }"""
FLOW = [
    "acknowledgeComplaint(id: $id) { status }",
    "startInvestigation(id: $id) { status }",
    'recordFinding(id: $id, input: {responsibility: COMPANY, summary: "出厂检验漏检"}) { status }',
    "proposeResolution(id: $id, input: {remedy: REPLACEMENT}) { status }",
    "resolveComplaint(id: $id) { status }",
    "closeComplaint(id: $id) { status }",
]
CUSTOMER = """query($id: ID!) { customer(id: $id) { name region complaints { status firstResponderId } } }"""


async def test_file_acknowledge_investigate_propose_resolve_close_and_read_on_the_customer(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, ("customer", "complaints"), token("SALES", user="u1")) as crm:
        gql = crm.gateway
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
