"""The published contracts: JSON Schema per event type and the AsyncAPI document.

Outside systems (finance, ERP) build their publishers from these files, so they must describe
exactly what the services accept: every sample the models produce validates against its schema,
an ERP's camelCase message parses into the inbound models, and bad messages are rejected by both
the schema and the model, naming the field.
"""

import json
import re
import types
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from contracts import EVENT_TYPES, INBOUND, INTERNAL, Envelope, Event
from contracts.export import asyncapi_document, export, to_yaml

# -- a small JSON Schema validator: the keywords pydantic emits, and nothing silently ignored ----

_ANNOTATIONS = {"title", "description", "default", "examples", "$schema", "$id", "$defs", "format"}


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), f"only local references are expected, got {ref}"
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _is_type(value: Any, name: str) -> bool:
    return {
        "object": lambda: isinstance(value, dict),
        "array": lambda: isinstance(value, list),
        "string": lambda: isinstance(value, str),
        "integer": lambda: isinstance(value, int) and not isinstance(value, bool),
        "number": lambda: isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": lambda: isinstance(value, bool),
        "null": lambda: value is None,
    }[name]()


def _is_datetime_with_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def schema_errors(schema: dict[str, Any], value: Any, root: dict[str, Any], path: tuple = ()) -> list[tuple]:
    """Every violation as (path, message); a missing property's path ends with its name."""
    unknown = set(schema) - _ANNOTATIONS - {
        "$ref", "type", "const", "enum", "properties", "required", "additionalProperties", "items",
        "anyOf", "oneOf", "allOf", "minLength", "maxLength", "pattern", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
    }  # fmt: skip
    assert not unknown, f"validator does not know {unknown} (at {path})"
    errors: list[tuple] = []
    if "$ref" in schema:
        errors += schema_errors(_resolve(root, schema["$ref"]), value, root, path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, n) for n in names):
            return errors + [(path, f"expected {schema['type']}, got {value!r}")]
    if "const" in schema and value != schema["const"]:
        errors.append((path, f"expected {schema['const']!r}"))
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, f"not one of {schema['enum']}"))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            matches = [s for s in schema[key] if not schema_errors(s, value, root, path)]
            if not matches or (key == "oneOf" and len(matches) > 1):
                errors.append((path, f"{key}: {len(matches)} branches match {value!r}"))
    for sub in schema.get("allOf", []):
        errors += schema_errors(sub, value, root, path)
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append((path + (name,), "required property is missing"))
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(properties[name], item, root, path + (name,))
            elif schema.get("additionalProperties") is False:
                errors.append((path + (name,), "additional property not allowed"))
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(schema["additionalProperties"], item, root, path + (name,))
    if isinstance(value, list):
        for i, item in enumerate(value):
            if "items" in schema:
                errors += schema_errors(schema["items"], item, root, path + (i,))
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            errors.append((path, "wrong number of items"))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append((path, "wrong length"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append((path, f"does not match {schema['pattern']}"))
        if schema.get("format") == "date-time" and not _is_datetime_with_offset(value):
            errors.append((path, "not an RFC 3339 date-time with offset"))
    if _is_type(value, "number"):
        for key, ok in (
            ("minimum", lambda b: value >= b),
            ("maximum", lambda b: value <= b),
            ("exclusiveMinimum", lambda b: value > b),
            ("exclusiveMaximum", lambda b: value < b),
        ):
            if key in schema and not ok(schema[key]):
                errors.append((path, f"violates {key} {schema[key]}"))
    return errors


# -- samples the models themselves produce ------------------------------------------------------

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def _value(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin is list:
        return [_value(typing.get_args(annotation)[0])]
    if annotation is bool:
        return True
    if annotation is int:
        return 4200
    if annotation is str:
        return "x-1"
    if annotation is AwareDatetime or annotation is datetime:
        return NOW
    if annotation is date:
        return NOW.date()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a part of an event (AccessEntry)
        return {name: _value(f.annotation) for name, f in annotation.model_fields.items()}
    raise AssertionError(f"no sample value for {annotation!r}: extend _value")


def sample(model: type[Event], *, optionals: bool) -> dict[str, Any]:
    """An event of `model` as it goes on the wire; optional fields filled in or left None."""
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if field.default is not PydanticUndefined and (field.default is not None or not optionals):
            fields[name] = field.default
        else:
            fields[name] = _value(field.annotation)
    event = model(**fields)
    return Envelope.wrap(event, source="crm/test", time=NOW, correlation_id="c-1").model_dump(
        mode="json", by_alias=True
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    directory = tmp_path_factory.mktemp("contracts") / "out"
    return directory, export(directory)


def load_schema(directory: Path, event_type: str) -> dict[str, Any]:
    return json.loads((directory / f"{event_type}.schema.json").read_text(encoding="utf-8"))


def test_export_writes_one_schema_per_event_type_and_an_asyncapi_document(exported):
    directory, paths = exported
    assert sorted(p.name for p in paths) == sorted(
        [f"{t}.schema.json" for t in EVENT_TYPES] + ["asyncapi.yaml", "openapi.json"]
    )
    assert all(p.parent == directory and p.is_file() for p in paths)
    assert (directory / "payment.received.schema.json").exists()


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_the_model_produces_validates_against_its_schema(exported, event_type):
    directory, _ = exported
    schema = load_schema(directory, event_type)
    model = EVENT_TYPES[event_type]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["type"]["const"] == event_type
    assert schema["properties"]["data"] == {
        "$ref": f"#/$defs/{model.__name__}",
        "description": schema["properties"]["data"]["description"],
    }
    assert {"specversion", "id", "source", "type", "time", "data"} <= set(schema["required"])
    for optionals in (True, False):
        body = sample(model, optionals=optionals)
        assert schema_errors(schema, body, schema) == [], body
    # camelCase on the wire, exactly the model's aliases
    data_properties = schema["$defs"][model.__name__]["properties"]
    assert set(data_properties) == {f.alias for f in model.model_fields.values()}


def test_a_schema_rejects_an_event_of_another_type(exported):
    directory, _ = exported
    schema = load_schema(directory, "payment.received")
    body = sample(EVENT_TYPES["invoice.issued"], optionals=True)
    errors = schema_errors(schema, body, schema)
    assert ("type",) in [path for path, _ in errors]


# -- contract test: what a (fictional) ERP sends ------------------------------------------------

ERP_MESSAGES = {
    "invoice.issued": """{
        "specversion": "1.0", "id": "kd-inv-2025-000317", "source": "erp://kingdee/ar",
        "type": "invoice.issued", "time": "2025-03-01T10:15:00+08:00", "subject": "c-1001",
        "datacontenttype": "application/json",
        "data": {"invoiceId": "INV-2025-000317", "customerId": "c-1001", "amountFen": 12500000,
                 "currency": "CNY", "issuedAt": "2025-03-01T10:00:00+08:00",
                 "dueAt": "2025-04-30T00:00:00+08:00", "salespersonId": "u-7",
                 "erpVoucher": "AR-88"}
    }""",
    "payment.received": """{
        "specversion": "1.0", "id": "kd-pay-2025-000912", "source": "erp://kingdee/treasury",
        "type": "payment.received", "time": "2025-03-20T16:02:11Z", "subject": "c-1001",
        "data": {"paymentId": "PAY-2025-000912", "customerId": "c-1001", "amountFen": 5000000,
                 "receivedAt": "2025-03-20T16:00:00Z", "invoiceIds": ["INV-2025-000317"]}
    }""",
    "note.received": """{
        "specversion": "1.0", "id": "kd-note-77", "source": "erp://kingdee/notes",
        "type": "note.received", "time": "2025-03-21T09:00:00+08:00",
        "data": {"noteId": "BA-77", "customerId": "c-1001", "amountFen": 3000000,
                 "maturesAt": "2025-09-21T00:00:00+08:00"}
    }""",
    "note.settled": """{
        "specversion": "1.0", "id": "kd-note-77-settled", "source": "erp://kingdee/notes",
        "type": "note.settled", "time": "2025-09-21T11:00:00+08:00", "data": {"noteId": "BA-77"}
    }""",
    "note.dishonoured": """{
        "specversion": "1.0", "id": "kd-note-78-dishonoured", "source": "erp://kingdee/notes",
        "type": "note.dishonoured", "time": "2025-09-22T11:00:00+08:00", "data": {"noteId": "BA-78"}
    }""",
}


def test_there_is_an_erp_sample_for_every_inbound_type():
    assert set(ERP_MESSAGES) == {m.type for m in INBOUND}


@pytest.mark.parametrize("event_type", sorted(ERP_MESSAGES))
def test_an_erp_message_in_camel_case_parses_into_the_inbound_model(exported, event_type):
    directory, _ = exported
    body = ERP_MESSAGES[event_type]
    schema = load_schema(directory, event_type)
    assert schema_errors(schema, json.loads(body), schema) == []
    model = EVENT_TYPES[event_type]
    envelope = Envelope[model].model_validate_json(body)
    assert isinstance(envelope.data, model)
    assert envelope.type == event_type and envelope.time.tzinfo is not None


def test_erp_payment_fields_land_on_the_snake_case_model():
    envelope = Envelope[EVENT_TYPES["payment.received"]].model_validate_json(ERP_MESSAGES["payment.received"])
    payment = envelope.data
    assert payment.payment_id == "PAY-2025-000912"
    assert payment.amount_fen == 5_000_000 and isinstance(payment.amount_fen, int)
    assert payment.currency == "CNY"
    assert payment.invoice_ids == ["INV-2025-000317"]
    assert payment.salesperson_id is None


def _broken(event_type: str, change) -> dict[str, Any]:
    body = json.loads(ERP_MESSAGES[event_type])
    change(body["data"])
    return body


MONEY_TYPES = sorted(m.type for m in INBOUND if "amount_fen" in m.model_fields)
BAD = [
    *[(t, "amountFen", lambda d: d.update(amountFen=-100)) for t in MONEY_TYPES],
    *[(t, "amountFen", lambda d: d.update(amountFen=0)) for t in MONEY_TYPES],
    *[(t, "amountFen", lambda d: d.update(amountFen=12.5)) for t in MONEY_TYPES],
    *[(t, "customerId", lambda d: d.pop("customerId")) for t in MONEY_TYPES],
    *[(t, "currency", lambda d: d.update(currency="USD")) for t in MONEY_TYPES],
    ("note.settled", "noteId", lambda d: d.pop("noteId")),
]


@pytest.mark.parametrize(
    ("event_type", "field", "change"), BAD, ids=[f"{t}-{f}-{i}" for i, (t, f, _) in enumerate(BAD)]
)
def test_an_invalid_inbound_message_is_rejected_naming_the_field(exported, event_type, field, change):
    directory, _ = exported
    body = _broken(event_type, change)
    schema = load_schema(directory, event_type)
    assert ("data", field) in [path for path, _ in schema_errors(schema, body, schema)]
    with pytest.raises(ValidationError) as caught:
        Envelope[EVENT_TYPES[event_type]].model_validate_json(json.dumps(body))
    assert ("data", field) in [error["loc"][:2] for error in caught.value.errors()]


def test_a_time_without_offset_is_rejected_by_schema_and_model(exported):
    directory, _ = exported
    body = _broken("payment.received", lambda d: d.update(receivedAt="2025-03-20T16:00:00"))
    schema = load_schema(directory, "payment.received")
    assert ("data", "receivedAt") in [path for path, _ in schema_errors(schema, body, schema)]
    with pytest.raises(ValidationError):
        Envelope[EVENT_TYPES["payment.received"]].model_validate_json(json.dumps(body))


# -- the AsyncAPI document ----------------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_asyncapi_has_a_channel_and_operation_per_event_type():
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["servers"]["rabbitmq"]["protocol"] == "amqp"
    channels = {c["address"]: c for c in doc["channels"].values()}
    assert set(channels) == set(EVENT_TYPES)
    for channel in channels.values():
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert channel["bindings"]["amqp"]["is"] == "routingKey"
        assert (exchange["name"], exchange["type"], exchange["durable"]) == ("crm.events", "topic", True)
    by_address = {_resolve(doc, op["channel"]["$ref"])["address"]: op for op in doc["operations"].values()}
    assert set(by_address) == set(EVENT_TYPES)
    for model in INBOUND:
        assert by_address[model.type]["action"] == "receive"
        assert by_address[model.type]["tags"] == [{"name": "inbound"}]
    for model in INTERNAL:
        assert by_address[model.type]["action"] == "send"
        assert by_address[model.type]["tags"] == [{"name": "internal"}]


def test_asyncapi_references_resolve_and_payloads_accept_real_events():
    doc = asyncapi_document()
    for ref in _refs(doc):
        _resolve(doc, ref)
    for channel in doc["channels"].values():
        (message_ref,) = channel["messages"].values()
        message = _resolve(doc, message_ref["$ref"])
        model = EVENT_TYPES[channel["address"]]
        payload = _resolve(doc, message["payload"]["$ref"])
        assert schema_errors(payload, sample(model, optionals=True), doc) == []
        for example in message.get("examples", []):
            assert schema_errors(payload, example["payload"], doc) == []
            Envelope[model].model_validate(example["payload"])
    inbound_messages = [
        m for m in doc["components"]["messages"].values() if EVENT_TYPES[m["name"]] in INBOUND
    ]
    assert all(m.get("examples") for m in inbound_messages)


def _read_block_yaml(text: str) -> Any:
    """A reader for the block YAML `to_yaml` writes (used when PyYAML is not installed)."""
    lines = [line for line in text.splitlines() if line.strip()]
    pos = 0

    def indent_of(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def split_key(rest: str) -> tuple[str, str] | None:
        match = re.match(r'("(?:[^"\\]|\\.)*"|[^":]+):(?: (.*))?$', rest)
        if not match:
            return None
        key = json.loads(match[1]) if match[1].startswith('"') else match[1]
        return key, match[2] or ""

    def scalar(raw: str) -> Any:
        if raw.startswith('"'):
            return json.loads(raw)
        if raw in ("{}", "[]", "null", "true", "false") or re.fullmatch(r"-?\d+(\.\d+)?", raw):
            return json.loads(raw)
        return raw

    def block(indent: int) -> Any:
        nonlocal pos
        if lines[pos][indent:].startswith("- "):
            items: list[Any] = []
            while (
                pos < len(lines) and indent_of(lines[pos]) == indent and lines[pos][indent:].startswith("- ")
            ):
                rest = lines[pos][indent + 2 :]
                if rest.startswith("- ") or split_key(rest):
                    lines[pos] = " " * (indent + 2) + rest
                    items.append(block(indent + 2))
                else:
                    items.append(scalar(rest))
                    pos += 1
            return items
        mapping: dict[str, Any] = {}
        while pos < len(lines) and indent_of(lines[pos]) == indent:
            parsed = split_key(lines[pos][indent:])
            assert parsed, f"not a mapping entry: {lines[pos]!r}"
            key, rest = parsed
            pos += 1
            mapping[key] = scalar(rest) if rest else block(indent_of(lines[pos]))
        return mapping

    document = block(0)
    assert pos == len(lines), f"unparsed from line {pos}: {lines[pos]!r}"
    return document


def test_asyncapi_yaml_is_the_document(exported):
    directory, _ = exported
    text = (directory / "asyncapi.yaml").read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        parsed = _read_block_yaml(text)
    else:
        parsed = yaml.safe_load(text)
    assert parsed == asyncapi_document()
    assert _read_block_yaml(text) == parsed


@pytest.mark.parametrize(
    "text",
    ["plain", "yes", "No", "null", "1.0", "a: b", "#x", "- x", "{x}", "", " x", "多行\n文本", "\u2028"],
)
def test_yaml_scalars_that_look_like_something_else_are_quoted(text):
    line = to_yaml({"k": text}).rstrip("\n")
    value = line.removeprefix("k: ")
    if value == text:
        assert re.fullmatch(r"[A-Za-z_$/][A-Za-z0-9_.$/ -]*", text) and text.lower() not in {
            "yes",
            "no",
            "null",
        }
    else:
        assert json.loads(value) == text


def test_the_http_binding_describes_the_intake_and_refers_only_to_inbound_schemas_that_exist(exported):
    directory, _ = exported
    document = json.loads((directory / "openapi.json").read_text(encoding="utf-8"))
    post = document["paths"]["/events"]["post"]
    refs = [ref["$ref"] for ref in post["requestBody"]["content"]["application/cloudevents+json"]["schema"]["oneOf"]]
    assert sorted(refs) == sorted(f"{model.type}.schema.json" for model in INBOUND)
    assert all((directory / ref).is_file() for ref in refs)
    assert {"202", "200", "400", "401", "413", "415", "429"} == set(post["responses"])
    assert {p["name"] for p in post["parameters"]} == {"X-Source", "Authorization", "X-Signature"}
