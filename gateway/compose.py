"""Composition: the subgraphs' SDLs → one public schema, plus who resolves which field and by which key.

Federation 2 rules we enforce (and refuse loudly otherwise, because a gateway that composes what it
cannot serve answers wrongly later, at runtime, for one customer):
- a field resolved by two subgraphs must be @shareable in both (key fields are shareable by nature);
- a @key names fields the type has; whoever can return an entity can hand some owner of each of its
  fields a key that owner resolves (we jump one hop: subgraph → owner);
- value types, enums and inputs defined twice are defined identically;
- @override(from:) moves a field to the overriding subgraph; @inaccessible hides it from clients.
"""

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NameNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    print_ast,
    print_schema,
    validate_schema,
)

from chassis.limits import list_sizes_in
from gateway.federation import (
    FEDERATION_QUERY_FIELDS,
    GRAPHQL_DIRECTIVES,
    SubgraphSDL,
    directive_args,
    read_subgraph,
)
from gateway.supergraph import Key, Supergraph, parse_fields

KINDS = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}
PUBLIC_NODE = {
    "object": ObjectTypeDefinitionNode,
    "interface": InterfaceTypeDefinitionNode,
    "union": UnionTypeDefinitionNode,
    "enum": EnumTypeDefinitionNode,
    "input": InputObjectTypeDefinitionNode,
    "scalar": ScalarTypeDefinitionNode,
}
ROOT_TYPES = {OperationType.QUERY: "Query", OperationType.MUTATION: "Mutation",
              OperationType.SUBSCRIPTION: "Subscription"}


class CompositionError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("the subgraphs do not compose:\n  - " + "\n  - ".join(problems))
        self.problems = problems


def compose(sdls: Mapping[str, str]) -> Supergraph:
    """Compose subgraph SDLs (name → SDL, in SUBGRAPHS order); raises CompositionError."""
    subgraphs = [read_subgraph(name, sdl) for name, sdl in sdls.items()]
    problems = [p for s in subgraphs for p in s.problems]
    if problems:
        raise CompositionError(problems)
    return _Composer(subgraphs).compose()


@dataclass
class _FieldCopy:
    subgraph: str
    node: FieldDefinitionNode
    shareable: bool
    override_from: str | None


@dataclass
class _Composer:
    subgraph_list: list[SubgraphSDL]
    problems: list[str] = field(default_factory=list)
    types: dict[str, list[tuple[SubgraphSDL, list[Node]]]] = field(default_factory=dict)
    owners: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    keys: dict[str, dict[str, list[Key]]] = field(default_factory=dict)
    requires: dict[tuple[str, str, str], SelectionSetNode] = field(default_factory=dict)
    local: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    possible: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def compose(self) -> Supergraph:
        for subgraph in self.subgraph_list:
            self._index(subgraph)
        definitions = [d for name, entries in self.types.items() if (d := self._merge(name, entries))]
        self._check_reachability()
        if not any(isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Query" for d in definitions):
            self.problems.append("no subgraph has a Query field")
        if self.problems:
            raise CompositionError(self.problems)
        try:
            schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)))
        except (TypeError, GraphQLError) as e:
            raise CompositionError([f"the composed schema is invalid: {e}"]) from e
        if errors := validate_schema(schema):
            raise CompositionError([f"the composed schema is invalid: {e.message}" for e in errors])
        return Supergraph(
            schema=schema,
            sdl=print_schema(schema),
            subgraphs=tuple(s.name for s in self.subgraph_list),
            owners=self.owners,
            keys=self.keys,
            requires=self.requires,
            local_fields={k: frozenset(v) for k, v in self.local.items()},
            possible={k: frozenset(v) for k, v in self.possible.items()},
            list_sizes={k: v for s in self.subgraph_list for k, v in list_sizes_in(s.document).items()},
        )

    def _index(self, subgraph: SubgraphSDL) -> None:
        for node in subgraph.document.definitions:
            if isinstance(node, (SchemaDefinitionNode, SchemaExtensionNode)):
                for op in node.operation_types or ():
                    expected = ROOT_TYPES[op.operation]
                    if op.type.name.value != expected:
                        self.problems.append(
                            f"subgraph {subgraph.name}: root type {op.type.name.value} must be "
                            f"named {expected}"
                        )
            elif type(node) in KINDS and not subgraph.is_private_type(node.name.value):
                entries = self.types.setdefault(node.name.value, [])
                if entries and entries[-1][0] is subgraph:
                    entries[-1][1].append(node)
                else:
                    entries.append((subgraph, [node]))

    def _merge(self, name: str, entries: list[tuple[SubgraphSDL, list[Node]]]) -> Node | None:
        kinds = {KINDS[type(n)] for _, nodes in entries for n in nodes}
        if len(kinds) > 1:
            where = ", ".join(f"{s.name}: {KINDS[type(nodes[0])]}" for s, nodes in entries)
            self.problems.append(f"type {name} has different kinds in different subgraphs ({where})")
            return None
        kind = kinds.pop()
        if any(s.has(n, "inaccessible") for s, nodes in entries for n in nodes):
            return None  # hidden from clients; fields returning it must be @inaccessible too (schema check)
        description = next(
            (n.description for _, nodes in entries for n in nodes if getattr(n, "description", None)), None
        )
        public = {"name": NameNode(value=name), "description": description, "directives": ()}
        if kind in ("object", "interface"):
            public |= self._merge_fields(name, kind, entries)
        elif kind == "union":
            members: dict[str, Node] = {}
            for s, nodes in entries:
                mine = {t.name.value: t for n in nodes for t in n.types or ()}
                self.possible[(s.name, name)] = set(mine)
                members |= mine
            public["types"] = tuple(members.values())
        elif kind == "enum":
            values = self._identical(name, entries, "values", lambda v: v.name.value)
            public["values"] = tuple(_public(v) for v in values if not entries[0][0].has(v, "inaccessible"))
        elif kind == "input":
            public["fields"] = tuple(
                _public(f) for f in self._identical(name, entries, "fields", _input_shape)
            )
        else:
            public["directives"] = _public_directives(entries[0][1][0])
        return PUBLIC_NODE[kind](**public)

    def _identical(self, name: str, entries, attribute: str, shape) -> list[Node]:
        """Enums and inputs are read by clients and subgraphs alike: every copy must be the same."""
        copies = [(s, [x for n in nodes for x in getattr(n, attribute) or ()]) for s, nodes in entries]
        first_subgraph, first = copies[0]
        for other, items in copies[1:]:
            if sorted(map(shape, items)) != sorted(map(shape, first)):
                self.problems.append(
                    f"{name} differs between subgraphs {first_subgraph.name} and {other.name}; "
                    "enums and input types shared by subgraphs must be identical"
                )
        return first

    def _merge_fields(self, name: str, kind: str, entries) -> dict[str, object]:
        copies: dict[str, list[_FieldCopy]] = {}
        hidden: set[str] = set()
        interfaces: dict[str, Node] = {}
        shapes: list[tuple[str, frozenset[str]]] = []
        for s, nodes in entries:
            keys = [
                Key(
                    s.name,
                    str(directive_args(d)["fields"]),
                    parse_fields(str(directive_args(d)["fields"])),
                    directive_args(d).get("resolvable", True) is not False,
                )
                for n in nodes
                for d in s.directives(n, "key")
            ]
            if keys and kind == "interface":
                self.problems.append(
                    f"subgraph {s.name}: @key on interface {name}: entity interfaces are not supported"
                )
            own_fields = {
                f.name.value: (f, n)
                for n in nodes
                for f in n.fields or ()
                if not (name == "Query" and f.name.value in FEDERATION_QUERY_FIELDS)
            }
            key_names = {f for k in keys for f in k.field_names}
            for key in keys:
                if missing := [f for f in key.field_names if f not in own_fields]:
                    self.problems.append(
                        f'subgraph {s.name}: @key(fields: "{key.fields}") on {name} names '
                        f"{', '.join(missing)}, which {name} does not have there"
                    )
            if keys:
                self.keys.setdefault(name, {})[s.name] = keys
            local = self.local.setdefault((s.name, name), set(key_names & own_fields.keys()))
            shapes.append((s.name, frozenset(own_fields)))
            for field_name, (f, n) in own_fields.items():
                if s.has(f, "inaccessible"):
                    hidden.add(field_name)
                if s.has(f, "external") or s.has(n, "external"):
                    copies.setdefault(field_name, [])
                    continue
                local.add(field_name)
                override = s.directives(f, "override")
                copies.setdefault(field_name, []).append(
                    _FieldCopy(
                        s.name,
                        f,
                        field_name in key_names or s.has(f, "shareable") or s.has(n, "shareable"),
                        str(directive_args(override[0])["from"]) if override else None,
                    )
                )
                for required in s.directives(f, "requires"):
                    self.requires[(name, field_name, s.name)] = parse_fields(
                        str(directive_args(required)["fields"])
                    )
            for n in nodes:
                interfaces |= {i.name.value: i for i in getattr(n, "interfaces", None) or ()}
                for i in getattr(n, "interfaces", None) or ():
                    self.possible.setdefault((s.name, i.name.value), set()).add(name)
        if (
            name not in self.keys
            and name not in ROOT_TYPES.values()
            and len(shapes) > 1
            and len({fields for _, fields in shapes}) > 1
        ):
            self.problems.append(
                f"value type {name} has different fields in subgraphs "
                f"{', '.join(s for s, _ in shapes)}; make every copy identical or make it an "
                "entity with @key"
            )
        public_fields = [
            p
            for field_name, field_copies in copies.items()
            if (p := self._owned_field(name, field_name, field_copies)) and field_name not in hidden
        ]
        return {"fields": tuple(public_fields), "interfaces": tuple(interfaces.values())}

    def _owned_field(
        self, type_name: str, field_name: str, copies: list[_FieldCopy]
    ) -> FieldDefinitionNode | None:
        where = f"{type_name}.{field_name}"
        overridden = {c.override_from for c in copies if c.override_from}
        owned = [c for c in copies if c.subgraph not in overridden or c.override_from]
        for c in copies:
            if c not in owned:
                self.local[(c.subgraph, type_name)].discard(field_name)
        if not owned:
            self.problems.append(f"{where} is @external everywhere: no subgraph resolves it")
            return None
        if len(owned) > 1:
            if unshared := [c.subgraph for c in owned if not c.shareable]:
                self.problems.append(
                    f"{where} is resolved by subgraphs {', '.join(c.subgraph for c in owned)} but is not "
                    f"@shareable in {', '.join(unshared)}; mark every copy @shareable or let one subgraph "
                    "own it"
                )
            if len({_field_shape(c.node) for c in owned}) > 1:
                self.problems.append(
                    f"{where} has different types or arguments in subgraphs "
                    f"{', '.join(c.subgraph for c in owned)}"
                )
        self.owners[(type_name, field_name)] = tuple(c.subgraph for c in owned)
        first = owned[0].node
        description = next((c.node.description for c in owned if c.node.description), None)
        return FieldDefinitionNode(
            name=first.name,
            description=description,
            type=first.type,
            arguments=tuple(_public(a) for a in first.arguments or ()),
            directives=_public_directives(first),
        )

    def _check_reachability(self) -> None:
        """Whoever returns an entity can hand each owner of its other fields a key that owner resolves."""
        for type_name, entries in self.types.items():
            if type_name not in self.keys:
                continue
            reported: set[tuple[str, str]] = set()
            for s, _ in entries:
                local = self.local.get((s.name, type_name), set())
                for (owner_type, field_name), owners in self.owners.items():
                    if owner_type != type_name or field_name in local:
                        continue
                    if not any(self._jump_possible(type_name, s.name, o) for o in owners):
                        if (s.name, owners[0]) not in reported:
                            reported.add((s.name, owners[0]))
                            self.problems.append(
                                f"subgraph {s.name} can return {type_name} but cannot give "
                                f"{' or '.join(owners)} "
                                f"a key it resolves (needed for {type_name}.{field_name})"
                            )
            for (owner_type, field_name, subgraph), selection in self.requires.items():
                for f in selection.selections:
                    if owner_type == type_name and (type_name, f.name.value) not in self.owners:
                        self.problems.append(
                            f"@requires on {type_name}.{field_name} in subgraph {subgraph} "
                            f"names {f.name.value}, which no subgraph resolves"
                        )

    def _jump_possible(self, type_name: str, source: str, target: str) -> bool:
        local = self.local.get((source, type_name), set())
        return any(k.resolvable and set(k.field_names) <= local for k in self.keys[type_name].get(target, ()))


def _field_shape(node: FieldDefinitionNode) -> tuple:
    return print_ast(node.type), tuple(sorted(_input_shape(a) for a in node.arguments or ()))


def _input_shape(node: Node) -> tuple:
    default = print_ast(node.default_value) if node.default_value else None
    return node.name.value, print_ast(node.type), default


def _public_directives(node: Node) -> tuple:
    return tuple(d for d in getattr(node, "directives", None) or () if d.name.value in GRAPHQL_DIRECTIVES)


def _public(node: Node) -> Node:
    """A copy of a field, argument or enum value without federation directives."""
    attributes = {k: getattr(node, k) for k in node.keys if k != "loc"} | {
        "directives": _public_directives(node)
    }
    if getattr(node, "arguments", None):
        attributes["arguments"] = tuple(_public(a) for a in node.arguments)
    return type(node)(**attributes)


def main(argv: list[str]) -> int:
    """`python -m gateway.compose customer=services/customer/schema.graphql ...`: print the composed SDL."""
    try:
        sdls = {name: Path(path).read_text() for name, _, path in (arg.partition("=") for arg in argv)}
        print(compose(sdls).sdl, end="")
    except CompositionError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
