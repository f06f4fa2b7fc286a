"""Traces with OpenTelemetry: one trace from a request through the store, the outbox and the broker into every
consumer that reacts, carried on HTTP by the `traceparent` header and on events by the CloudEvents
distributed-tracing extension (`traceparent`, `tracestate` on the envelope).

Off unless configured: with no tracer provider set, spans are not recorded and nothing is added to events.
`OTEL_EXPORTER_OTLP_ENDPOINT` exports over OTLP/HTTP;
`CRM_TRACE_CONSOLE=1` prints spans to the console (for `crm dev`).
"""

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import baggage, propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

tracer = trace.get_tracer("crm")
_NOT_RECORDING = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)


def recording() -> bool:
    """Whether a tracer provider is set (`configure`, or a test's own): without one no span is recorded."""
    return not isinstance(trace.get_tracer_provider(), _NOT_RECORDING)


def span(name: str, *, context: Context | None = None, **options: Any) -> contextlib.AbstractContextManager[Any]:
    """`tracer.start_as_current_span`, or nothing at all when no span would be recorded and `context` carries
    none to pass on: the hot paths (every request, event consumed, commit, publish) skip the no-op tracer's work,
    a fifth of a consumer's CPU per event."""
    if context is None and not recording():
        return contextlib.nullcontext()
    return tracer.start_as_current_span(name, context=context, **options)


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
    # What the propagators would find to write: a span context (a valid one; they skip the invalid) or baggage.
    if not trace.get_current_span().get_span_context().is_valid and not baggage.get_all():
        return carrier
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str | None]) -> Context | None:
    """The trace context a request's headers or an event's envelope carry (a malformed one starts afresh); None
    when they carry none and nothing is recorded here. Untraced, a carried context is still continued: what the
    request or event causes carries it on."""
    if not carrier.get("traceparent") and not recording():
        return None
    return propagate.extract({k: v for k, v in carrier.items() if v is not None})
