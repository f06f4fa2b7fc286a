"""Traces with OpenTelemetry: one trace from a request through the store, the outbox and the broker into every
consumer that reacts, carried on HTTP by the `traceparent` header and on events by the CloudEvents
distributed-tracing extension (`traceparent`, `tracestate` on the envelope).

Off unless configured: with no tracer provider set, spans are not recorded and nothing is added to events.
`OTEL_EXPORTER_OTLP_ENDPOINT` exports over OTLP/HTTP;
`CRM_TRACE_CONSOLE=1` prints spans to the console (for `crm dev`).
"""

import os
from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

tracer = trace.get_tracer("crm")


def configure(service: str) -> None:
    """The process's tracer provider, from the environment (once, at start)."""
    if (provider := provider_from_environment(service)) is not None:
        trace.set_tracer_provider(provider)


def provider_from_environment(service: str) -> TracerProvider | None:
    """OTLP over HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the console with `CRM_TRACE_CONSOLE=1`; None when
    neither is asked for."""
    endpoint, console = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"), os.environ.get("CRM_TRACE_CONSOLE") == "1"
    if not endpoint and not console:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if console:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    if endpoint:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # it reads the OTEL_* settings
    return provider


def carried() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`, `tracestate`); empty when nothing is traced."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str | None]) -> Context:
    """The trace context a request's headers or an event's envelope carry (a malformed one starts afresh)."""
    return propagate.extract({k: v for k, v in carrier.items() if v is not None})
