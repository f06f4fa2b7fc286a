"""The CloudEvents 1.0 envelope (structured JSON) and the base of every event's `data`.

An event type is a pydantic model with a `type` class attribute; its fields are camelCase on the
wire. `Envelope[E]` parses a message body and validates its `data` as `E` in one step.
"""

import functools
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Event(BaseModel):
    """The `data` of one event type. Subclasses set `type` (the routing key)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")
    type: ClassVar[str]

    def subject(self) -> str | None:
        """The CloudEvents `subject`: the customer the event is about."""
        return getattr(self, "customer_id", None)


E = TypeVar("E", bound=Event)


class Envelope(BaseModel, Generic[E]):
    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    type: str
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    correlationid: str | None = None
    # The CloudEvents distributed-tracing extension (W3C trace context); a malformed one is ignored, not refused.
    traceparent: str | None = Field(None, max_length=512)
    tracestate: str | None = Field(None, max_length=512)
    data: E

    @classmethod
    def wrap(
        cls, data: Event, *, source: str, time: datetime, correlation_id: str | None = None, id: str | None = None,
        trace: Mapping[str, str] | None = None,
    ) -> "Envelope[Any]":
        return envelope_of(type(data))(
            id=id or str(uuid.uuid4()),
            source=source,
            type=data.type,
            time=time,
            subject=data.subject(),
            correlationid=correlation_id,
            traceparent=(trace or {}).get("traceparent"),
            tracestate=(trace or {}).get("tracestate"),
            data=data,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


@functools.cache
def envelope_of(event_type: type[Event]) -> type[Envelope[Any]]:
    """`Envelope[event_type]`, kept: pydantic holds a parametrised model weakly and builds it again, slowly (a
    millisecond), after every garbage collection that finds it unused."""
    return Envelope[event_type]  # type: ignore[valid-type]
