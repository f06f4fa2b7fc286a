"""Shaping the common answer without re-running the client's document: a projection compiled once per prepared
operation copies the fields the client asked for, in its order and under its aliases, from the merged tree.

It answers only what it can answer exactly as graphql-core would: a document with no directives, abstract
types or introspection compiles; a tree holding an error, a null where the schema says non-null, or a leaf that
is not already in its serialized form makes it give up (`Unfit`), and graphql-core shapes that answer instead
(`gateway.execute.shape`), nulls and error locations included.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

INT_RANGE = range(-(2**31), 2**31)


class Unfit(Exception):
    """The tree is not one the projection answers exactly."""


class NotCompiled(Exception):
    """The document uses what only graphql-core shapes."""


Serialize = Callable[[object], object]


@dataclass(frozen=True)
class Field:
    key: str  # the response key: the alias, or the field's name
    non_null: bool
    shape: "Shape"


@dataclass(frozen=True)
class Leaf:
    serialize: Serialize


@dataclass(frozen=True)
class Typename:
    name: str


@dataclass(frozen=True)
class ListOf:
    item_non_null: bool
    item: "Shape"


@dataclass(frozen=True)
class Object:
    fields: tuple[Field, ...]


Shape = Leaf | Typename | ListOf | Object


def compile_projection(schema: GraphQLSchema, document: DocumentNode,
                       operation: OperationDefinitionNode) -> Object | None:
    """The operation's projection, or None when graphql-core must shape its answers."""
    root = {OperationType.QUERY: schema.query_type, OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type}[operation.operation]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    try:
        return _object(root, [operation.selection_set], fragments)
    except NotCompiled:
        return None


def project(projection: Object, data: dict) -> dict:
    """The response's `data` for a merged tree, or Unfit."""
    return _project_object(projection, data)


def _object(type_: GraphQLObjectType | None, selection_sets: list[SelectionSetNode],
            fragments: dict[str, FragmentDefinitionNode]) -> Object:
    if type_ is None:
        raise NotCompiled
    by_key: dict[str, list[FieldNode]] = {}
    for selection_set in selection_sets:
        _collect(type_, selection_set, fragments, by_key)
    fields = []
    for key, nodes in by_key.items():
        name = nodes[0].name.value
        if name == "__typename":
            fields.append(Field(key, True, Typename(type_.name)))
            continue
        definition = type_.fields.get(name)
        if definition is None or name.startswith("__"):
            raise NotCompiled  # introspection (and anything validation would have refused)
        subsets = [n.selection_set for n in nodes if n.selection_set is not None]
        non_null, shape = _output(definition.type, subsets, fragments)
        fields.append(Field(key, non_null, shape))
    return Object(tuple(fields))


def _collect(type_: GraphQLObjectType, selection_set: SelectionSetNode,
             fragments: dict[str, FragmentDefinitionNode], into: dict[str, list[FieldNode]]) -> None:
    for selection in selection_set.selections:
        if selection.directives:
            raise NotCompiled  # @skip / @include depend on variables
        if isinstance(selection, FieldNode):
            into.setdefault((selection.alias or selection.name).value, []).append(selection)
            continue
        if isinstance(selection, FragmentSpreadNode):
            selection = fragments[selection.name.value]
            if selection.directives:
                raise NotCompiled
        if isinstance(selection, InlineFragmentNode | FragmentDefinitionNode):
            if selection.type_condition is not None and selection.type_condition.name.value != type_.name:
                raise NotCompiled  # a condition on another type (or an interface) needs graphql-core
            _collect(type_, selection.selection_set, fragments, into)


def _output(type_: GraphQLOutputType, subsets: list[SelectionSetNode],
            fragments: dict[str, FragmentDefinitionNode]) -> tuple[bool, Shape]:
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if non_null else type_
    if isinstance(inner, GraphQLList):
        item_non_null, item = _output(inner.of_type, subsets, fragments)
        return non_null, ListOf(item_non_null, item)
    if isinstance(inner, GraphQLObjectType):
        return non_null, _object(inner, subsets, fragments)
    if isinstance(inner, GraphQLEnumType):
        return non_null, Leaf(_enum(frozenset(inner.values)))
    if isinstance(inner, GraphQLScalarType):
        return non_null, Leaf(SCALARS.get(inner.name, _as_is))
    raise NotCompiled  # interfaces and unions: the answer's `__typename` picks the fields


def _project_object(shape: Object, data: object) -> dict:
    if not isinstance(data, dict):
        raise Unfit
    answer = {}
    for field in shape.fields:
        if isinstance(field.shape, Typename):
            answer[field.key] = field.shape.name
        else:
            answer[field.key] = _value(field.shape, field.non_null, data.get(field.key))
    return answer


def _value(shape: Shape, non_null: bool, value: object) -> object:
    if value is None:
        if non_null:
            raise Unfit  # graphql-core nulls the parent and says why
        return None
    if isinstance(shape, Leaf):
        return shape.serialize(value)
    if isinstance(shape, Object):
        return _project_object(shape, value)
    if not isinstance(value, list):
        raise Unfit  # an error placed in the tree, or a subgraph's nonsense
    assert isinstance(shape, ListOf)
    return [_value(shape.item, shape.item_non_null, item) for item in value]


def _typed(kind: type, also: Callable[[object], bool] = lambda _: True) -> Serialize:
    def serialize(value: object) -> object:
        if type(value) is not kind or not also(value):
            raise Unfit
        return value

    return serialize


def _enum(names: frozenset[str]) -> Serialize:
    def serialize(value: object) -> object:
        if type(value) is not str or value not in names:
            raise Unfit
        return value

    return serialize


def _as_is(value: object) -> object:
    if isinstance(value, Exception):
        raise Unfit
    return value  # a custom scalar as the subgraph serialized it (the supergraph's scalars serialize as is)


SCALARS: dict[str, Serialize] = {
    "String": _typed(str),
    "ID": _typed(str),
    "Boolean": _typed(bool),
    "Int": _typed(int, lambda v: v in INT_RANGE),
    "Float": _typed(float, lambda v: math.isfinite(v)),
}
