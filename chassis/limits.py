"""What one GraphQL operation may ask for, checked the same way by the gateway and by every subgraph.

In the order they are checked, each before the work it protects:
- the document's size in bytes, before it is read;
- its tokens, counted by a regular expression before it is parsed, and while it is parsed (graphql-core stops
  at the limit);
- depth, aliases and field selections, before validation (validation is quadratic in repeated fields);
- its cost, once valid and with its variables: every field costs 1, and a list field multiplies the cost
  of what is selected under it by its page size (`first`, given or by default) or, for a list without
  pages, by the size its field declares (`@listSize(assumedSize:)`, Federation's cost directive) or else
  `assumed_list_size` (the lists inside a document: contacts, history, steps). Introspection costs
  nothing (the schema bounds it; depth limits it).

A refusal is a `LIMIT` error naming the limit and the measure (`extensions.cost` for the cost).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_list_type,
    is_non_null_type,
    parse,
    value_from_ast_untyped,
)
from graphql.language import VariableNode

PAGE_ARGUMENT = "first"


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int = 32_768
    max_tokens: int = 5_000
    max_depth: int = 15  # the standard introspection query needs about 13
    max_aliases: int = 50
    max_fields: int = 1_000  # field selections in the document, fragments counted once
    max_cost: int = 10_000
    assumed_list_size: int = 10

ListSizes = Mapping[tuple[str, str], int]  # (type, field) → its @listSize(assumedSize:)


class LimitExceeded(GraphQLError):
    def __init__(self, message: str, **measures: object) -> None:
        super().__init__(message, extensions={"code": "LIMIT", **measures})


def parse_within(query: str, limits: Limits) -> DocumentNode:
    """The document, if it is small enough to read; LimitExceeded or a GraphQLError (syntax) otherwise."""
    size = len(query.encode("utf-8", "surrogatepass"))
    if size > limits.max_document_bytes:
        raise LimitExceeded(f"the document has {size} bytes; the limit is {limits.max_document_bytes}",
                            limit="max_document_bytes")
    if len(query) > limits.max_tokens and _tokens(query) > limits.max_tokens:  # a short one cannot have more
        raise LimitExceeded(f"the document has more than {limits.max_tokens} tokens", limit="max_tokens")
    try:
        return parse(query, max_tokens=limits.max_tokens)
    except GraphQLError as e:
        if "tokens. parsing aborted" in e.message.lower():  # graphql-core stopped at max_tokens
            raise LimitExceeded(f"the document has more than {limits.max_tokens} tokens",
                                limit="max_tokens") from e
        raise


# GraphQL's tokens as graphql-core counts them (strings whole, comments too, commas not), at the speed of `re`:
# graphql-core needs some 30 ms of the event loop to count to 5,000 itself.
_TOKEN = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|[_A-Za-z][_0-9A-Za-z]*|-?\d[\d.eE+-]*'
                    r"|\.\.\.|[!$&()\[\]{}:=@|]|#[^\n\r]*")


def _tokens(query: str) -> int:
    return len(_TOKEN.findall(query))


def shape_errors(document: DocumentNode, limits: Limits, *, reserved_prefix: str | None = None) -> list[GraphQLError]:
    """Depth, aliases and field selections of every operation, before validation."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    fields = sum(_count_fields(d.selection_set) for d in document.definitions
                 if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode))
    errors: list[GraphQLError] = []
    if fields > limits.max_fields:
        errors.append(LimitExceeded(f"the document selects {fields} fields; the limit is {limits.max_fields}",
                                    limit="max_fields"))
        return errors  # measured no further: it is refused
    measure = _Measure(fragments)
    for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
        depth = measure.depth(operation.selection_set)
        if depth > limits.max_depth:
            errors.append(LimitExceeded(f"the operation is {depth} fields deep; the limit is {limits.max_depth}",
                                        limit="max_depth"))
        aliases, reserved = measure.aliases(operation.selection_set, reserved_prefix)
        if aliases > limits.max_aliases:
            errors.append(LimitExceeded(f"the operation uses {aliases} aliases; the limit is {limits.max_aliases}",
                                        limit="max_aliases"))
        if reserved:
            errors.append(GraphQLError(f"aliases starting with {reserved_prefix} are reserved by the gateway",
                                       extensions={"code": "GRAPHQL_VALIDATION_FAILED"}))
    return errors


def cost_error(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
               variables: Mapping[str, Any] | None, limits: Limits, list_sizes: ListSizes) -> LimitExceeded | None:
    """The operation's cost against the budget (a valid document: validation ran first)."""
    root = schema.get_root_type(operation.operation)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    cost = _Cost(schema, fragments, variables or {}, limits, list_sizes).of(operation.selection_set, root)
    if cost > limits.max_cost:
        return LimitExceeded(f"the operation costs {cost}; the budget is {limits.max_cost} (a list multiplies what "
                             f"is under it by its page size)", limit="max_cost", cost=cost)
    return None


def _count_fields(selection_set: SelectionSetNode | None) -> int:
    count, pending = 0, [selection_set]
    while pending:
        current = pending.pop()
        for node in current.selections if current else ():
            count += isinstance(node, FieldNode)
            pending.append(getattr(node, "selection_set", None))
    return count


class _Measure:
    """Depth and alias count as executed: fragments counted where spread. Cycles count once
    (validation rejects them); memoised, so a fragment spread a thousand times costs nothing."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, tuple[int, bool]] = {}

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        deepest = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                deepest = max(deepest, 1 + self.depth(node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in self._depths and name in self.fragments:
                    self._depths[name] = 0  # a cycle stops here
                    self._depths[name] = self.depth(self.fragments[name].selection_set)
                deepest = max(deepest, self._depths.get(name, 0))
            else:
                deepest = max(deepest, self.depth(node.selection_set))
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None, prefix: str | None) -> tuple[int, bool]:
        count, reserved = 0, False
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                inner, inner_reserved = self.aliases(node.selection_set, prefix)
                count += inner + (node.alias is not None)
                reserved |= inner_reserved or (
                    prefix is not None and node.alias is not None and node.alias.value.startswith(prefix))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in self._aliases and name in self.fragments:
                    self._aliases[name] = (0, False)
                    self._aliases[name] = self.aliases(self.fragments[name].selection_set, prefix)
                inner, inner_reserved = self._aliases.get(name, (0, False))
                count, reserved = count + inner, reserved or inner_reserved
            else:
                inner, inner_reserved = self.aliases(node.selection_set, prefix)
                count, reserved = count + inner, reserved or inner_reserved
        return count, reserved


class _Cost:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], limits: Limits, list_sizes: ListSizes) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.list_sizes = list_sizes

    def of(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None = None) -> int:
        """`page`: the page size of the connection this selection is under, for its list of edges."""
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                name = node.name.value
                field = None if name.startswith("__") else _field(parent, name, self.schema)  # introspection: 0
                if field is None:
                    continue
                first = self._first(node, field)
                if _returns_list(field):
                    declared = self.list_sizes.get((parent.name, name))
                    size, inner = first or page or declared or self.limits.assumed_list_size, None
                else:
                    size, inner = 1, first  # a connection: its page size is its edges'
                total += 1 + size * self.of(node.selection_set, get_named_type(field.type), inner)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    total += self.of(fragment.selection_set,
                                     self.schema.get_type(fragment.type_condition.name.value), page)
            else:
                condition = node.type_condition
                total += self.of(node.selection_set,
                                 self.schema.get_type(condition.name.value) if condition else parent, page)
            if total > self.limits.max_cost * 10:
                return total  # enough to refuse it: no need to count to the end
        return total

    def _first(self, node: FieldNode, field: GraphQLField) -> int | None:
        """The page size asked for (or the argument's default), if the field has pages."""
        if PAGE_ARGUMENT not in field.args:
            return None
        given = next((a.value for a in node.arguments or () if a.name.value == PAGE_ARGUMENT), None)
        if given is None:
            value = field.args[PAGE_ARGUMENT].default_value
        elif isinstance(given, VariableNode):
            value = self.variables.get(given.name.value)
        else:
            value = value_from_ast_untyped(given)
        return value if isinstance(value, int) and value > 0 else None


def _returns_list(field: GraphQLField) -> bool:
    kind = field.type.of_type if is_non_null_type(field.type) else field.type
    return is_list_type(kind)


def list_sizes_in(document: DocumentNode) -> dict[tuple[str, str], int]:
    """The `@listSize(assumedSize:)` of the fields an SDL declares."""
    found = {}
    for definition in document.definitions:
        for field in getattr(definition, "fields", None) or ():
            for directive in field.directives or ():
                if directive.name.value.endswith("listSize"):
                    for argument in directive.arguments:
                        if argument.name.value == "assumedSize":
                            found[(definition.name.value, field.name.value)] = int(value_from_ast_untyped(
                                argument.value))
    return found


def _field(parent: Any, name: str, schema: GraphQLSchema) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    if fields is not None:
        return fields.get(name)
    # an abstract type's field: any implementation's (they share the field's type and arguments)
    for implementation in schema.get_possible_types(parent) if parent is not None else ():
        if name in implementation.fields:
            return implementation.fields[name]
    return None
