"""The composed graph: the public schema, and which subgraph resolves what, keyed how."""

from dataclasses import dataclass

from graphql import FieldNode, GraphQLSchema, SelectionSetNode, parse


@dataclass(frozen=True)
class Key:
    """One `@key(fields: ...)` of an entity in one subgraph."""

    subgraph: str
    fields: str
    selection: SelectionSetNode
    resolvable: bool

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(s.name.value for s in self.selection.selections if isinstance(s, FieldNode))


@dataclass
class Supergraph:
    """The public schema and the routing facts the planner needs."""

    schema: GraphQLSchema
    sdl: str
    subgraphs: tuple[str, ...]
    # (type, field) → the subgraphs resolving it, in SUBGRAPHS order
    owners: dict[tuple[str, str], tuple[str, ...]]
    keys: dict[str, dict[str, list[Key]]]  # entity type → subgraph → its keys
    requires: dict[tuple[str, str, str], SelectionSetNode]  # (type, field, subgraph) → @requires fields
    local_fields: dict[tuple[str, str], frozenset[str]]  # (subgraph, type) → fields it resolves itself
    possible: dict[tuple[str, str], frozenset[str]]  # (subgraph, abstract type) → its object types there
    list_sizes: dict[tuple[str, str], int]  # (type, field) → @listSize(assumedSize:), for the cost of a query

    def resolves(self, subgraph: str, type_name: str, field_name: str) -> bool:
        return field_name in self.local_fields.get((subgraph, type_name), ())

    def defines(self, subgraph: str, type_name: str) -> bool:
        return (subgraph, type_name) in self.local_fields or (subgraph, type_name) in self.possible

    def jump_key(self, type_name: str, source: str, target: str) -> Key | None:
        """A key of `target` that `source` can fill in from its own fields, if any."""
        for key in self.keys.get(type_name, {}).get(target, ()):
            if key.resolvable and all(self.resolves(source, type_name, f) for f in key.field_names):
                return key
        return None


def parse_fields(fields: str) -> SelectionSetNode:
    """A federation FieldSet ("id org { id }") as a selection set."""
    return parse("{" + fields + "}", no_location=True).definitions[0].selection_set
