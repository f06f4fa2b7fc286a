"""OTEL_EXPORTER_OTLP_ENDPOINT set: spans leave the process over OTLP/HTTP to `<endpoint>/v1/traces`; unset, no
provider is made and nothing is recorded."""

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from chassis.tracing import provider_from_environment

RECEIVED: list[tuple[str, str, int]] = []  # path, content type, body size of each request


class Collector(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        RECEIVED.append((self.path, self.headers["content-type"], len(body)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_spans_are_exported_over_otlp_http_to_the_configured_endpoint(collector: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector)
    RECEIVED.clear()
    provider = provider_from_environment("credit")
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("consume payment.received"):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    ((path, content_type, size),) = RECEIVED
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf") and size > 0


def test_without_an_endpoint_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("CRM_TRACE_CONSOLE", raising=False)
    assert provider_from_environment("credit") is None


def test_a_process_that_records_nothing_still_carries_on_the_trace_it_is_given() -> None:
    """Untraced, a request or event opens no span, yet what it causes carries the caller's trace on; one that
    carries no trace adds none. A fresh process: a test's tracer provider is the whole process's."""
    script = """
from chassis import tracing
assert not tracing.recording()
given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
with tracing.span("consume", context=tracing.context_from({"traceparent": given})):
    print(tracing.carried().get("traceparent"))
with tracing.span("consume", context=tracing.context_from({"traceparent": None})):
    print(tracing.carried())
"""
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parents[2]).stdout.splitlines()
    assert printed == ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "{}"]
