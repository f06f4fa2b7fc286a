"""Who may ask, and how much: refused requests never reach a subgraph."""

from datetime import UTC, datetime, timedelta

import pytest
from crm_federation import Federation, a_federation, a_token

from chassis.auth import mint_token
from chassis.limits import Limits
from chassis.settings import Settings

INTROSPECTION = "{ __schema { queryType { name } } }"


def codes(answer: dict) -> list[str]:
    return [e["extensions"]["code"] for e in answer["errors"]]


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        a_token(secret="someone-elses-secret-at-least-32-bytes"),
        mint_token(
            Settings().jwt_secret,
            "u1",
            ["SALES"],
            now=datetime.now(UTC) - timedelta(days=2),
            ttl=timedelta(hours=1),
        ),
    ],
    ids=["missing", "garbage", "wrong signature", "expired"],
)
async def test_a_request_without_a_valid_token_is_unauthenticated_before_any_fetch(
    federation: Federation, token: str | None
) -> None:
    answer = await federation.ask('{ customer(id: "c1") { name credit { rating } } }', token=token)
    assert "data" not in answer
    assert codes(answer) == ["UNAUTHENTICATED"]
    assert federation.request_counts() == {"customer": 0, "credit": 0, "ownership": 0}


async def test_a_bearer_scheme_is_required(federation: Federation) -> None:
    response = await federation.client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"authorization": f"Basic {a_token()}"}
    )
    assert codes(response.json()) == ["UNAUTHENTICATED"]


async def test_in_dev_introspection_needs_no_token_but_data_does() -> None:
    async with a_federation(settings=Settings(crm_env="dev")) as federation:
        assert (await federation.ask(INTROSPECTION, token=None)) == {
            "data": {"__schema": {"queryType": {"name": "Query"}}}
        }
        mixed = await federation.ask(
            '{ __schema { queryType { name } } customer(id: "c1") { name } }', token=None
        )
        assert codes(mixed) == ["UNAUTHENTICATED"]
        assert federation.request_counts() == {"customer": 0, "credit": 0, "ownership": 0}


async def test_outside_dev_introspection_needs_a_token_too(federation: Federation) -> None:
    assert codes(await federation.ask(INTROSPECTION, token=None)) == ["UNAUTHENTICATED"]
    assert (await federation.ask(INTROSPECTION))["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_in_prod_introspection_is_refused_even_with_a_token() -> None:
    prod = Settings(
        crm_env="prod",
        jwt_secret="a-production-secret-at-least-32-bytes",
        mongo_url="mongodb://db",
        amqp_url="amqp://mq",
    )
    async with a_federation(settings=prod) as federation:
        token = a_token(secret="a-production-secret-at-least-32-bytes")
        refused = await federation.ask('{ __type(name: "Customer") { name } }', token=token)
        assert codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["message"] == "introspection is disabled in production"
        allowed = await federation.ask('{ __typename customer(id: "c1") { __typename name } }', token=token)
        assert allowed == {
            "data": {"__typename": "Query", "customer": {"__typename": "Customer", "name": "Acme Trading"}}
        }


async def test_an_operation_deeper_than_the_limit_is_refused() -> None:
    async with a_federation(limits=Limits(max_depth=4)) as federation:
        deep = await federation.ask('{ customer(id: "c1") { credit { reviewer { customers { id } } } } }')
        assert codes(deep) == ["LIMIT"]
        assert deep["errors"][0]["message"] == "the operation is 5 fields deep; the limit is 4"
        through_a_fragment = await federation.ask(
            '{ customer(id: "c1") { ...C } } '
            "fragment C on Customer { credit { reviewer { customers { id } } } }"
        )
        assert codes(through_a_fragment) == ["LIMIT"]
        assert "errors" not in await federation.ask('{ customer(id: "c1") { credit { reviewer { id } } } }')
        assert federation.request_counts()["customer"] == 1


async def test_more_aliases_than_the_limit_are_refused_counting_each_fragment_spread() -> None:
    async with a_federation(limits=Limits(max_aliases=4)) as federation:
        fragment = "fragment F on Customer { a: name b: code c: kind }"
        twice = await federation.ask('{ customer(id: "c1") { ...F x: credit { rating } ...F } } ' + fragment)
        assert codes(twice) == ["LIMIT"]
        assert twice["errors"][0]["message"] == "the operation uses 7 aliases; the limit is 4"
        once = await federation.ask('{ customer(id: "c1") { ...F } } ' + fragment)
        assert once == {"data": {"customer": {"a": "Acme Trading", "b": "C-0001", "c": "COMPANY"}}}


async def test_an_operation_over_the_cost_budget_is_refused_by_the_gateway_every_time_with_or_without_variables(
) -> None:
    async with a_federation(limits=Limits(max_cost=50)) as federation:
        costly = "{ customers(first: 20) { edges { node { credit { rating } ownership { since } } } } }"
        with_variables = "query($n: Int!) { customers(first: $n) { edges { node { credit { rating } } } } }"
        for _ in range(2):  # the second time from what was prepared the first
            assert codes(await federation.ask(costly)) == ["LIMIT"]
            assert codes(await federation.ask(with_variables, {"n": 20})) == ["LIMIT"]
        assert "errors" not in await federation.ask(with_variables, {"n": 1})
        assert federation.request_counts()["customer"] == 1


async def test_a_document_larger_than_the_limit_is_refused() -> None:
    async with a_federation(limits=Limits(max_document_bytes=200)) as federation:
        answer = await federation.ask('{ customer(id: "c1") { name } }' + " " * 200)
        assert codes(answer) == ["LIMIT"]
        assert federation.request_counts() == {"customer": 0, "credit": 0, "ownership": 0}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ('{ customer(id: "c1") { name', None, "GRAPHQL_PARSE_FAILED"),
        ('{ customer(id: "c1") { nickname } }', None, "GRAPHQL_VALIDATION_FAILED"),
        ('{ customer(id: "c1") { _gw_typename: name } }', None, "GRAPHQL_VALIDATION_FAILED"),
        ('subscription { customer(id: "c1") { name } }', None, "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }",
            {"f": {"kinds": ["ROBOT"]}},
            "VALIDATION",
        ),
        ("query($id: ID!) { customer(id: $id) { name } }", {}, "VALIDATION"),
    ],
    ids=[
        "unparsable",
        "unknown field",
        "reserved alias",
        "subscription",
        "bad enum value",
        "missing variable",
    ],
)
async def test_a_malformed_operation_is_refused_before_any_fetch(
    federation: Federation, query: str, variables: dict | None, code: str
) -> None:
    answer = await federation.ask(query, variables)
    assert code in codes(answer)
    assert federation.request_counts() == {"customer": 0, "credit": 0, "ownership": 0}
