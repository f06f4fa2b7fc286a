"""The GraphQL skin every service shares: request context, error codes, the `/graphql` router."""

import logging
from collections.abc import Callable
from typing import Any, Generic, NewType, TypeVar

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.info import Info

from chassis.auth import Principal, TokenVerifier
from chassis.errors import CrmError, Unauthenticated

log = logging.getLogger("crm.graphql")

S = TypeVar("S")


class ServiceContext(BaseContext, Generic[S]):
    """What a resolver may use: the caller and the service's own dependencies (`service`)."""

    def __init__(self, service: S, caller: Principal | Unauthenticated, request_id: str) -> None:
        super().__init__()
        self.service = service
        self._caller = caller
        self.request_id = request_id

    def principal(self) -> Principal:
        """The verified caller, or UNAUTHENTICATED for the field that asked."""
        if isinstance(self._caller, Unauthenticated):
            raise self._caller
        return self._caller


def caller(info: Info) -> Principal:
    return info.context.principal()


def service_of(info: Info) -> Any:
    return info.context.service


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


class ServiceSchema(strawberry.federation.Schema):
    """A service's subgraph: knows `Fen`; logs only the errors nobody expected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Clients send the same few documents again and again: parse and validate each once.
        caches = [lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
        super().__init__(*args, config=StrawberryConfig(scalar_map={Fen: FEN_SCALAR}), extensions=caches, **kwargs)

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


def graphql_router(
    schema: strawberry.federation.Schema, verifier: TokenVerifier, service: Callable[[], object]
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
