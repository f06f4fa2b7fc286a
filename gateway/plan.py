"""Planning: one operation → the fetches that answer it, level by level.

Root fields go to the subgraph that owns them. Inside a fetch, a field its subgraph does not resolve
becomes an `_entities` fetch to an owner at the same response path: the parent fetch also asks for
`__typename` and the key fields (under reserved aliases, so they never collide with the client's),
and the child sends them back as representations. Child fetches of one level going to one subgraph
travel in one request, each list of objects batched into one `representations` list.

The plan only has to fetch a superset of the answer: execute.py shapes the final response by running
the client's own document over the fetched data with graphql-core, so aliases, fragments, @skip and
@include, `__typename` and null propagation are exactly those of a single GraphQL server. @skip and
@include are forwarded to subgraphs too; a fetch all of whose fields are skipped is not sent.
"""

from collections.abc import Iterator

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
    value_from_ast_untyped,
)

from gateway.fetches import (
    TYPENAME,
    Condition,
    Fetch,
    Plan,
    inline,
    key_alias,
    levels,
    required_alias,
    typename_field,
)
from gateway.supergraph import Supergraph


class PlanError(Exception):
    """The composed schema allowed it, but no fetch can answer it (a composition gap)."""


def plan_operation(
    supergraph: Supergraph, document: DocumentNode, operation: OperationDefinitionNode
) -> Plan:
    return _Planning(supergraph, document, operation).plan()


def response_key(node: FieldNode) -> str:
    return (node.alias or node.name).value


def _conditions(wrappers: tuple[tuple[DirectiveNode, ...], ...], node: FieldNode) -> tuple[Condition, ...]:
    directives = [d for ds in wrappers for d in ds] + list(node.directives or ())
    found = []
    for d in directives:
        if d.name.value in ("include", "skip"):
            arg = d.arguments[0].value
            found.append(
                Condition(
                    d.name.value == "include",
                    arg.name.value if isinstance(arg, VariableNode) else bool(value_from_ast_untyped(arg)),
                )
            )
    return tuple(found)


def _wrap(selection: SelectionNode, wrappers: tuple[tuple[DirectiveNode, ...], ...]) -> SelectionNode:
    """Keep the @skip/@include of enclosing fragments around a field moved into another fetch."""
    for directives in reversed(wrappers):
        selection = InlineFragmentNode(
            directives=directives, selection_set=SelectionSetNode(selections=(selection,))
        )
    return selection


class _Planning:
    def __init__(
        self, supergraph: Supergraph, document: DocumentNode, operation: OperationDefinitionNode
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.operation = operation
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def plan(self) -> Plan:
        mutation = self.operation.operation == OperationType.MUTATION
        root_type = self.schema.get_root_type(self.operation.operation)
        roots: list[Fetch] = []
        for node, wrappers in self._root_fields(self.operation.selection_set.selections, ()):
            if node.name.value.startswith("__"):
                continue  # introspection and __typename: answered from the composed schema
            owners = self.sg.owners[(root_type.name, node.name.value)]
            # One fetch per root field (fields merged under one response key share it): a field that fails
            # nulls only itself, and each mutation field runs, in order, as its own request, so its result
            # or its error is reported as it really happened.
            key = response_key(node)
            if mutation:
                fetch = roots[-1] if roots and roots[-1].field_keys[-1] == key else None
            else:
                fetch = next((r for r in roots if r.field_keys[0] == key), None)
            if fetch is None:
                roots.append(fetch := Fetch(owners[0], (), 0, entity=False))
            fetch.selections.append(
                _wrap(self._local_field(node, root_type, fetch.subgraph, (), fetch), wrappers)
            )
            fetch.field_keys.append(key)
            fetch.conditions.append(_conditions(wrappers, node))
        stages = [[r] for r in roots] if mutation else [roots]
        return Plan(self.operation, [levels(self.operation, stage) for stage in stages if stage])

    def _root_fields(self, selections, wrappers) -> Iterator[tuple[FieldNode, tuple]]:
        for node in selections:
            if isinstance(node, FieldNode):
                yield node, wrappers
            else:
                _, directives, inner = self._fragment(node)
                yield from self._root_fields(inner, wrappers + (directives,) if directives else wrappers)

    def _fragment(self, node: SelectionNode) -> tuple[str | None, tuple[DirectiveNode, ...], tuple]:
        if isinstance(node, FragmentSpreadNode):
            definition = self.fragments[node.name.value]
            return (
                definition.type_condition.name.value,
                tuple(node.directives or ()),
                definition.selection_set.selections,
            )
        condition = node.type_condition.name.value if node.type_condition else None
        return condition, tuple(node.directives or ()), node.selection_set.selections

    def _local_field(
        self, node: FieldNode, parent: GraphQLCompositeType, here: str, path: tuple[str, ...], fetch: Fetch
    ) -> FieldNode:
        if node.selection_set is None:
            return node
        child_type = get_named_type(parent.fields[node.name.value].type)
        inner = self._split(
            node.selection_set.selections, child_type, here, path + (response_key(node),), fetch, ()
        )
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=SelectionSetNode(selections=tuple(inner)),
        )

    def _split(
        self,
        selections,
        parent: GraphQLCompositeType,
        here: str,
        path: tuple[str, ...],
        fetch: Fetch,
        wrappers: tuple,
    ) -> list[SelectionNode]:
        """The part of `selections` that subgraph `here` answers; the rest goes to child fetches."""
        out: list[SelectionNode] = []
        extra: dict[str, FieldNode] = {}  # typename, keys and requirements this level must carry
        for node in selections:
            if isinstance(node, FieldNode):
                self._split_field(node, parent, here, path, fetch, wrappers, out, extra)
                continue
            condition, directives, inner = self._fragment(node)
            condition_type = self.schema.get_type(condition) if condition else parent
            inner_wrappers = wrappers + (directives,) if directives else wrappers
            if is_object_type(parent):
                if condition_type is parent or (
                    is_abstract_type(condition_type) and self.schema.is_sub_type(condition_type, parent)
                ):
                    if nested := self._split(inner, parent, here, path, fetch, inner_wrappers):
                        out.append(inline(None, directives, nested))
                continue
            for narrowed in self._narrow(parent, condition_type, here):
                if nested := self._split(inner, narrowed, here, path, fetch, inner_wrappers):
                    out.append(inline(narrowed.name, directives, nested))
        if is_abstract_type(parent) or not (out or extra):
            extra[TYPENAME] = typename_field()  # the shaper resolves abstract types from it
        return list(extra.values()) + out

    def _narrow(self, parent: GraphQLCompositeType, condition: GraphQLCompositeType, here: str):
        """Object types to write `... on T` for, inside abstract `parent`, as subgraph `here` knows them.

        Always object types: an abstract condition valid in the composed schema may not be spreadable
        in `here`, whose interfaces and unions can have fewer members.
        """
        in_here = [
            self.schema.get_type(name) for name in sorted(self.sg.possible.get((here, parent.name), ()))
        ]
        return [
            t
            for t in in_here
            if t is condition or (is_abstract_type(condition) and self.schema.is_sub_type(condition, t))
        ]

    def _split_field(self, node: FieldNode, parent, here, path, fetch, wrappers, out, extra) -> None:
        name = node.name.value
        if name == "__typename":
            return  # the shaper answers it from the type
        if self.sg.resolves(here, parent.name, name):
            out.append(self._local_field(node, parent, here, path, fetch))
        elif is_abstract_type(parent):  # an interface field this subgraph lacks: ask per object type
            for type_name in sorted(self.sg.possible.get((here, parent.name), ())):
                object_type = self.schema.get_type(type_name)
                out.append(
                    inline(type_name, (), self._split([node], object_type, here, path, fetch, wrappers))
                )
        else:
            self._jump(node, parent, here, path, fetch, wrappers, extra)

    def _jump(
        self,
        node: FieldNode,
        parent: GraphQLObjectType,
        here: str,
        path: tuple[str, ...],
        fetch: Fetch,
        wrappers: tuple,
        extra: dict[str, FieldNode],
    ) -> None:
        """`node` is owned elsewhere: fetch it through `_entities` from an owner, keyed by what `here` has."""
        type_name, name = parent.name, node.name.value
        target = self._reachable_owner(type_name, name, here)
        conditions = _conditions(wrappers, node)
        self._carry_key(type_name, here, target, extra)
        source = fetch
        required = self.sg.requires.get((type_name, name, target))
        for wanted in required.selections if required else ():
            wanted_name = wanted.name.value
            aliased = FieldNode(
                alias=NameNode(value=required_alias(wanted_name)),
                name=wanted.name,
                arguments=wanted.arguments,
                selection_set=wanted.selection_set,
            )
            if self.sg.resolves(here, type_name, wanted_name):
                extra[required_alias(wanted_name)] = aliased
                continue
            # `here` lacks a required field: fetch it from its owner first, then `target` a level later.
            owner = self._reachable_owner(type_name, wanted_name, here)
            self._carry_key(type_name, here, owner, extra)
            source = fetch.child(path, owner)
            part = source.part(type_name, self.sg.jump_key(type_name, here, owner))
            if not any(
                isinstance(s, FieldNode) and s.alias and s.alias.value == aliased.alias.value
                for s in part.selections
            ):
                part.selections.append(aliased)
            source.conditions.append(conditions)
        child = source.child(path, target)
        part = child.part(type_name, self.sg.jump_key(type_name, here, target))
        for wanted in required.selections if required else ():
            if wanted.name.value not in part.required:
                part.required.append(wanted.name.value)
        part.selections.append(_wrap(self._local_field(node, parent, target, path, child), wrappers))
        part.field_keys.append(response_key(node))
        child.conditions.append(conditions)

    def _reachable_owner(self, type_name: str, field_name: str, here: str) -> str:
        owners = self.sg.owners.get((type_name, field_name), ())
        target = next((o for o in owners if o != here and self.sg.jump_key(type_name, here, o)), None)
        if target is None:
            raise PlanError(
                f"{type_name}.{field_name} cannot be reached from subgraph {here} "
                f"(owners: {', '.join(owners) or 'none'})"
            )
        return target

    def _carry_key(self, type_name: str, here: str, target: str, extra: dict[str, FieldNode]) -> None:
        extra[TYPENAME] = typename_field()
        for key_field in self.sg.jump_key(type_name, here, target).selection.selections:
            alias = key_alias(key_field.name.value)
            extra[alias] = FieldNode(
                alias=NameNode(value=alias), name=key_field.name, selection_set=key_field.selection_set
            )
