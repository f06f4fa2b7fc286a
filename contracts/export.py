"""Publish the event contracts for outside systems: JSON Schema per event type + one AsyncAPI 3.0 document.

`export(directory)` writes

- `<type>.schema.json` for every event type (e.g. `payment.received.schema.json`): a self-contained
  JSON Schema (draft 2020-12) of the CloudEvents 1.0 structured-JSON envelope whose `data` refers
  to the event's own schema (camelCase field names, exactly what goes on the wire);
- `asyncapi.yaml`: the RabbitMQ server, the topic exchange `crm.events`, one channel (address =
  routing key = event type) and one operation per event type. Inbound types (what finance/ERP
  publish) are `receive` operations of the CRM; internal types are `send` operations.
- `openapi.json`: the HTTP binding of the inbound types: credit's `POST /events` (CloudEvents structured
  and batched mode), its authentication headers and its answers, referring to the schemas above.

Both are generated from the pydantic models in `contracts/`, so they cannot drift from what the
services accept. Run it as `crm contracts export DIR` (or `python -m contracts.export DIR`).
"""

import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from contracts import EVENT_TYPES, INBOUND, INTERNAL
from contracts.envelope import Event, envelope_of

EXCHANGE = "crm.events"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_FILE = "asyncapi.yaml"
OPENAPI_FILE = "openapi.json"
AMQP_BINDING_VERSION = "0.3.0"

_ENVELOPE_DOCS = {
    "specversion": 'CloudEvents spec version: always "1.0".',
    "id": "Unique id of this event, chosen by the publisher. Keep it stable when re-sending the same "
    "event: a redelivered id is recognised and ignored.",
    "source": 'Who published the event, as a URI reference (e.g. "erp://finance", "crm/customer").',
    "type": "The event type; also the AMQP routing key.",
    "time": 'When the event happened: RFC 3339 with a UTC offset (e.g. "2025-03-01T10:00:00+08:00").',
    "subject": "The customer id the event is about, where there is one.",
    "datacontenttype": 'Always "application/json".',
    "correlationid": "Optional id tying the event to the request or flow that caused it.",
    "traceparent": "Optional W3C trace context (CloudEvents distributed-tracing extension): the consumers' "
    "work joins the publisher's trace.",
    "tracestate": "Optional W3C trace state that goes with `traceparent`.",
    "data": "The event's payload; field names are camelCase.",
}


def export(directory: Path) -> list[Path]:
    """Write one `<type>.schema.json` per event type and `asyncapi.yaml` into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for event_type, model in sorted(EVENT_TYPES.items()):
        path = directory / f"{event_type}.schema.json"
        path.write_text(
            json.dumps(event_schema(model), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(path)
    path = directory / ASYNCAPI_FILE
    path.write_text(to_yaml(asyncapi_document()), encoding="utf-8")
    written.append(path)
    path = directory / OPENAPI_FILE
    path.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    return written


def openapi_document() -> dict[str, Any]:
    """OpenAPI 3.1 of credit's HTTP intake: the inbound events over the CloudEvents HTTP binding."""
    event = {"oneOf": [{"$ref": f"{model.type}.schema.json"} for model in INBOUND]}
    result = {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "string"}, "status": {"enum": ["accepted", "duplicate", "invalid"]},
        "field": {"type": "string", "description": "invalid: the field at fault (e.g. data.amountFen)"},
        "reason": {"type": "string"}}}
    refused = {"description": "nothing stored", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}}}}}}
    header = {"in": "header", "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "CRM finance intake", "version": _version(),
                 "description": "Invoices, payments and notes over HTTPS, as the same events go over AMQP "
                                "(asyncapi.yaml). An event is answered only once it is stored; sending it again "
                                "with the same id changes nothing."},
        "paths": {"/events": {"post": {
            "summary": "Finance events (CloudEvents 1.0, structured or batched mode)",
            "parameters": [
                header | {"name": "X-Source", "required": True,
                          "description": "the sending system, as configured (CREDIT_INTAKE_SOURCES); its events "
                                         "must carry it as their `source`"},
                header | {"name": "Authorization", "description": "`Bearer <token>` where the source has a token"},
                header | {"name": "X-Signature", "description": "`sha256=<hex HMAC-SHA256 of the body>` where the "
                                                               "source has an HMAC secret"}],
            "requestBody": {"required": True, "content": {
                "application/cloudevents+json": {"schema": event},
                "application/cloudevents-batch+json": {"schema": {"type": "array", "items": event,
                                                                  "minItems": 1, "maxItems": 100}}}},
            "responses": {
                "202": {"description": "structured: accepted (stored, will be published)",
                        "content": {"application/json": {"schema": result}}},
                "200": {"description": "structured: a duplicate of an accepted event; batched: one result per "
                                       "event, in order", "content": {"application/json": {"schema": {
                                           "oneOf": [result, {"type": "object", "properties": {
                                               "results": {"type": "array", "items": result}}}]}}}},
                "400": {"description": "structured: invalid (the field named); or a body that is not JSON",
                        "content": {"application/json": {"schema": result}}},
                "401": refused | {"description": "unknown source, or its token or signature does not match: "
                                                 "nothing stored"},
                "413": refused | {"description": "an empty batch, or more events than allowed"},
                "415": refused | {"description": "neither content type above"},
                "429": refused | {"description": "the source sends too fast (see Retry-After)"}}}}}}


# -- JSON Schema -------------------------------------------------------------------------------


def data_schema(
    model: type[Event], ref_template: str = "#/$defs/{model}"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema of an event's `data` (by alias) and the definitions it refers to."""
    schema = model.model_json_schema(by_alias=True, ref_template=ref_template)
    defs = schema.pop("$defs", {})
    for definition in [schema, *defs.values()]:
        _drop_property_titles(definition)
    return schema, defs


def envelope_schema(model: type[Event], data_ref: str) -> dict[str, Any]:
    """The CloudEvents envelope of `model`, its `data` a `$ref` to `data_ref`."""
    schema = envelope_of(model).model_json_schema(by_alias=True)
    schema.pop("$defs", None)
    _drop_property_titles(schema)
    properties = schema["properties"]
    for name, description in _ENVELOPE_DOCS.items():
        properties[name]["description"] = description
    properties["type"] = {"const": model.type, "type": "string", "description": _ENVELOPE_DOCS["type"]}
    properties["data"] = {"$ref": data_ref, "description": _ENVELOPE_DOCS["data"]}
    # CloudEvents makes specversion REQUIRED; our parser would default it, publishers must send it.
    schema["required"] = ["specversion", *[r for r in schema["required"] if r != "specversion"]]
    schema["title"] = f"{model.type} (CloudEvents 1.0)"
    schema["description"] = f"{_direction(model)} {_doc(model)}".strip()
    return schema


def event_schema(model: type[Event]) -> dict[str, Any]:
    """Self-contained JSON Schema document for one event type: envelope + its `data`."""
    data, defs = data_schema(model)
    envelope = envelope_schema(model, f"#/$defs/{model.__name__}")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:crm:events:{model.type}",
        **envelope,
        "$defs": {model.__name__: data, **defs},
    }


def _drop_property_titles(schema: dict[str, Any]) -> None:
    """pydantic titles every property from its alias ("Amountfen"): noise for readers, so drop it."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _direction(model: type[Event]) -> str:
    if model in INBOUND:
        return (
            f"Inbound: finance/ERP publishes it to the topic exchange `{EXCHANGE}` with routing key "
            f"`{model.type}`; CRM services consume it."
        )
    return f"Internal: a CRM service publishes it to `{EXCHANGE}` with routing key `{model.type}`."


# -- AsyncAPI ----------------------------------------------------------------------------------


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 description of everything on `crm.events`, from the CRM's point of view."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for model in (*INBOUND, *INTERNAL):
        key = _key(model.type)
        data, defs = data_schema(model, ref_template="#/components/schemas/{model}")
        schemas[model.__name__] = data
        schemas.update(defs)
        schemas[f"{model.__name__}Event"] = envelope_schema(model, f"#/components/schemas/{model.__name__}")
        inbound = model in INBOUND
        message: dict[str, Any] = {
            "name": model.type,
            "title": _title(model.type),
            "summary": _doc(model) or _title(model.type),
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{model.__name__}Event"},
            "correlationId": {"location": "$message.payload#/correlationid"},
            "bindings": {"amqp": {"messageType": model.type, "bindingVersion": AMQP_BINDING_VERSION}},
        }
        if inbound and (example := example_event(model)) is not None:
            message["examples"] = [{"name": f"{key}Example", "payload": example}]
        messages[key] = message
        channels[key] = {
            "address": model.type,
            "title": model.type,
            "description": _direction(model),
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": _channel_binding()},
        }
        if inbound:
            description = (
                f"What finance/ERP sends: publish a CloudEvents JSON body to exchange `{EXCHANGE}` with "
                f"routing key `{model.type}`, content type application/json, persistent delivery "
                "(delivery mode 2) and publisher confirms. Keep the envelope `id` stable when you retry: "
                "a message whose id was already processed is ignored. A body that does not match the "
                "schema is rejected to the consumer's dead-letter queue, never half-applied."
            )
        else:
            description = (
                "Published by a CRM service through its transactional outbox once the change has "
                "committed (at least once; consumers deduplicate on the envelope `id`)."
            )
        operations[f"{'receive' if inbound else 'send'}{key[0].upper()}{key[1:]}"] = {
            "action": "receive" if inbound else "send",
            "title": f"{'Receive' if inbound else 'Publish'} {model.type}",
            "summary": _doc(model) or _title(model.type),
            "description": description,
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "tags": [{"name": "inbound" if inbound else "internal"}],
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CRM events",
            "version": _version(),
            "description": (
                f"Every event on the RabbitMQ topic exchange `{EXCHANGE}`; the routing key is the event "
                "type. Bodies are CloudEvents 1.0 structured JSON (`specversion`, `id`, `source`, `type`, "
                "`time`, `subject`, `datacontenttype`, `data`, plus `correlationid`) with camelCase `data` "
                "fields. Money is an integer number of fen (0.01 CNY) in `amountFen`; times are RFC 3339 "
                "with a UTC offset.\n\nOutside systems (finance, ERP) publish the operations tagged "
                "`inbound`; the ones tagged `internal` are published by the CRM services themselves."
            ),
            "tags": [
                {"name": "inbound", "description": "Published by finance/ERP, consumed by the CRM."},
                {"name": "internal", "description": "Published by a CRM service for the others."},
            ],
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "{host}:{port}",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": f"The CRM's RabbitMQ broker; all events go through the topic exchange `{EXCHANGE}`.",
                "variables": {
                    "host": {"default": "localhost", "description": "Broker host name."},
                    "port": {"default": "5672", "description": "AMQP port."},
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _channel_binding() -> dict[str, Any]:
    return {
        "is": "routingKey",
        "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
        "bindingVersion": AMQP_BINDING_VERSION,
    }


def _key(event_type: str) -> str:
    """`credit.alert_raised` -> `creditAlertRaised`: an id safe for every AsyncAPI map."""
    first, *rest = re.split(r"[._]", event_type)
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _title(event_type: str) -> str:
    return event_type.replace(".", " ").replace("_", " ").capitalize()


def _version() -> str:
    try:
        return version("crm")
    except PackageNotFoundError:
        return "0.1.0"


# -- examples ----------------------------------------------------------------------------------

_EXAMPLE_TIME = "2025-03-01T10:00:00+08:00"
_EXAMPLE_DUE = "2025-04-30T00:00:00+08:00"


def example_event(model: type[Event]) -> dict[str, Any] | None:
    """A plausible envelope for `model` (JSON-ready), checked against the model; None if none could be made."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.default is not PydanticUndefined and field.default is not None:
            data[field.alias or name] = field.default
            continue
        value = _example_value(name, field.annotation)
        if value is _NO_EXAMPLE:
            return None
        data[field.alias or name] = value
    body = {
        "specversion": "1.0",
        "id": f"{'erp' if model in INBOUND else 'crm'}-evt-0001",
        "source": "erp://finance" if model in INBOUND else f"crm/{model.type.split('.')[0]}",
        "type": model.type,
        "time": _EXAMPLE_TIME,
        "subject": data.get("customerId"),
        "datacontenttype": "application/json",
        "data": data,
    }
    try:
        return envelope_of(model).model_validate(body).model_dump(mode="json", by_alias=True)
    except ValidationError:
        return None


_NO_EXAMPLE = object()


def _example_value(name: str, annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _example_value(name, options[0]) if options else None
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        return [_example_value(name.removesuffix("s"), item)]
    if isinstance(annotation, type) and issubclass(annotation, bool):
        return True
    if isinstance(annotation, type) and issubclass(annotation, int):
        if name.endswith("_fen"):
            return 1_250_000
        return {"term_days": 60, "level": 80, "version": 2}.get(name, 1)
    if annotation is AwareDatetime or isinstance(annotation, type) and issubclass(annotation, datetime):
        return _EXAMPLE_DUE if name in ("due_at", "matures_at") else _EXAMPLE_TIME
    if annotation is str:
        if name.endswith(("_id", "_ids")):
            return f"{name.removesuffix('_ids').removesuffix('_id').replace('_', '-')}-0001"
        return f"example-{name.replace('_', '-')}"
    return _NO_EXAMPLE


# -- YAML --------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_$/](?:[A-Za-z0-9_.$/ -]*[A-Za-z0-9_.$/-])?")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def to_yaml(document: Any) -> str:
    """Block-style YAML for JSON-like data (dicts, lists, str, int, float, bool, None)."""
    if isinstance(document, (dict, list)) and document:
        return "\n".join(_yaml_lines(document, 0)) + "\n"
    return _yaml_scalar(document) + "\n"


def _yaml_lines(node: Any, indent: int) -> Iterator[str]:
    pad = "  " * indent
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)) and value:
                yield f"{pad}{_yaml_scalar(str(key))}:"
                yield from _yaml_lines(value, indent + 1)
            else:
                yield f"{pad}{_yaml_scalar(str(key))}: {_yaml_scalar(value)}"
    else:
        for item in node:
            if isinstance(item, (dict, list)) and item:
                first, *rest = _yaml_lines(item, indent + 1)
                yield f"{pad}- {first[len(pad) + 2 :]}"
                yield from rest
            else:
                yield f"{pad}- {_yaml_scalar(item)}"


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    # A JSON string is a valid YAML double-quoted scalar; escape the characters YAML 1.1 calls breaks.
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("\u0085", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m contracts.export DIR", file=sys.stderr)
        return 2
    for path in export(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
