"""An entity keyed by a compound, nested key: the representation carries the nested object."""

import httpx
import strawberry
from crm_federation import a_token
from crm_world import SETTINGS
from strawberry.asgi import GraphQL

from gateway.app import create_gateway_app


@strawberry.federation.type(shareable=True)
class Bank:
    code: str


@strawberry.federation.type(keys=["number bank { code }"])
class Account:
    number: str
    bank: Bank
    holder: str


@strawberry.type(name="Query")
class AccountsQuery:
    @strawberry.field
    def accounts(self) -> list[Account]:
        # Same number at two banks: only the whole key tells them apart.
        return [
            Account(number="001", bank=Bank(code="ICBC"), holder="Li Wei"),
            Account(number="001", bank=Bank(code="BOC"), holder="Ma Lan"),
        ]


@strawberry.federation.type(name="Account", keys=["number bank { code }"])
class BalanceAccount:
    number: str
    bank: Bank

    @strawberry.field
    def balance_fen(self) -> int:
        return {("001", "ICBC"): 1_000, ("001", "BOC"): 2_000}[(self.number, self.bank.code)]

    @classmethod
    def resolve_reference(cls, number: str, bank: dict) -> "BalanceAccount":
        return cls(number=number, bank=Bank(code=bank["code"]))


@strawberry.type(name="Query")
class BalancesQuery:
    ping: bool = True


async def test_a_compound_nested_key_identifies_each_entity() -> None:
    schemas = {
        "accounts": strawberry.federation.Schema(query=AccountsQuery),
        "balances": strawberry.federation.Schema(query=BalancesQuery, types=[BalanceAccount]),
    }
    gateway = create_gateway_app(
        SETTINGS,
        {name: f"http://{name}/graphql" for name in schemas},
        transports={n: httpx.ASGITransport(app=GraphQL(s)) for n, s in schemas.items()},
    )
    async with (
        gateway.router.lifespan_context(gateway),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as client,
    ):
        response = await client.post(
            "/graphql",
            json={"query": "{ accounts { holder balanceFen } }"},
            headers={"authorization": f"Bearer {a_token()}"},
        )
    assert response.json() == {
        "data": {
            "accounts": [{"holder": "Li Wei", "balanceFen": 1_000}, {"holder": "Ma Lan", "balanceFen": 2_000}]
        }
    }
