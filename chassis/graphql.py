"""The GraphQL skin every service shares: the typed request context, a caller on every root field,
batching loaders, the access log, the page types, error codes and the `/graphql` router."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, NewType, TypeVar

import strawberry
from graphql import FieldNode, GraphQLError
from starlette.requests import Request
from strawberry.dataloader import DataLoader
from strawberry.extensions import FieldExtension, ParserCache, SchemaExtension, ValidationCache
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.federation.schema import FederationAny
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.info import Info

from chassis.auth import Principal, TokenVerifier
from chassis.errors import CrmError, Unauthenticated
from chassis.pagination import Slice
from contracts.access import AccessEntry, AccessRecorded

log = logging.getLogger("crm.graphql")

S = TypeVar("S")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
N = TypeVar("N")


class ServiceContext(BaseContext, Generic[S]):
    """What a resolver may use: the caller, the service, per-request loaders and the access log."""

    def __init__(self, service: S, caller: Principal | Unauthenticated, request_id: str) -> None:
        super().__init__()
        self.service = service
        self.request_id = request_id
        self._caller = caller
        self._loaders: dict[str, DataLoader[Any, Any]] = {}
        self._accessed: dict[tuple[str, str, str], AccessEntry] = {}

    @property
    def caller(self) -> Principal:
        """The verified caller, or UNAUTHENTICATED for the field that asked."""
        return self.require_caller()

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


class SignedIn(FieldExtension):
    """Every root field needs a caller: no resolver can forget to ask (UNAUTHENTICATED otherwise)."""

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        info.context.require_caller()
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info,
                            **kwargs: Any) -> Any:
        info.context.require_caller()
        return await next_(source, info, **kwargs)


Fen = NewType("Fen", int)
"""An exact amount of money in fen (0.01 CNY); GraphQL's 32-bit Int is too small for credit limits."""


def _parse_fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Fen must be an integer number of fen (0.01 CNY)")
    if not -(2**63) <= value < 2**63:
        raise ValueError("Fen must fit in 64 bits")
    return value


FEN_SCALAR = strawberry.scalar(
    name="Fen",
    description="An exact amount of money in fen (0.01 CNY): a 64-bit integer, a JSON number on the wire. "
    "GraphQL's Int is 32-bit (max ≈ 21 million CNY), too small for credit limits.",
    serialize=int,
    parse_value=_parse_fen,
)


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
    total_count: int

    @classmethod
    def of(cls, nodes: list[N], page: Slice) -> "Connection[N]":
        return cls(edges=[Edge(node=n, cursor=c) for n, c in zip(nodes, page.cursors, strict=True)],
                   page_info=PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next_page),
                   total_count=page.total_count)


class ServiceSchema(strawberry.federation.Schema):
    """A service's subgraph: knows `Fen`, needs a caller on every root field and on `_entities`, writes the
    access log, logs only the errors nobody expected."""

    def __init__(self, *, query: type, mutation: type | None = None, **kwargs: Any) -> None:
        for root in (query, mutation):
            for f in root.__strawberry_definition__.fields if root else ():
                if not any(isinstance(e, SignedIn) for e in f.extensions):
                    f.extensions.append(SignedIn())
        # Clients send the same few documents again and again: parse and validate each once.
        extensions = [lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512), RecordAccess]
        super().__init__(query=query, mutation=mutation, config=StrawberryConfig(scalar_map={Fen: FEN_SCALAR}),
                         extensions=extensions, **kwargs)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        info.context.require_caller()  # the gateway forwards the client's token: no token, no entities
        return super().entities_resolver(info, representations)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            if _is_unexpected(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


class ServiceRouter(GraphQLRouter):
    """Every error carries `extensions.code`; unexpected ones show no internals."""

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [_formatted(e, request) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def _formatted(error: GraphQLError, request: Request) -> dict[str, Any]:
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(error.original_error, CrmError):
        return formatted  # its own code and message
    if not _is_unexpected(error):
        # Parse, validation and variable-coercion errors: the message names the field at fault.
        extensions.setdefault("code", "VALIDATION")
    else:
        extensions["code"] = "INTERNAL"
        formatted["message"] = f"internal error (request {getattr(request.state, 'request_id', '-')})"
    formatted["extensions"] = extensions
    return formatted


def graphql_router(schema: strawberry.federation.Schema, verifier: TokenVerifier, service: Callable[[], object]
                   ) -> ServiceRouter:
    """`service()` gives what the lifespan wired, for resolvers to reach as `info.context.service`."""

    async def context(request: Request) -> ServiceContext[Any]:
        try:
            principal: Principal | Unauthenticated = verifier.from_header(request.headers.get("authorization"))
        except Unauthenticated as e:
            principal = e
        return ServiceContext(service(), principal, getattr(request.state, "request_id", "-"))

    return ServiceRouter(schema, context_getter=context, graphql_ide="graphiql")


def _is_unexpected(error: GraphQLError) -> bool:
    """An exception out of a resolver that is not one of our refusals (those before execution have no path)."""
    return error.path is not None and error.original_error is not None and not isinstance(
        error.original_error, CrmError)
