"""LOG_FORMAT=json: one object per line, with the service and the ids of what was being handled, and no more."""

import json
import logging

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from chassis.logs import JsonLines, Readable, bind, bound


def record(message: str, *, error: bool = False) -> logging.LogRecord:
    exc_info = None
    if error:
        try:
            raise ValueError("the ledger is away")
        except ValueError as e:
            exc_info = (type(e), e, e.__traceback__)
    return logging.LogRecord("crm.bus", logging.WARNING, __file__, 1, message, (), exc_info)


def test_a_json_line_carries_the_service_and_the_ids_bound_where_it_was_written() -> None:
    with bound(event_id="e-1", correlation_id="c-1", event_type="payment.received"):
        bind(user_id="rep-1")
        line = JsonLines("credit").format(record("retrying"))
    entry = json.loads(line)
    assert entry["service"] == "credit" and entry["level"] == "WARNING" and entry["message"] == "retrying"
    assert (entry["event_id"], entry["correlation_id"], entry["user_id"]) == ("e-1", "c-1", "rep-1")
    assert entry["time"].endswith("+00:00")


def test_fields_end_with_their_block_and_errors_keep_their_trace() -> None:
    with bound(request_id="r-1"):
        pass
    entry = json.loads(JsonLines("customer").format(record("failed", error=True)))
    assert "request_id" not in entry and "ValueError: the ledger is away" in entry["error"]


def test_the_readable_line_shows_the_ids_too() -> None:
    with bound(request_id="r-2"):
        assert Readable().format(record("hello")).endswith("crm.bus hello [request_id=r-2]")


def test_a_json_line_written_inside_a_trace_names_the_trace() -> None:
    caller = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=True)
    with trace.use_span(NonRecordingSpan(caller)):
        entry = json.loads(JsonLines("gateway").format(record("fetching")))
    assert entry["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "trace_id" not in json.loads(JsonLines("gateway").format(record("idle")))
