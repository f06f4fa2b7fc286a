"""The event bus every service publishes to and consumes from.

Two implementations share these semantics: `RabbitBus` (aio-pika, production and the tests of the
bus) and `InProcessBus` (embedded `crm dev` without `AMQP_URL`).

- `publish` returns only once the broker has confirmed the message (persistent, routing key =
  event type, message id = envelope id).
- `subscribe(service, handlers, subject)` consumes the service's own events: those of the types it
  handles. A message is acknowledged only after its handler returned; a handler is responsible for
  committing its effect (and its inbox entry) before it returns. `subject` names the customer an
  event is about: on RabbitMQ, one customer's events are worked by one replica at a time.
- A body that does not parse as `Envelope[<its type>]` goes to `crm.<service>.dead` at once,
  with the reason. A handler that raises is retried after each of `retry_delays_s`, then
  dead-lettered with the last error as its reason.
- `listen(service, event_types, listener)` hands every replica a copy of each event of those types, at most
  once, acknowledged on arrival: for live views (a subscription's feed) whose record is kept elsewhere.
"""

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from contracts.envelope import Envelope, Event, envelope_of

Handler = Callable[[Envelope[Any]], Awaitable[None]]
Subject = Callable[[Envelope[Any]], Awaitable[str | None]]  # the customer an event is about; None: nobody's
Listener = Callable[[bytes], Awaitable[None]]  # a live copy of an event's body; nothing is retried
DeadLettered = Callable[[bytes, str], Awaitable[None]]  # told of a body dead-lettered, and why (after the copy is safe)


async def unheard(body: bytes, reason: str) -> None:
    """A subscriber that keeps no record of its dead letters (the dead-letter queue is the record)."""
EXCHANGE = "crm.events"
CONTENT_TYPE = "application/cloudevents+json"

# Headers a retried or dead-lettered copy carries, so operators see why and how often it failed.
ATTEMPTS_HEADER = "x-crm-attempts"
LAST_ERROR_HEADER = "x-crm-last-error"
REASON_HEADER = "x-crm-reason"
FAILED_AT_HEADER = "x-crm-failed-at"
ROUTING_KEY_HEADER = "x-crm-routing-key"
# The customer an event is about, as the AMQP binding of CloudEvents names the `subject` attribute: the key
# that picks a service's partition. A publisher may set it; a consumer that finds it missing or wrong moves
# the message to the right partition itself.
SUBJECT_HEADER = "cloudEvents:subject"


def entrance_name(service: str) -> str:
    """The service's own exchange: it takes the service's types from `crm.events` and hashes each message by
    its subject into one of the partitions (RabbitMQ only). Publishing here reaches this service alone."""
    return f"crm.{service}"


def partition_queue_name(service: str, partition: int) -> str:
    return f"crm.{service}.{partition}"


def dead_letter_queue_name(service: str) -> str:
    return f"crm.{service}.dead"


def retry_queue_name(service: str, delay_ms: int) -> str:
    """Where a failed message waits `delay_ms` before it returns to its partition (RabbitMQ only)."""
    return f"crm.{service}.retry.{delay_ms}ms"


def retry_delay_s(failed_attempts: int, retry_delays_s: Sequence[float]) -> float | None:
    """How long to wait after the `failed_attempts`-th failure before trying again; None: give up."""
    return retry_delays_s[failed_attempts - 1] if failed_attempts <= len(retry_delays_s) else None


def failure_reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def stated_subject(envelope: Envelope[Any]) -> str | None:
    """The customer the event itself names (a service that can find others' says so in `subscribe`)."""
    return envelope.data.subject() or envelope.subject


class Poison(Exception):
    """A message no retry can fix: it is dead-lettered at once with this reason."""


def decode(body: bytes, handlers: Mapping[type[Event], Handler]) -> tuple[Envelope[Any], Handler]:
    """Parse a message body into its typed envelope and pick its handler, or raise `Poison`."""
    by_type = {event_type.type: (event_type, handler) for event_type, handler in handlers.items()}
    envelope_type = _peek_type(body)
    if envelope_type not in by_type:
        raise Poison(f"no handler for event type {envelope_type!r}")
    event_type, handler = by_type[envelope_type]
    try:
        return envelope_of(event_type).model_validate_json(body), handler
    except ValidationError as e:
        raise Poison(f"invalid {envelope_type} event: {_describe(e)}") from e


def _peek_type(body: bytes) -> str:
    try:
        parsed = json.loads(body)
    except ValueError as e:
        raise Poison(f"body is not JSON: {e}") from e
    if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
        raise Poison("body is not a CloudEvents envelope: no string 'type'")
    return parsed["type"]


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors(include_url=False)
    )


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def is_ready(self) -> bool: ...

    async def publish(self, body: bytes, *, event_type: str, message_id: str, subject: str | None = None) -> None: ...

    async def subscribe(self, service: str, handlers: Mapping[type[Event], Handler],
                        subject: Subject = stated_subject, dead_lettered: DeadLettered = unheard) -> None: ...

    async def listen(self, service: str, event_types: Sequence[str], listener: Listener) -> None: ...
