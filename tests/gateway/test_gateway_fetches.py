"""How many subgraph requests an operation costs, and which run at the same time."""

import asyncio
from collections.abc import Callable

from crm_federation import Federation, a_token


async def test_n_customers_with_credit_cost_one_customer_fetch_and_one_credit_fetch(
    federation: Federation,
) -> None:
    answer = await federation.ask("{ customers(first: 6) { edges { node { name credit { limitFen } } } } }")
    assert len(answer["data"]["customers"]["edges"]) == 6
    assert federation.request_counts() == {"customer": 1, "credit": 1, "ownership": 0}
    (entities,) = federation.operations("credit")
    assert [r["id"] for r in entities["variables"]["_gw_reps0"]] == ["c1", "c2", "c3", "c4", "c5", "c6"]


async def test_a_two_level_chain_costs_one_fetch_per_subgraph_per_level(federation: Federation) -> None:
    await federation.ask(
        "{ customers { edges { node { name credit { reviewer { name } } ownership { owner { name } } } } } }"
    )
    # level 0: customers · level 1: credit and ownership side by side · level 2: reviewers' names
    assert federation.request_counts() == {"customer": 1, "credit": 1, "ownership": 2}


async def test_independent_fetches_of_one_level_are_in_flight_together(federation: Federation) -> None:
    # Each subgraph holds its request until the other one's has arrived: run one after the other, they would
    # wait for each other until the barrier times out.
    barrier = asyncio.Barrier(2)
    federation.subgraphs["credit"].barrier = barrier
    federation.subgraphs["ownership"].barrier = barrier
    answer = await federation.ask('{ customer(id: "c1") { credit { rating } ownership { ownerId } } }')
    assert answer == {"data": {"customer": {"credit": {"rating": "A"}, "ownership": {"ownerId": "s1"}}}}


async def test_root_fields_of_different_subgraphs_are_fetched_together(federation: Federation) -> None:
    barrier = asyncio.Barrier(3)
    for recorded in federation.subgraphs.values():
        recorded.barrier = barrier
    answer = await federation.ask(
        '{ customer(id: "c3") { name } creditCheck(customerId: "c3", amountFen: 1) '
        '{ allowed } salesperson(id: "s1") { name } }'
    )
    assert "errors" not in answer
    assert federation.request_counts() == {"customer": 1, "credit": 1, "ownership": 1}


async def test_a_fetch_whose_fields_are_all_skipped_is_not_sent(federation: Federation) -> None:
    query = "query($c: Boolean!) { customers { edges { node { name credit @include(if: $c) { rating } } } } }"
    answer = await federation.ask(query, {"c": False})
    assert answer["data"]["customers"]["edges"][0] == {"node": {"name": "Acme Trading"}}
    assert federation.request_counts() == {"customer": 1, "credit": 0, "ownership": 0}


async def test_the_same_entity_twice_in_a_list_is_sent_once(federation: Federation) -> None:
    answer = await federation.ask('{ customersByIds(ids: ["c1", "c2", "c1"]) { credit { rating } } }')
    assert answer["data"]["customersByIds"] == [
        {"credit": {"rating": "A"}},
        {"credit": {"rating": "B"}},
        {"credit": {"rating": "A"}},
    ]
    (entities,) = federation.operations("credit")
    assert [r["id"] for r in entities["variables"]["_gw_reps0"]] == ["c1", "c2"]


async def test_an_unreachable_list_costs_no_entity_fetch(federation: Federation) -> None:
    await federation.ask('{ customersByIds(ids: ["nobody"]) { credit { rating } } }')
    assert federation.request_counts() == {"customer": 1, "credit": 0, "ownership": 0}


async def test_plans_are_cached_per_document_and_operation_name(federation: Federation) -> None:
    document = 'query A { customer(id: "c1") { name } } query B { customer(id: "c2") { name } }'
    for _ in range(3):
        await federation.ask(document, operation_name="A")
    assert federation.gateway.plans_built == 1
    answer = await federation.ask(document, operation_name="B")
    assert answer == {"data": {"customer": {"name": "Blue River Foods"}}}
    assert federation.gateway.plans_built == 2


async def test_mutation_fields_run_in_document_order_each_its_own_request(federation: Federation) -> None:
    """One field's failure must not hide what another committed: each runs as its own request, in order."""
    answer = await federation.ask(
        'mutation { a: registerCustomer(input: {name: "A", kind: COMPANY}) { id } '
        'b: registerCustomer(input: {name: "B", kind: INDIVIDUAL}) { id } }'
    )
    assert answer == {"data": {"a": {"id": "n9"}, "b": {"id": "n10"}}}
    assert federation.request_counts() == {"customer": 2, "credit": 0, "ownership": 0}
    sent = [r["query"] for r in federation.operations("customer")]
    assert ["a: registerCustomer" in sent[0], "b: registerCustomer" in sent[1]] == [True, True]


async def test_the_token_and_request_id_reach_every_subgraph_request(federation: Federation) -> None:
    response = await federation.post(
        '{ customer(id: "c1") { name credit { reviewer { name } } } }', headers={"x-request-id": "req-42"}
    )
    assert response.headers["x-request-id"] == "req-42"
    sent = [r["headers"] for name in ("customer", "credit", "ownership") for r in federation.operations(name)]
    assert len(sent) == 3
    assert {h["x-request-id"] for h in sent} == {"req-42"}
    assert {h["authorization"] for h in sent} == {response.request.headers["authorization"]}


async def test_a_request_id_is_made_up_when_the_client_sends_none(federation: Federation) -> None:
    response = await federation.post('{ customer(id: "c1") { name } }')
    made_up = response.headers["x-request-id"]
    assert len(made_up) == 32
    assert federation.operations("customer")[0]["headers"]["x-request-id"] == made_up


async def _all_waiting(waiting: Callable[[], int], callers: int) -> None:
    async with asyncio.timeout(10):
        while waiting() != callers:
            await asyncio.sleep(0.005)


def _at_subgraph(federation: Federation, subgraph: str) -> Callable[[], int]:
    return lambda: federation.gateway.clients[subgraph].waiting


async def test_identical_queries_in_flight_from_one_caller_share_one_execution(federation: Federation) -> None:
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    asks = [asyncio.create_task(federation.ask('{ customer(id: "c1") { name credit { rating } } }'))
            for _ in range(3)]
    await _all_waiting(lambda: federation.gateway.waiting, 3)
    gate.set()
    answers = await asyncio.gather(*asks)
    assert answers == [{"data": {"customer": {"name": "Acme Trading", "credit": {"rating": "A"}}}}] * 3
    assert federation.request_counts() == {"customer": 1, "credit": 1, "ownership": 0}


async def test_queries_differing_only_in_variables_are_each_executed(federation: Federation) -> None:
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    query = "query($id: ID!) { customer(id: $id) { name } }"
    asks = [asyncio.create_task(federation.ask(query, {"id": id_})) for id_ in ("c1", "c2")]
    await _all_waiting(_at_subgraph(federation, "customer"), 2)
    gate.set()
    assert [a["data"]["customer"]["name"] for a in await asyncio.gather(*asks)] == ["Acme Trading",
                                                                                  "Blue River Foods"]


async def test_different_operations_asking_one_subgraph_the_same_share_one_subgraph_request(
    federation: Federation,
) -> None:
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    documents = ['{ customer(id: "c1") { name } }', '{customer(id: "c1") {name}}', '{ customer(id: "c1") {name} }']
    asks = [asyncio.create_task(federation.ask(document)) for document in documents]
    await _all_waiting(_at_subgraph(federation, "customer"), 3)
    gate.set()
    answers = await asyncio.gather(*asks)
    assert answers == [{"data": {"customer": {"name": "Acme Trading"}}}] * 3
    assert federation.request_counts()["customer"] == 1


async def test_identical_queries_of_two_callers_are_each_sent(federation: Federation) -> None:
    """A subgraph decides what each caller may see: one caller's answer is never another's."""
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    asks = [asyncio.create_task(federation.ask('{ customer(id: "c1") { name } }', token=a_token(user)))
            for user in ("u1", "u2")]
    await _all_waiting(_at_subgraph(federation, "customer"), 2)
    gate.set()
    await asyncio.gather(*asks)
    assert federation.request_counts()["customer"] == 2


async def test_identical_mutations_in_flight_are_each_sent(federation: Federation) -> None:
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    mutation = 'mutation { registerCustomer(input: {name: "A", kind: COMPANY}) { id } }'
    asks = [asyncio.create_task(federation.ask(mutation)) for _ in range(2)]
    async with asyncio.timeout(10):
        while len(federation.operations("customer")) < 2:
            await asyncio.sleep(0.005)
    gate.set()
    ids = {answer["data"]["registerCustomer"]["id"] for answer in await asyncio.gather(*asks)}
    assert len(ids) == 2


async def test_a_caller_giving_up_does_not_cancel_the_request_others_wait_for(federation: Federation) -> None:
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    leaving, staying = (asyncio.create_task(federation.ask('{ customer(id: "c2") { name } }')) for _ in range(2))
    await _all_waiting(lambda: federation.gateway.waiting, 2)
    leaving.cancel()
    await _all_waiting(lambda: federation.gateway.waiting, 1)
    gate.set()
    assert await staying == {"data": {"customer": {"name": "Blue River Foods"}}}
    assert federation.request_counts()["customer"] == 1
