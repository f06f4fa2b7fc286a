"""The fetch tree of a plan, and the requests it becomes.

A plan is a tree of fetches: root fetches, and under each the `_entities` fetches that extend the
objects it returned, at a response path. Before sending, fetches are grouped by depth: one level's
`_entities` fetches to one subgraph travel in one request (one aliased `_entities` field each), so
an operation costs at most one request per subgraph per level.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    FieldNode,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)

from gateway.supergraph import Key

RESERVED_PREFIX = "_gw_"  # the gateway's own aliases; clients may not use it (see pipeline)
TYPENAME = "_gw_typename"
ENTITIES = "_gw_e"  # + index in the batch
REPRESENTATIONS = "_gw_reps"  # + index in the batch


def key_alias(field_name: str) -> str:
    return f"_gw_key_{field_name}"


def required_alias(field_name: str) -> str:
    return f"_gw_req_{field_name}"


@dataclass(frozen=True)
class Condition:
    """One @include (include=True) or @skip on the way to a fetched field."""

    include: bool
    value: bool | str  # a literal, or the name of a variable

    def holds(self, variables: Mapping[str, object]) -> bool:
        value = self.value if isinstance(self.value, bool) else bool(variables.get(self.value))
        return value if self.include else not value


@dataclass
class EntityPart:
    """What one `_entities` fetch asks of one entity type."""

    type_name: str
    key: Key
    required: list[str] = field(default_factory=list)  # @requires fields sent in the representation
    selections: list[SelectionNode] = field(default_factory=list)
    field_keys: list[str] = field(default_factory=list)  # response keys it fills, for error paths


@dataclass
class Fetch:
    """One root fetch, or one `_entities` fetch for the objects at `path`."""

    subgraph: str
    path: tuple[str, ...]  # response keys from the root; lists are walked through
    level: int
    entity: bool
    selections: list[SelectionNode] = field(default_factory=list)  # root fetches
    field_keys: list[str] = field(default_factory=list)  # root fetches: the root response keys
    parts: dict[str, EntityPart] = field(default_factory=dict)  # entity fetches: per type
    conditions: list[tuple[Condition, ...]] = field(default_factory=list)  # needed if any item all holds
    children: dict[tuple[tuple[str, ...], str], "Fetch"] = field(default_factory=dict)

    def child(self, path: tuple[str, ...], subgraph: str) -> "Fetch":
        if (path, subgraph) not in self.children:
            self.children[(path, subgraph)] = Fetch(subgraph, path, self.level + 1, entity=True)
        return self.children[(path, subgraph)]

    def part(self, type_name: str, key: Key) -> EntityPart:
        return self.parts.setdefault(type_name, EntityPart(type_name, key))

    def needed(self, variables: Mapping[str, object]) -> bool:
        return any(all(c.holds(variables) for c in item) for item in self.conditions)


@dataclass
class Batch:
    """One HTTP request to one subgraph: a root fetch, or all `_entities` fetches of one level."""

    subgraph: str
    fetches: list[Fetch]
    document: str
    variable_names: tuple[str, ...]  # client variables the document uses, forwarded as sent
    read_only: bool  # not a mutation: safe to send again on a fresh connection


@dataclass
class Plan:
    operation: OperationDefinitionNode
    stages: list[list[list[Batch]]]  # stage → level → concurrent batches; mutations: one stage per group


def typename_field() -> FieldNode:
    return FieldNode(alias=NameNode(value=TYPENAME), name=NameNode(value="__typename"))


def inline(type_name: str | None, directives, selections: list[SelectionNode]) -> InlineFragmentNode:
    condition = NamedTypeNode(name=NameNode(value=type_name)) if type_name else None
    return InlineFragmentNode(
        type_condition=condition,
        directives=directives or (),
        selection_set=SelectionSetNode(selections=tuple(selections)),
    )


def levels(operation: OperationDefinitionNode, roots: list[Fetch]) -> list[list[Batch]]:
    """Fetches grouped by depth, each level's `_entities` fetches to one subgraph in one request."""
    by_level: dict[int, dict[str, list[Fetch]]] = {}
    pending = list(roots)
    while pending:
        fetch = pending.pop(0)
        by_level.setdefault(fetch.level, {}).setdefault(fetch.subgraph, []).append(fetch)
        pending.extend(fetch.children.values())
    batches = [
        [_batch(operation, f.subgraph, [f], operation.operation.value, f.selections, [], 0) for f in roots]
    ]
    for level in sorted(by_level)[1:]:
        batches.append([_entity_batch(operation, s, fs, level) for s, fs in by_level[level].items()])
    return batches


def _entity_batch(
    operation: OperationDefinitionNode, subgraph: str, fetches: list[Fetch], level: int
) -> Batch:
    selections, definitions = [], []
    for i, f in enumerate(fetches):
        variable = VariableNode(name=NameNode(value=f"{REPRESENTATIONS}{i}"))
        any_list = NonNullTypeNode(
            type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
        )
        definitions.append(VariableDefinitionNode(variable=variable, type=any_list, directives=()))
        parts = [inline(p.type_name, (), p.selections) for p in f.parts.values()]
        selections.append(
            FieldNode(
                alias=NameNode(value=f"{ENTITIES}{i}"),
                name=NameNode(value="_entities"),
                arguments=(ArgumentNode(name=NameNode(value="representations"), value=variable),),
                directives=(),
                selection_set=SelectionSetNode(selections=tuple(parts)),
            )
        )
    return _batch(operation, subgraph, fetches, "query", selections, definitions, level)


def _batch(
    operation, subgraph: str, fetches: list[Fetch], kind: str, selections, definitions, level: int
) -> Batch:
    used = _variables_in(selections)
    forwarded = [d for d in operation.variable_definitions or () if d.variable.name.value in used]
    name = operation.name.value if operation.name else "anonymous"
    document = OperationDefinitionNode(
        operation=OperationType(kind),
        name=NameNode(value=f"{name}__{subgraph}__{level}"),  # the subgraph's logs say whose request it was
        variable_definitions=tuple(definitions + forwarded),
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(selections)),
    )
    names = tuple(d.variable.name.value for d in forwarded)
    return Batch(subgraph, fetches, print_ast(document), names, read_only=kind == "query")


def _variables_in(nodes) -> set[str]:
    found: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            found.add(node.name.value)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "keys"):
            stack.extend(getattr(node, k) for k in node.keys if k != "loc" and getattr(node, k) is not None)
    return found
