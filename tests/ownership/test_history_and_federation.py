"""OWN-10 history; `Customer.ownership` on the federated Customer, through `_entities` and through the
real gateway in front of the real customer and ownership subgraphs."""



from services.ownership.jobs import sweep_lapses
from tests.federation import federation
from tests.ownership.builders import (
    A_REPORT,
    ADMIN,
    ASSIGN,
    CLAIM,
    EAST_MANAGER,
    RELEASE,
    SAVE_SALESPERSON,
    a_payment,
    add_salespeople,
    days,
    deliver,
    owned_by_first_contact,
    ownership_of,
    sales,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, eventually

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Customer { id ownership { ownerId basis expiresAt inPool } } } }"""


async def test_own_10_every_change_of_owner_is_kept_from_to_basis_when_by(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob", "cat")
    await owned_by_first_contact(ownership, "c-story", "alice")
    ownership.clock.advance(days(61))
    await sweep_lapses(ownership.service)  # OWN-1
    ownership.clock.advance(days(1))
    await ownership.gql.data(CLAIM, {"id": "c-story"}, as_token=sales("bob"))  # OWN-5
    ownership.clock.advance(days(1))
    await ownership.gql.data(RELEASE, {"id": "c-story", "report": A_REPORT}, as_token=sales("bob"))  # OWN-6
    ownership.clock.advance(days(1))
    await ownership.gql.data(ASSIGN, {"id": "c-story", "to": "cat"}, as_token=EAST_MANAGER)  # OWN-9
    await deliver(ownership, a_payment("c-story", "cat", at=START + days(64)))  # OWN-2
    history = (await ownership_of(ownership, "c-story"))["history"]
    assert [(h["from"], h["to"], h["basis"], h["when"], h["by"]) for h in history] == [
        (None, "alice", "FIRST_CONTACT", START.isoformat(), "alice"),
        ("alice", None, "LAPSE", (START + days(61)).isoformat(), "system"),
        (None, "bob", "CLAIM", (START + days(62)).isoformat(), "bob"),
        ("bob", None, "LAPSE", (START + days(63)).isoformat(), "bob"),
        (None, "cat", "ASSIGNMENT", (START + days(64)).isoformat(), "manager-east"),
        ("cat", "cat", "FIRST_DEAL", (START + days(64)).isoformat(), "system"),
    ]
    assert [h["reason"] for h in history] == [None, "NO_DEAL", None, "RELEASED", None, None]


async def test_customer_ownership_resolves_by_reference_for_the_gateway(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-ref", "alice")
    data = await ownership.gql.data(ENTITIES, {"r": [{"__typename": "Customer", "id": "c-ref"},
                                                     {"__typename": "Customer", "id": "c-unknown"}]})
    assert data["_entities"] == [
        {"id": "c-ref", "ownership": {"ownerId": "alice", "basis": "FIRST_CONTACT",
                                      "expiresAt": (START + days(61)).isoformat(), "inPool": False}},
        {"id": "c-unknown", "ownership": None},
    ]


REGISTER = """mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { id } }"""
CUSTOMER_WITH_OWNERSHIP = """query($id: ID!) { customer(id: $id) {
  name ownership { ownerId basis expiresAt inPool } } }"""
POOL_WITH_NAMES = """{ pool(first: 5) { totalCount edges { node { id name code ownership { inPool poolReason } } } } }"""


async def test_through_the_gateway_a_customer_shows_its_name_and_its_ownership(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, ("customer", "ownership")) as crm:
        gateway = crm.gateway
        await gateway(SAVE_SALESPERSON, {"input": {"id": "alice", "name": "Alice", "region": "east"}},
                      as_token=ADMIN)
        registered = await gateway(REGISTER, {"input": {"name": "上海东方贸易有限公司", "kind": "COMPANY",
                                                        "nature": "ORDINARY_COMPANY", "region": "east"}},
                                   as_token=sales("alice"))
        customer_id = registered["data"]["registerCustomer"]["id"]

        async def owned() -> dict | None:  # customer.registered travels customer → RabbitMQ → ownership
            answer = await gateway(CUSTOMER_WITH_OWNERSHIP, {"id": customer_id}, as_token=sales("alice"))
            return answer if answer["data"]["customer"]["ownership"] else None

        answer = await eventually(owned)
        assert "errors" not in answer
        assert answer["data"]["customer"] == {"name": "上海东方贸易有限公司", "ownership": {
            "ownerId": "alice", "basis": "FIRST_CONTACT", "expiresAt": (START + days(61)).isoformat(),
            "inPool": False}}

        listed = await gateway(REGISTER, {"input": {"name": "无主客户", "kind": "COMPANY",
                                                    "nature": "ORDINARY_COMPANY", "region": "east"}}, as_token=ADMIN)
        unowned_id = listed["data"]["registerCustomer"]["id"]

        async def pooled() -> dict | None:
            answer = await gateway(POOL_WITH_NAMES, None, as_token=sales("alice"))
            return answer if answer["data"]["pool"]["totalCount"] == 1 else None

        pool = (await eventually(pooled))["data"]["pool"]
        assert pool["edges"][0]["node"]["id"] == unowned_id
        assert pool["edges"][0]["node"]["name"] == "无主客户"  # from the customer subgraph
        assert pool["edges"][0]["node"]["ownership"] == {"inPool": True, "poolReason": "UNOWNED"}


async def test_ownership_through_entities_needs_a_valid_token(ownership) -> None:  # noqa: ANN001
    """The gateway asks `_entities` with the caller's token; a request without one learns nothing."""
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { ownership { ownerId } } } }"""
    answer = await ownership.gql(query, {"r": [{"__typename": "Customer", "id": "any"}]}, as_token=None)
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["UNAUTHENTICATED"]
    assert answer["data"] is None  # `_entities` itself is refused: nothing of any entity
