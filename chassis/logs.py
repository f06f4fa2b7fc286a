"""Logs: a readable line for a person at `crm dev`, one JSON object per line for a log pipeline
(`LOG_FORMAT=json`), each with what the process was doing: its service, and the request or event at hand.

What is attached is ids only (request, event, correlation, user): never a customer's fields, which belong in
the access log, not in logs many people read.
"""

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from opentelemetry import trace

LogFormat = Literal["text", "json"]

_bound: ContextVar[Mapping[str, str]] = ContextVar("crm_log_fields", default=MappingProxyType({}))


@contextlib.contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """These fields on every log line written inside the block (in this task and the tasks it starts)."""
    token = _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def bind(**fields: str | None) -> None:
    """These fields on every later log line of this task (for what is learnt midway, like the caller)."""
    _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})


class JsonLines(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "service": self._service, "logger": record.name, **_bound.get(),
                 "message": record.getMessage()}
        if (span := trace.get_current_span().get_span_context()).is_valid:  # to find the line from the trace
            entry["trace_id"] = format(span.trace_id, "032x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Readable(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _bound.get()
        return f"{line} [{' '.join(f'{k}={v}' for k, v in fields.items())}]" if fields else line


def configure(level: str, fmt: LogFormat, service: str) -> None:
    """The root logger's one handler; everything else (uvicorn's loggers included) propagates to it."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines(service) if fmt == "json" else Readable())
    logging.basicConfig(level=level, handlers=[handler], force=True)
