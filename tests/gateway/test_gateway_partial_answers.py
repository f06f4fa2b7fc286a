"""A failing subgraph costs only the fields it owns: partial data, errors at the affected paths."""

import time

import pytest
from crm_federation import Federation, a_federation

RAISING = {
    "a resolver of the root subgraph raises for some list items": (
        '{ customers(filter: {region: "faults"}) { edges { node { id name secret credit { rating } } } } }'
    ),
    "an _entities field raises for one customer; another's non-null field nulls its list item": (
        '{ customersByIds(ids: ["c1", "f2", "f1"]) { id name credit { rating } creditSummary } }'
    ),
    "the nulled entity's other fields do not add errors of their own": (
        '{ customersByIds(ids: ["c1", "f2"]) { id name creditSummary credit { rating } } }'
    ),
    "a non-null error propagates to a nullable root field": '{ customer(id: "f2") { id creditSummary } }',
    "a non-null error propagates through non-null parents up to data": (
        '{ customers(filter: {region: "faults"}) { edges { node { id creditSummary } } } }'
    ),
}


@pytest.mark.parametrize("name", list(RAISING))
async def test_errors_raised_in_subgraphs_come_back_like_one_servers(
    federation: Federation, name: str
) -> None:
    through_gateway = await federation.ask(RAISING[name])
    from_monolith = await federation.ask_monolith(RAISING[name])
    assert from_monolith["errors"]
    assert through_gateway["data"] == from_monolith["data"]
    assert sorted(through_gateway["errors"], key=str) == sorted(from_monolith["errors"], key=str)


CUSTOMERS_WITH_CREDIT = "{ customers(first: 3) { edges { node { id name credit { rating } } } } }"


@pytest.mark.parametrize("state", ["down", "broken"])
async def test_credit_subgraph_failing_leaves_customers_and_an_error_on_each_credit(
    federation: Federation, state: str
) -> None:
    federation.lines["credit"].state = state
    answer = await federation.ask(CUSTOMERS_WITH_CREDIT)
    nodes = [e["node"] for e in answer["data"]["customers"]["edges"]]
    assert nodes == [
        {"id": "c1", "name": "Acme Trading", "credit": None},
        {"id": "c2", "name": "Blue River Foods", "credit": None},
        {"id": "c3", "name": "Li Wei", "credit": None},
    ]
    assert [e["path"] for e in answer["errors"]] == [
        ["customers", "edges", i, "node", "credit"] for i in range(3)
    ]
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"SUBGRAPH_UNAVAILABLE"}
    assert {e["extensions"]["subgraph"] for e in answer["errors"]} == {"credit"}


async def test_a_root_subgraph_down_nulls_only_its_own_root_fields(federation: Federation) -> None:
    federation.lines["ownership"].state = "down"
    answer = await federation.ask('{ customer(id: "c1") { name } salesperson(id: "s1") { name } }')
    assert answer["data"] == {"customer": {"name": "Acme Trading"}, "salesperson": None}
    assert [(e["path"], e["extensions"]["code"]) for e in answer["errors"]] == [
        (["salesperson"], "SUBGRAPH_UNAVAILABLE")
    ]


async def test_a_second_level_fetch_failing_nulls_the_nearest_nullable_parent(federation: Federation) -> None:
    federation.lines["ownership"].state = "down"
    answer = await federation.ask('{ customer(id: "c1") { name credit { rating reviewer { id name } } } }')
    # Salesperson.name is non-null, so its failure nulls `reviewer`, exactly as one server would.
    assert answer["data"] == {
        "customer": {"name": "Acme Trading", "credit": {"rating": "A", "reviewer": None}}
    }
    assert [e["path"] for e in answer["errors"]] == [["customer", "credit", "reviewer", "name"]]


async def test_a_slow_subgraph_times_out_within_its_own_bound_and_says_so() -> None:
    async with a_federation(subgraph_timeout_s={"credit": 0.3}) as federation:
        federation.subgraphs["credit"].delay_s = 5
        started = time.perf_counter()
        answer = await federation.ask(CUSTOMERS_WITH_CREDIT)
        assert time.perf_counter() - started < 1.5
    assert [e["node"]["name"] for e in answer["data"]["customers"]["edges"]] == [
        "Acme Trading",
        "Blue River Foods",
        "Li Wei",
    ]
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"SUBGRAPH_TIMEOUT"}
    assert answer["errors"][0]["message"] == "subgraph credit did not answer within 0.3 s"
    assert answer["errors"][0]["path"] == ["customers", "edges", 0, "node", "credit"]


async def test_a_query_is_sent_once_more_when_its_pooled_connection_went_stale(
    federation: Federation,
) -> None:
    federation.lines["customer"].state = "stale"
    assert await federation.ask('{ customer(id: "c1") { name } }') == {
        "data": {"customer": {"name": "Acme Trading"}}
    }


async def test_a_mutation_is_never_sent_twice(federation: Federation) -> None:
    federation.lines["customer"].state = "stale"
    answer = await federation.ask(
        'mutation { registerCustomer(input: {name: "Twice?", kind: COMPANY}) { id } }'
    )
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    assert federation.request_counts()["customer"] == 0
