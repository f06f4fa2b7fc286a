"""One GraphQL request through the gateway: parse, limit, validate, plan (cached), fetch, shape.

Everything up to the plan depends only on (document, operation name), so it is computed once and
cached; a request then costs its fetches and the shaping of the answer.
"""

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from gateway.execute import run_plan, shape
from gateway.fetches import RESERVED_PREFIX, Plan
from gateway.plan import PlanError, plan_operation
from gateway.subgraphs import SubgraphClient
from gateway.supergraph import Supergraph

log = logging.getLogger("gateway")

INTROSPECTION_FIELDS = {"__schema", "__type", "__typename"}


@dataclass(frozen=True)
class Limits:
    """What one operation may ask for. The standard introspection query needs a depth of about 13."""

    max_depth: int = 15
    max_aliases: int = 50
    max_document_bytes: int = 32_768


@dataclass
class Prepared:
    """What the gateway knows about a document before any variable or subgraph is involved."""

    errors: list[dict] = field(default_factory=list)  # formatted; the request ends with these
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    plan: Plan | None = None
    introspection_only: bool = False


def request_error(message: str, code: str, **extensions: object) -> dict:
    return {"message": message, "extensions": {"code": code, **extensions}}


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        clients: Mapping[str, SubgraphClient],
        *,
        limits: Limits | None = None,
        introspection: bool = True,
        cache_size: int = 1000,
    ) -> None:
        self.supergraph = supergraph
        self.clients = clients
        self.limits = limits or Limits()
        self.introspection = introspection
        self.cache_size = cache_size
        self.plans_built = 0
        self._prepared: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        size = len(query.encode())
        if size > self.limits.max_document_bytes:  # refused before the cache, which it would bloat
            message = f"the document has {size} bytes; the limit is {self.limits.max_document_bytes}"
            return Prepared([request_error(message, "LIMIT")])
        cache_key = (query, operation_name)
        if (found := self._prepared.get(cache_key)) is not None:
            self._prepared.move_to_end(cache_key)
            return found
        prepared = self._prepare(query, operation_name)
        self._prepared[cache_key] = prepared
        if len(self._prepared) > self.cache_size:
            self._prepared.popitem(last=False)
        return prepared

    def _prepare(self, query: str, operation_name: str | None) -> Prepared:
        try:
            document = parse(query)
        except GraphQLError as e:
            return Prepared([e.formatted | {"extensions": {"code": "GRAPHQL_PARSE_FAILED"}}])
        if errors := self._over_limits(document):
            return Prepared(errors)
        rules = list(specified_rules) + ([] if self.introspection else [NoSchemaIntrospectionCustomRule])
        if errors := validate(self.supergraph.schema, document, rules):
            return Prepared([_validation_error(e, self.introspection) for e in errors])
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"unknown operation {operation_name!r}"
                if operation_name
                else "the document has several operations: send operationName"
            )
            return Prepared([request_error(message, "GRAPHQL_VALIDATION_FAILED")])
        if operation.operation == OperationType.SUBSCRIPTION:
            return Prepared(
                [request_error("subscriptions are not supported by the gateway", "GRAPHQL_VALIDATION_FAILED")]
            )
        prepared = Prepared(
            document=document,
            operation=operation,
            introspection_only=_introspection_only(document, operation),
        )
        try:
            prepared.plan = plan_operation(self.supergraph, document, operation)
            self.plans_built += 1
        except PlanError as e:
            return Prepared([request_error(str(e), "QUERY_PLANNING_FAILED")])
        return prepared

    def _over_limits(self, document: DocumentNode) -> list[dict]:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        measure = _Measure(fragments)
        errors = []
        for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
            depth = measure.depth(operation.selection_set)
            if depth > self.limits.max_depth:
                errors.append(
                    request_error(
                        f"the operation is {depth} fields deep; the limit is {self.limits.max_depth}", "LIMIT"
                    )
                )
            aliases, reserved = measure.aliases(operation.selection_set)
            if aliases > self.limits.max_aliases:
                errors.append(
                    request_error(
                        f"the operation uses {aliases} aliases; the limit is {self.limits.max_aliases}",
                        "LIMIT",
                    )
                )
            if reserved:
                errors.append(
                    request_error(
                        f"aliases starting with {RESERVED_PREFIX} are reserved by the gateway",
                        "GRAPHQL_VALIDATION_FAILED",
                    )
                )
        return errors

    async def execute(
        self, prepared: Prepared, variables: Mapping[str, object] | None, headers: dict[str, str]
    ) -> dict:
        """The response for a prepared operation; `headers` go to every subgraph request."""
        if prepared.errors:
            return {"errors": prepared.errors}
        variables = dict(variables or {})
        coerced = get_variable_values(
            self.supergraph.schema, prepared.operation.variable_definitions or (), variables, max_errors=50
        )
        if isinstance(coerced, list):
            return {"errors": [e.formatted | {"extensions": {"code": "BAD_USER_INPUT"}} for e in coerced]}
        outcome = await run_plan(prepared.plan, self.clients, variables, coerced.coerced, headers)
        operation_name = prepared.operation.name.value if prepared.operation.name else None
        return shape(self.supergraph.schema, prepared.document, operation_name, outcome, variables)


def _validation_error(error: GraphQLError, introspection: bool) -> dict:
    if not introspection and "introspection" in error.message.lower():
        return error.formatted | {
            "message": "introspection is disabled in production",
            "extensions": {"code": "FORBIDDEN"},
        }
    return error.formatted | {"extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}


def _introspection_only(document: DocumentNode, operation: OperationDefinitionNode) -> bool:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    pending = list(operation.selection_set.selections)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            if node.name.value not in INTROSPECTION_FIELDS:
                return False
        elif isinstance(node, FragmentSpreadNode):
            pending.extend(fragments[node.name.value].selection_set.selections)
        else:
            pending.extend(node.selection_set.selections)
    return operation.operation == OperationType.QUERY


class _Measure:
    """Depth and alias count as executed: fragments counted where spread. Cycles count once
    (validation rejects them); memoised, so a fragment spread a thousand times costs nothing."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, tuple[int, bool]] = {}

    def depth(self, selection_set) -> int:
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

    def aliases(self, selection_set) -> tuple[int, bool]:
        count, reserved = 0, False
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                inner, inner_reserved = self.aliases(node.selection_set)
                count += inner + (node.alias is not None)
                reserved |= inner_reserved or (
                    node.alias is not None and node.alias.value.startswith(RESERVED_PREFIX)
                )
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in self._aliases and name in self.fragments:
                    self._aliases[name] = (0, False)
                    self._aliases[name] = self.aliases(self.fragments[name].selection_set)
                inner, inner_reserved = self._aliases.get(name, (0, False))
                count, reserved = count + inner, reserved or inner_reserved
            else:
                inner, inner_reserved = self.aliases(node.selection_set)
                count, reserved = count + inner, reserved or inner_reserved
        return count, reserved
