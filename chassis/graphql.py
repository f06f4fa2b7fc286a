"""The GraphQL skin every service shares: the typed request context, a caller on every root field,
batching loaders, the access log, the page types, error codes and the `/graphql` router."""

import logging
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

import strawberry
from fastapi.routing import APIRoute
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    validate,
)
from opentelemetry import trace
from starlette.background import BackgroundTasks
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import ListSize
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.info import Info
from strawberry.utils.str_converters import to_camel_case

from chassis import bounds, metrics
from chassis.auth import Principal, TokenVerifier
from chassis.directory import Department
from chassis.errors import CODES, CrmError, Unauthenticated
from chassis.limits import LimitExceeded, Limits, cost_error, list_sizes_in, parse_within, shape_errors
from chassis.logs import bind
from chassis.pagination import Slice
from chassis.scalars import SCALARS
from chassis.settings import Settings
from chassis.transport import Receive, Scope, Send
from contracts.access import AccessEntry, AccessRecorded

# The company's departments as every subgraph that names them shows them (one enum: composition needs them equal).
DepartmentType = strawberry.enum(Department, name="Department")

log = logging.getLogger("crm.graphql")

S = TypeVar("S")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
N = TypeVar("N")


class ServiceContext(BaseContext, Generic[S]):
    """What a resolver may use: the caller, the service, per-request loaders and the access log."""

    def __init__(self, service: S, caller: Principal | Unauthenticated, request_id: str, *,
                 open_schema: bool = True) -> None:
        super().__init__()
        self.service = service
        self.request_id = request_id
        self.open_schema = open_schema  # may an anonymous caller introspect? (not in production)
        self._caller = caller
        self._loaders: dict[str, DataLoader[Any, Any]] = {}
        self._accessed: dict[tuple[str, str, str], AccessEntry] = {}

    @property
    def caller(self) -> Principal:
        """The verified caller, or UNAUTHENTICATED for the field that asked."""
        return self.require_caller()

    def sign_in(self, caller: Principal) -> None:
        """The caller a WebSocket connection proved itself to be on its first message."""
        self._caller = caller

    def require_caller(self) -> Principal:
        if isinstance(self._caller, Unauthenticated):
            raise self._caller
        return self._caller

    def loader(self, name: str, load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> DataLoader[K, V | None]:
        """A loader per request and name: the keys asked for while one level of the answer resolves are
        looked up together, with one `load_many` (one store query), however many entities ask."""
        if name not in self._loaders:
            async def batch(keys: list[K]) -> list[V | None]:
                found = await load_many(list(keys))
                return [found.get(key) for key in keys]

            self._loaders[name] = DataLoader(load_fn=batch)
        return self._loaders[name]

    def record_access(self, info: Info, customer_id: str, owner_id: str | None, what: str, fields: Iterable[str]
                      ) -> None:
        """CUS-9: a non-owner read confidential data; one entry per customer, what and root field, written
        (one event per request) before the answer leaves."""
        caller, operation = self.caller, root_field(info)
        key = (customer_id, what, operation)
        held = self._accessed.get(key)
        self._accessed[key] = AccessEntry(
            customer_id=customer_id, user_id=caller.user_id, roles=sorted(caller.roles), owner_id=owner_id,
            what=what, operation=operation, fields=sorted({*fields, *(held.fields if held else ())}))

    @property
    def accessed(self) -> list[AccessEntry]:
        return list(self._accessed.values())


class Measure(SchemaExtension):
    """`crm_graphql_*` for each operation, named by its first root field: a name the schema bounds (an operation
    name is the client's to choose, and would let anyone make new series)."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        started = time.perf_counter()
        yield
        execution = self.execution_context
        service = getattr(getattr(execution.context, "service", None), "qualified_name", "?")
        operation = operation_root_field(execution.graphql_document, execution.operation_name, execution.schema._schema)
        errors = execution.result.errors if execution.result and execution.result.errors else []
        trace.get_current_span().set_attribute("graphql.operation.root_field", operation)
        metrics.GRAPHQL_SECONDS.labels(service, operation).observe(time.perf_counter() - started)
        metrics.GRAPHQL_OPERATIONS.labels(service, operation, "error" if errors else "ok").inc()
        for error in errors:
            code = (error.extensions or {}).get("code")
            metrics.GRAPHQL_ERRORS.labels(service, code if code in CODES else "INTERNAL").inc()


def operation_root_field(document: DocumentNode | None, name: str | None, schema: GraphQLSchema) -> str:
    """What metrics name an operation by: its first root field, or `other` (a name the schema bounds)."""
    chosen = get_operation_ast(document, name) if document else None
    fields = [s for s in chosen.selection_set.selections if isinstance(s, FieldNode)] if chosen else []
    known = {name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root
             for name in root.fields}
    return fields[0].name.value if fields and fields[0].name.value in known else "other"


class RecordAccess(SchemaExtension):
    """Writes the request's access-log entries through the outbox before the answer leaves: an answer whose
    reads could not be logged is not given (CUS-9)."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        context = self.execution_context.context
        entries = getattr(context, "accessed", None)
        if not entries:
            return
        service = context.service

        async def write(uow: Any) -> None:
            now = uow.now()
            uow.publish(AccessRecorded(service=service.name, at=now, entries=entries))
            await uow.commit()

        try:
            await service.run(write)
        except Exception:
            log.exception("access log write failed; the answer is withheld")
            result = self.execution_context.result
            result.data = None
            result.errors = [GraphQLError("the read could not be recorded in the access log; try again",
                                          extensions={"code": "INTERNAL"})]


def root_field(info: Info) -> str:
    """The name (not the alias) of the root field this resolver is under."""
    path = info.path
    while path.prev is not None:
        path = path.prev
    for selection in info.operation.selection_set.selections:
        if isinstance(selection, FieldNode) and (selection.alias or selection.name).value == path.key:
            return selection.name.value
    return str(path.key)


def selected_fields(info: Info) -> set[str]:
    """The names of the fields selected under this one, fragments flattened."""
    return {f.name for f in _flat(info.selected_fields[0].selections)} if info.selected_fields else set()


def _flat(selections: Any) -> list[Any]:
    found = []
    for selection in selections or []:
        if getattr(selection, "name", None) and not hasattr(selection, "type_condition"):
            found.append(selection)
        else:
            found.extend(_flat(getattr(selection, "selections", None)))
    return found


def list_size(assumed: int) -> list[Any]:
    """Federation's cost directive for a list without pages: how many items to count it as (chassis.limits)."""
    return [ListSize(assumed_size=assumed, slicing_arguments=strawberry.UNSET, sized_fields=strawberry.UNSET,
                     require_one_slicing_argument=strawberry.UNSET)]


class RootField(FieldExtension):
    """Every root field needs a caller (no resolver can forget to ask: UNAUTHENTICATED otherwise), and its
    arguments within the bounds of `chassis.bounds` (VALIDATION naming the field otherwise)."""

    # Positional-only: a field's own argument may be called `source` or `info` (finance's reconciliation is by source).
    def resolve(self, next_: Callable[..., Any], root: Any, info: Info, /, **kwargs: Any) -> Any:
        _admit(info, kwargs)
        return next_(root, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], root: Any, info: Info, /,
                            **kwargs: Any) -> Any:
        _admit(info, kwargs)
        return await next_(root, info, **kwargs)


def _admit(info: Info, arguments: Mapping[str, Any]) -> None:
    info.context.require_caller()
    for name, value in arguments.items():
        bounds.check(to_camel_case(name), value, field_of(to_camel_case(name)))


def field_of(path: str) -> str:
    """How a refusal names a field: the argument, or the field inside the one `input` a mutation takes."""
    return path.removeprefix("input.")


class DocumentChecks(SchemaExtension):
    """Parse, limit and validate a document the way the gateway does (`chassis.limits`), each step before
    the work it protects; parsed and validated documents are cached (clients send the same few again and
    again). In production an anonymous caller may not introspect or ask for `_service`."""

    def __init__(self, limits: Limits, cache: "_Documents") -> None:
        super().__init__()
        self.limits, self.cache = limits, cache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = self.cache.parsed(context.query or "", self.limits)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        errors = self.cache.checked(context.schema._schema, document, self.limits)
        caller = context.context
        if not errors and not caller.open_schema and _asks_for_the_schema(document):
            try:
                caller.require_caller()
            except Unauthenticated as e:
                errors = [GraphQLError(f"the schema is for signed-in callers: {e.message}",
                                       extensions={"code": "UNAUTHENTICATED"})]
        operation = get_operation_ast(document, context.operation_name) if not errors else None
        if operation is not None and (refused := cost_error(context.schema._schema, document, operation,
                                                            context.variables, self.limits,
                                                            context.schema.list_sizes)):
            errors = [refused]
        context.pre_execution_errors = errors
        yield


class _Documents:
    """Parsed and checked documents by their text, the newest `size` kept."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._parsed: OrderedDict[str, DocumentNode] = OrderedDict()
        self._checked: dict[int, list[GraphQLError]] = {}

    def parsed(self, query: str, limits: Limits) -> DocumentNode:
        if (found := self._parsed.get(query)) is not None:
            self._parsed.move_to_end(query)
            return found
        try:
            document = parse_within(query, limits)
        except LimitExceeded:
            raise
        except GraphQLError as e:
            raise GraphQLError(e.message, source=e.source, positions=e.positions,
                               extensions={"code": "GRAPHQL_PARSE_FAILED"}) from e
        self._parsed[query] = document
        if len(self._parsed) > self.size:
            dropped = self._parsed.popitem(last=False)[1]
            self._checked.pop(id(dropped), None)
        return document

    def checked(self, schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> list[GraphQLError]:
        """Shape limits, then validation: a cached document's errors are those of its first check."""
        if (found := self._checked.get(id(document))) is None:
            found = shape_errors(document, limits) or [
                GraphQLError(e.message, nodes=e.nodes, extensions={"code": "GRAPHQL_VALIDATION_FAILED"})
                for e in validate(schema, document)]
            self._checked[id(document)] = found
        return found


def _asks_for_the_schema(document: DocumentNode) -> bool:
    return any(isinstance(d, OperationDefinitionNode) and any(
        isinstance(f, FieldNode) and f.name.value in ("__schema", "__type", "_service")
        for f in d.selection_set.selections) for d in document.definitions)


@strawberry.federation.type(shareable=True)  # every subgraph's connections use it
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.federation.type(shareable=True)
class Edge(Generic[N]):
    node: N
    cursor: str


@strawberry.federation.type(shareable=True)  # customers and pool answer with the same CustomerConnection
class Connection(Generic[N]):
    """A page of a list with stable cursors (keyset pagination): `edges { node cursor }`, `pageInfo`, `totalCount`."""

    edges: list[Edge[N]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        """Counted only when asked for: a count can cost far more than the page (every match, not the first few)."""
        return await self.count()

    @classmethod
    def of(cls, nodes: list[N], page: Slice) -> "Connection[N]":
        return cls(edges=[Edge(node=n, cursor=c) for n, c in zip(nodes, page.cursors, strict=True)],
                   page_info=PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next_page),
                   count=page.count)


# 2.9: the first with @listSize (we use it), the last The Guild's composer (Hive) knows; Apollo and Cosmo take it
FEDERATION_VERSION = "2.9"


class ServiceSchema(strawberry.federation.Schema):
    """A service's subgraph: our scalars, a caller and bounded arguments on every root field and on `_entities`,
    the gateway's document limits, the access log; logs only the errors nobody expected."""

    def __init__(self, *, query: type, mutation: type | None = None, subscription: type | None = None,
                 limits: Limits | None = None, **kwargs: Any) -> None:
        for root in (query, mutation):
            for f in root.__strawberry_definition__.fields if root else ():
                if not any(isinstance(e, RootField) for e in f.extensions):
                    f.extensions.append(RootField())
        checks, documents = limits or Limits(), _Documents()
        extensions = [Measure, lambda: DocumentChecks(checks, documents), RecordAccess]
        # A subscription's fields ask for their caller themselves: over WebSocket the connection is refused without one
        # (ServiceRouter.on_ws_connect), and a field extension cannot wrap an async generator.
        super().__init__(query=query, mutation=mutation, subscription=subscription,
                         config=StrawberryConfig(scalar_map=SCALARS),
                         extensions=extensions, federation_version=FEDERATION_VERSION, **kwargs)
        self.list_sizes = list_sizes_in(parse(self.as_str()))  # as the gateway reads them

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        _admit(info, {"representations": representations})  # the gateway forwards the client's token
        return super().entities_resolver(info, representations)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if _is_unexpected(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


class ServiceRouter(GraphQLRouter):
    """Every error carries `extensions.code`; unexpected ones show no internals. Subscriptions over WebSocket
    (graphql-transport-ws) sign in with the connection's first message: `{"Authorization": "Bearer …"}`, as
    browsers cannot set headers on a WebSocket; a connection without a valid token is closed (4403)."""

    def __init__(self, schema: strawberry.federation.Schema, *, verifier: TokenVerifier,
                 context_getter: Callable[[HTTPConnection], Awaitable["ServiceContext[Any]"]], **kwargs: Any) -> None:
        super().__init__(schema, context_getter=context_getter, **kwargs)
        self.verifier = verifier
        self._context = context_getter
        # Strawberry's own POST endpoint, called with what FastAPI would have injected (see `answer_post`).
        self._post = next(route.endpoint for route in self.routes
                          if isinstance(route, APIRoute) and "POST" in route.methods)

    async def answer_post(self, scope: Scope, receive: Receive, send: Send) -> None:
        """POST /graphql as this router's FastAPI route answers it, without FastAPI's routing and dependency
        injection (`chassis.app.GraphQLApp`): the same context and sub-response (which resolvers may set a status
        on) handed to Strawberry's own endpoint."""
        request = Request(scope, receive)
        sub_response = Response()  # as FastAPI makes it for a route that asks for one
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        context = await self._context(request)
        context.request, context.response, context.background_tasks = request, sub_response, BackgroundTasks()
        answer: Response = await self._post(request=request, response=sub_response, context=context, root_value=None)
        await answer(scope, receive, send)

    async def on_ws_connect(self, context: "ServiceContext[Any]") -> None:  # type: ignore[override]
        try:
            context.sign_in(self.verifier.from_header(connection_authorization(context.connection_params)))
        except Unauthenticated as e:
            log.info("subscription connection refused: %s", e.message)
            raise ConnectionRejectionError from e

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [_formatted(e, request) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


MAX_MESSAGE = 500  # an error never echoes a megabyte of what it was sent
_VARIABLE = re.compile(r"Variable '\$(\w+)' (?:has invalid value at \.?([\w.\[\]]+)|got invalid value .*? at '([^']+)')?",
                       re.DOTALL)


def variable_path(message: str) -> str:
    """Which variable (and which field inside it) graphql-core's coercion error is about."""
    found = _VARIABLE.search(message)
    if found is None:
        return "variables"
    return found.group(2) or found.group(3) or found.group(1)  # inside an input: the field's path in it


def _formatted(error: GraphQLError, request: Request) -> dict[str, Any]:
    """Every error with a code of the documented vocabulary; unexpected ones show no internals."""
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if _is_unexpected(error) or (error.path is not None and "code" not in extensions):
        extensions = {"code": "INTERNAL"}
        formatted["message"] = f"internal error (request {getattr(request.state, 'request_id', '-')})"
    elif "code" not in extensions:  # a variable the operation's types refuse: business input
        extensions = {"code": "VALIDATION", "field": field_of(variable_path(error.message))}
    formatted["extensions"] = extensions
    if len(formatted["message"]) > MAX_MESSAGE:
        formatted["message"] = formatted["message"][:MAX_MESSAGE] + "…"
    return formatted


def graphql_router(schema: strawberry.federation.Schema, settings: Settings, service: Callable[[], object]
                   ) -> ServiceRouter:
    """`service()` gives what the lifespan wired, for resolvers to reach as `info.context.service`. In
    production an anonymous caller may not see the schema (the gateway composes with its service token)."""
    verifier = TokenVerifier(settings)

    async def context(request: HTTPConnection) -> ServiceContext[Any]:
        try:
            principal: Principal | Unauthenticated = verifier.from_header(request.headers.get("authorization"))
        except Unauthenticated as e:
            principal = e
        bind(user_id=getattr(principal, "user_id", None))
        return ServiceContext(service(), principal, getattr(request.state, "request_id", "-"),
                              open_schema=settings.crm_env != "prod")

    return ServiceRouter(schema, verifier=verifier, context_getter=context, graphql_ide="graphiql")


def connection_authorization(params: object) -> str | None:
    """The bearer a graphql-transport-ws `connection_init` carries: `Authorization` (or `authorization`)."""
    if not isinstance(params, dict):
        return None
    found = params.get("Authorization", params.get("authorization"))
    return found if isinstance(found, str) else None


def _is_unexpected(error: GraphQLError) -> bool:
    """An exception out of a resolver that is not one of our refusals (those before execution have no path)."""
    return error.path is not None and error.original_error is not None and not isinstance(
        error.original_error, CrmError | GraphQLError)
