"""CUS-9 through the gateway, as people use it: the customer subgraph and the gateway as processes."""

from pathlib import Path

import httpx

from chassis.embedded import free_port
from tests.e2e.test_processes import crm, graphql, ready, running
from tests.support import delete_services, eventually

REGISTER = """mutation($name: String!) { registerCustomer(input: {name: $name, kind: COMPANY,
  nature: ORDINARY_COMPANY, region: "east", contacts: [{name: "联系人", phone: "13800138000"}]}) { id } }"""
CONTACTS = """query($id: ID!) { customer(id: $id) { name cardAccess contacts { name phone } } }"""


async def test_cus_9_through_the_gateway_a_salesperson_sees_own_contacts_only_and_admin_sees_who_read_what(
        tmp_path: Path, mongo_url: str, amqp_url: str, unique: str) -> None:
    customer_port, gateway_port = free_port(), free_port()
    env = {"MONGO_URL": mongo_url, "AMQP_URL": amqp_url, "CRM_INSTANCE": unique, "QUEUE_EXPIRES_S": "300"}
    try:
        with running(["serve", "customer"], {**env, "PORT": str(customer_port)}, customer_port,
                     tmp_path / "customer.log") as subgraph, \
             running(["serve", "gateway"], {**env, "PORT": str(gateway_port),
                                            "SUBGRAPHS": f"customer=http://127.0.0.1:{customer_port}/graphql"},
                     gateway_port, tmp_path / "gateway.log") as gateway:
            async with httpx.AsyncClient(timeout=10) as client:
                await eventually(lambda: ready(client, subgraph, tmp_path / "customer.log"), 30)
                await eventually(lambda: ready(client, gateway, tmp_path / "gateway.log"), 30)
                alice = crm("token", "--role", "SALES", "--user", "alice", "--region", "east")
                bob = crm("token", "--role", "SALES", "--user", "bob", "--region", "east")
                admin = crm("token", "--role", "ADMIN", "--user", "it-1")
                mine = (await graphql(client, gateway, alice, REGISTER, name="甲的客户"))["registerCustomer"]["id"]
                theirs = (await graphql(client, gateway, bob, REGISTER, name="乙的客户"))["registerCustomer"]["id"]

                own = (await graphql(client, gateway, alice, CONTACTS, id=mine))["customer"]
                other = (await graphql(client, gateway, alice, CONTACTS, id=theirs))["customer"]
                assert own == {"name": "甲的客户", "cardAccess": "FULL",
                               "contacts": [{"name": "联系人", "phone": "13800138000"}]}
                assert other == {"name": "乙的客户", "cardAccess": "PUBLIC", "contacts": []}

                assert (await graphql(client, gateway, admin, CONTACTS, id=theirs))["customer"]["contacts"]

                async def logged() -> list[dict[str, object]]:  # the entry travels by the bus to the log
                    log = await graphql(client, gateway, admin, """query($id: ID!) { accessLog(customerId: $id) {
                      edges { node { userId ownerId operation fields } } } }""", id=theirs)
                    return [e["node"] for e in log["accessLog"]["edges"]]

                assert await eventually(logged) == [
                    {"userId": "it-1", "ownerId": "bob", "operation": "customer", "fields": ["contacts"]}]
    finally:
        await delete_services(amqp_url, f"customer.{unique}")
