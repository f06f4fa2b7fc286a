"""The one table of input bounds: how long a text a person types may be, which characters it may hold,
how many items a list they enter may have. Every argument of every root field of every subgraph is
checked against it before a resolver runs; a value out of bounds is `VALIDATION` naming its field.

A text field is free text (a description, a summary, notes: up to `MAX_TEXT`, line breaks allowed) when
its GraphQL name is in `FREE_TEXT`; any other is a line (up to `MAX_LINE`, or its own bound in `LINE`).
Control characters (NUL included) are refused everywhere but line breaks and tabs in free text.
"""

import re
from typing import Any

from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

from chassis.errors import Invalid

MAX_LINE = 200  # a name, a title, an id, a code
MAX_TEXT = 4_000  # what a person writes: a description, a summary, a report
MAX_ITEMS = 50  # contacts, qualifications, measures, ids sent at once

FREE_TEXT = frozenset({
    "description", "summary", "note", "notes", "reason", "plan", "progress", "achievements", "problems",
    "nextSteps", "situation", "contacts", "justification", "comment", "survey", "businessScope",
    "customerAcknowledgement", "interests",
})
LINE = {"address": 500, "region": 50, "phone": 30, "email": 254, "creditCode": 30, "after": 500, "text": 100}
ITEMS = {"invoiceIds": 200, "representations": 100}
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")


def check(name: str, value: Any, path: str) -> None:
    """Check an argument (and everything in it) against the table; `name` is its GraphQL name, `path` what a
    refusal calls it."""
    if isinstance(value, str):
        _check_text(name, value, path)
    elif isinstance(value, list | tuple):
        most = ITEMS.get(name, MAX_ITEMS)
        if len(value) > most:
            raise Invalid(path, f"has {len(value)} items; at most {most}")
        for i, item in enumerate(value):
            check(name, item, f"{path}[{i}]")
    elif has_object_definition(value):
        for field in value.__strawberry_definition__.fields:
            graphql_name = field.graphql_name or to_camel_case(field.python_name)
            check(graphql_name, getattr(value, field.python_name, None),
                  f"{path}.{graphql_name}" if path != "input" else graphql_name)


def _check_text(name: str, value: str, path: str) -> None:
    free = name in FREE_TEXT
    most = MAX_TEXT if free else LINE.get(name, MAX_LINE)
    if len(value) > most:
        raise Invalid(path, f"is longer than {most} characters")
    if (_CONTROL if free else _CONTROL_IN_LINE).search(value):
        raise Invalid(path, "holds control characters" + ("" if free else " (line breaks belong in free text)"))
    if name == "email" and value and not EMAIL.fullmatch(value):
        raise Invalid(path, "is not an e-mail address")
