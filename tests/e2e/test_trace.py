"""One trace from a request into every service that reacts: the gateway, its fetch from the customer subgraph,
the subgraph's request, its commit, the outbox relay's publish, RabbitMQ, and the credit and ownership
consumers — joined by the W3C `traceparent` on HTTP and the CloudEvents tracing extension on the event. Spans
are collected in memory."""

import functools

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.e2e.test_links import REGISTER, REP
from tests.federation import federation
from tests.support import eventually

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"  # as the gateway (or any caller) would send it


@functools.cache
def collected() -> InMemorySpanExporter:
    """The process's tracer provider can be set once: every test that looks at spans shares this one."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


async def test_a_registration_through_the_gateway_is_one_trace_into_each_consumer(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    spans = collected()
    async with federation(mongo_url, amqp_url, unique, names=("customer", "credit", "ownership"),
                          default_token=REP) as crm:
        answer = await crm.gateway.client.post(
            "/graphql", json={"query": REGISTER}, headers={"authorization": f"Bearer {REP}", "traceparent": CALLER})
        assert answer.status_code == 200 and not answer.json().get("errors"), answer.text

        def ours() -> list:
            return [s for s in spans.get_finished_spans() if format(s.context.trace_id, "032x") == TRACE_ID]

        def consumers() -> set[str]:
            return {str(s.attributes.get("crm.service")) for s in ours() if s.name == "consume customer.registered"}

        await eventually(lambda: consumers() == {f"credit.{unique}", f"ownership.{unique}"}, timeout_s=30)
    trail = ours()
    by_id = {s.context.span_id: s for s in trail}

    def parent(span: ReadableSpan) -> ReadableSpan:
        return by_id[span.parent.span_id]

    def one(name: str, service: str | None = None) -> ReadableSpan:
        (found,) = [s for s in trail if s.name == name and s.attributes.get("crm.service", service) == service]
        return found

    gateway = one("POST /graphql", f"gateway.{unique}")
    assert format(gateway.parent.span_id, "016x") == "00f067aa0ba902b7"  # a child of the caller's span
    fetch = one("fetch customer")
    subgraph = one("POST /graphql", f"customer.{unique}")
    assert parent(fetch) is gateway and parent(subgraph) is fetch
    assert subgraph.attributes.get("graphql.operation.root_field") == "registerCustomer"
    # The event carries the context it was made in (CloudEvents' tracing extension): the relay's publish and
    # each consumer hang under the request that committed it.
    committed_in = {s.parent.span_id for s in trail if s.name == "commit"}
    assert subgraph.context.span_id in committed_in
    assert parent(one("publish customer.registered")) is subgraph
    for consumer in (s for s in trail if s.name == "consume customer.registered"):
        assert parent(consumer) is subgraph and consumer.context.span_id in committed_in
    spans.clear()
