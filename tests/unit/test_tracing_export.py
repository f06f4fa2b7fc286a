"""OTEL_EXPORTER_OTLP_ENDPOINT set: spans leave the process over OTLP/HTTP to `<endpoint>/v1/traces`; unset, no
provider is made and nothing is recorded."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

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
