"""One GraphQL request through the gateway: parse, limit, validate, plan (cached), fetch, shape.

Everything up to the plan depends only on (document, operation name), so it is computed once and
cached; a request then costs its fetches and the shaping of the answer.
"""

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
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
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from chassis import metrics
from chassis.graphql import field_of, operation_root_field, variable_path
from chassis.limits import LimitExceeded, Limits, cost_error, parse_within, shape_errors
from gateway import jsonio
from gateway.execute import Outcome, run_event, run_plan, shape
from gateway.fetches import RESERVED_PREFIX, Plan
from gateway.flights import Flights
from gateway.plan import PlanError, plan_operation
from gateway.projection import Object, Unfit, compile_projection, project
from gateway.subgraphs import SubgraphClient
from gateway.supergraph import Supergraph

log = logging.getLogger("gateway")

INTROSPECTION_FIELDS = {"__schema", "__type", "__typename"}


@dataclass(eq=False)  # compared, and shared in flight (see `Gateway.execute`), as the one object it is
class Prepared:
    """What the gateway knows about a document before any variable or subgraph is involved."""

    errors: list[dict] = field(default_factory=list)  # formatted; the request ends with these
    document: DocumentNode | None = None
    operation: OperationDefinitionNode | None = None
    plan: Plan | None = None
    introspection_only: bool = False
    root_field: str = "other"  # what metrics name the operation by
    projection: Object | None = None  # shapes an answer without graphql-core, where it can
    # An operation without variables costs the same every time: its refusal (or None), known once prepared.
    cost_refusal: LimitExceeded | None = None


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
        self._flights: Flights[tuple[Prepared, bytes, str | None], dict] = Flights(metrics.SHARED_OPERATIONS.inc)

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
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
            document = parse_within(query, self.limits)
        except LimitExceeded as e:
            return Prepared([e.formatted])
        except GraphQLError as e:
            return Prepared([e.formatted | {"extensions": {"code": "GRAPHQL_PARSE_FAILED"}}])
        if errors := shape_errors(document, self.limits, reserved_prefix=RESERVED_PREFIX):
            return Prepared([e.formatted for e in errors])
        rules = list(specified_rules) + ([] if self.introspection else [NoSchemaIntrospectionCustomRule])
        if errors := validate(self.supergraph.schema, document, rules):
            return Prepared([_validation_error(e, self.introspection) for e in errors])
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"unknown operation {operation_name[:100]!r}"  # a name is never echoed whole
                if operation_name
                else "the document has several operations: send operationName"
            )
            return Prepared([request_error(message, "GRAPHQL_VALIDATION_FAILED")])
        prepared = Prepared(
            document=document,
            operation=operation,
            introspection_only=_introspection_only(document, operation),
            root_field=operation_root_field(document, operation_name, self.supergraph.schema),
            projection=compile_projection(self.supergraph.schema, document, operation),
        )
        try:
            prepared.plan = plan_operation(self.supergraph, document, operation)
            self.plans_built += 1
        except PlanError as e:
            return Prepared([request_error(str(e), "QUERY_PLANNING_FAILED")])
        if not operation.variable_definitions:
            prepared.cost_refusal = self._cost_error(prepared, {})
        return prepared

    async def execute(
        self, prepared: Prepared, variables: Mapping[str, object] | None, headers: dict[str, str]
    ) -> dict:
        """The response for a prepared operation; `headers` go to every subgraph request.

        A query identical (document, operation and variables) to one the same caller's credentials already have
        in flight gets that one's response (the same dict: not to be changed), as `SubgraphClient.post` shares
        one subgraph query: a client retrying, or many clients of one account asking at once, costs the gateway
        and the subgraphs one execution. Never across callers, never a mutation.
        """
        operation = prepared.operation
        if operation is not None and operation.operation == OperationType.QUERY:
            key = (prepared, jsonio.dumps(variables), headers.get("authorization"))
            return await self._flights.share(key, lambda: self._execute(prepared, variables, headers))
        if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
            return {"errors": [request_error("a subscription needs a WebSocket: graphql-transport-ws at /graphql",
                                             "BAD_REQUEST")]}
        return await self._execute(prepared, variables, headers)

    @property
    def waiting(self) -> int:
        """Requests waiting for a query operation in flight; several may wait for one."""
        return self._flights.waiting

    async def _execute(
        self, prepared: Prepared, variables: Mapping[str, object] | None, headers: dict[str, str]
    ) -> dict:
        admitted = self._admit(prepared, variables)
        if isinstance(admitted, dict):
            return admitted
        variables, coerced = admitted
        outcome = await run_plan(prepared.plan, self.clients, variables, coerced, headers)
        return self._shape(prepared, outcome, variables)

    async def subscribe(
        self, prepared: Prepared, variables: Mapping[str, object] | None, headers: dict[str, str],
        connection_params: dict[str, object],
    ) -> AsyncIterator[dict]:
        """Each event of a subscription as the client's response: the owning subgraph's event, with the fields
        other subgraphs own fetched for it (`headers` go to those requests, `connection_params` to the owner)."""
        admitted = self._admit(prepared, variables)
        if isinstance(admitted, dict):
            yield admitted
            return
        variables, coerced = admitted
        root = prepared.plan.stages[0][0][0]
        forwarded = {n: variables[n] for n in root.variable_names if n in variables}
        metrics.SUBSCRIPTIONS.labels(root.subgraph).inc()
        try:
            async for body in self.clients[root.subgraph].subscribe(root.document, forwarded, connection_params):
                outcome = await run_event(prepared.plan, self.clients, variables, coerced, headers, body)
                yield self._shape(prepared, outcome, variables)
        finally:
            metrics.SUBSCRIPTIONS.labels(root.subgraph).dec()

    def _admit(self, prepared: Prepared, variables: Mapping[str, object] | None
               ) -> tuple[dict[str, object], Mapping[str, object]] | dict:
        """The variables as sent and as coerced, or the response refusing the operation."""
        if prepared.errors:
            return {"errors": prepared.errors}
        variables = dict(variables or {})
        coerced = get_variable_values(
            self.supergraph.schema, prepared.operation.variable_definitions or (), variables, max_errors=50
        )
        if isinstance(coerced, list):  # business input the operation's types refuse
            return {"errors": [e.formatted | {"extensions": {"code": "VALIDATION", "field": _variable_field(e)}}
                               for e in coerced]}
        fixed = not prepared.operation.variable_definitions
        if refused := prepared.cost_refusal if fixed else self._cost_error(prepared, variables):
            return {"errors": [refused.formatted]}
        return variables, coerced.coerced

    def _cost_error(self, prepared: Prepared, variables: Mapping[str, object]) -> LimitExceeded | None:
        return cost_error(self.supergraph.schema, prepared.document, prepared.operation, variables, self.limits,
                          self.supergraph.list_sizes)

    def _shape(self, prepared: Prepared, outcome: Outcome, variables: Mapping[str, object]) -> dict:
        if prepared.projection is not None and not outcome.loose_errors:
            try:
                return {"data": project(prepared.projection, outcome.data)}
            except Unfit:
                pass  # an error or an odd value in the tree: graphql-core shapes it exactly
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


def _variable_field(error: GraphQLError) -> str:
    """The variable (and the field inside it) a coercion error is about, as a refusal names a field."""
    return field_of(variable_path(error.message))
