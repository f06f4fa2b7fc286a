"""The gateway's `/metrics`: operations by root field and outcome, errors by code, and its requests to each
subgraph by outcome, with their time, and the operations and subgraph requests an identical one in flight
answered."""

import asyncio

from crm_federation import Federation
from prometheus_client.parser import text_string_to_metric_families


async def scrape(federation: Federation) -> dict[tuple[str, frozenset], float]:
    text = (await federation.client.get("/metrics")).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def grown(before: dict, after: dict, name: str, **labels: str) -> float:
    """How much a metric grew (the registry is the process's: other tests count into it too)."""
    def total(samples: dict) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)
    return total(after) - total(before)


async def test_metrics_count_operations_errors_and_subgraph_fetches(federation: Federation) -> None:
    before = await scrape(federation)
    await federation.ask('{ customer(id: "c1") { name credit { rating } } }')
    federation.subgraphs["customer"].gate = gate = asyncio.Event()
    # two identical operations and a third asking the customer subgraph the same: one execution shared, one fetch
    same = [asyncio.create_task(federation.ask(document))
            for document in ('{ customer(id: "c2") { name } }',) * 2 + ('{customer(id: "c2") {name}}',)]
    async with asyncio.timeout(10):
        while (federation.gateway.waiting, federation.gateway.clients["customer"].waiting) != (3, 2):
            await asyncio.sleep(0.005)
    gate.set()
    await asyncio.gather(*same)
    federation.lines["credit"].state = "down"
    await federation.ask('{ creditCheck(customerId: "c1", amountFen: 1) { allowed } }')
    await federation.ask('{ customer(id: "c1") { name } }', token=None)
    after = await scrape(federation)

    customer = {"service": "gateway", "operation": "customer"}
    assert grown(before, after, "crm_graphql_operations_total", **customer, outcome="ok") == 4
    assert grown(before, after, "crm_graphql_operations_total", service="gateway", operation="creditCheck",
                 outcome="error") == 1
    assert grown(before, after, "crm_graphql_errors_total", service="gateway", code="SUBGRAPH_UNAVAILABLE") == 1
    assert grown(before, after, "crm_graphql_errors_total", service="gateway", code="UNAUTHENTICATED") == 1
    assert 0 < grown(before, after, "crm_graphql_operation_seconds_sum", **customer) < 60
    assert grown(before, after, "crm_gateway_subgraph_fetches_total", subgraph="customer", outcome="ok") == 2
    assert grown(before, after, "crm_gateway_subgraph_fetches_total", subgraph="credit", outcome="ok") == 1
    assert grown(before, after, "crm_gateway_subgraph_fetches_total", subgraph="credit", outcome="unavailable") == 1
    assert grown(before, after, "crm_gateway_subgraph_fetch_seconds_count", subgraph="customer") == 2
    assert grown(before, after, "crm_gateway_shared_fetches_total", subgraph="customer") == 1
    assert grown(before, after, "crm_gateway_shared_operations_total") == 1
