"""The gateway's HTTP face: `/graphql` (GraphiQL on GET from a browser; subscriptions over WebSocket, see
`gateway.websocket`), `/schema.graphql`, `/healthz`, `/readyz`.

Start-up composes the subgraphs, asking each for its SDL until it answers. Every operation needs a
valid bearer token before anything is fetched; the one exception is introspection in `dev`, so that
GraphiQL can show the schema before a token is pasted into its headers.
"""

import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import anyio
import httpx
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from graphql import OperationType
from strawberry.http.ides import get_graphql_ide_html

from chassis import metrics
from chassis.app import GraphQLApp
from chassis.auth import Principal, Role, TokenVerifier, mint_token
from chassis.clock import SystemClock
from chassis.errors import CODES, Unauthenticated
from chassis.limits import Limits
from chassis.logs import bind
from chassis.ratelimit import RateLimiter
from chassis.service import qualified
from chassis.settings import Settings
from chassis.transport import Receive, Scope, Send
from gateway import jsonio
from gateway.compose import compose
from gateway.pipeline import Gateway, request_error
from gateway.subgraphs import SubgraphClient, fetch_sdls, parse_subgraphs
from gateway.websocket import Connection

log = logging.getLogger("gateway")


def create_gateway_app(
    settings: Settings,
    subgraphs: Mapping[str, str] | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    sdls: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    subgraph_timeout_s: float | Mapping[str, float] = 10.0,
) -> GraphQLApp:
    """`subgraphs`: name → URL, default `settings.subgraphs` (`name=url,...`). `sdls`: name → SDL to
    compose from instead of asking the subgraphs (checked-in files). `transports`: name → httpx
    transport, for serving subgraphs in-process in tests. `subgraph_timeout_s`: one bound for every
    subgraph, or name → bound (10 s for those not named)."""
    urls = dict(subgraphs) if subgraphs is not None else parse_subgraphs(settings.subgraphs)
    verifier = TokenVerifier(settings)
    service = qualified("gateway", settings.instance)  # as spans and metrics name it

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = {
            name: SubgraphClient(
                name,
                url,
                timeout_s=_timeout_s(subgraph_timeout_s, name),
                transport=(transports or {}).get(name),
            )
            for name, url in urls.items()
        }
        try:
            texts = dict(sdls) if sdls is not None else await fetch_sdls(clients, _service_headers(settings))
            supergraph = compose({name: texts[name] for name in urls})  # CompositionError stops start-up
            app.state.gateway = Gateway(
                supergraph, clients, limits=limits or Limits(), introspection=settings.crm_env != "prod"
            )
            log.info("gateway composed subgraphs %s", ", ".join(f"{n}={u}" for n, u in urls.items()))
            yield
        finally:
            for client in clients.values():
                await client.aclose()

    app = GraphQLApp(service=service, settings=settings, title="CRM gateway", lifespan=lifespan, docs_url=None,
                     redoc_url=None, openapi_url=None)
    limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst) if settings.rate_limit_per_s else None

    async def verify(authorization: str | None) -> Principal:
        if settings.jwks_url:
            return await anyio.to_thread.run_sync(verifier.from_header, authorization)  # may fetch the keys
        return verifier.from_header(authorization)

    async def respond(
        gateway: Gateway, request_id: str, authorization: str | None, query: object, variables: object,
        operation_name: object, *, read_only: bool = False,
    ) -> tuple[int, dict, dict[str, str]]:
        """The status, body and extra headers of the answer to one GraphQL request."""
        started = time.perf_counter()
        if not isinstance(query, str) or not query.strip():
            return 400, _refusal("send a GraphQL document in `query`"), {}
        if not isinstance(variables, dict | None) or not isinstance(operation_name, str | None):
            return 400, _refusal("`variables` must be an object and `operationName` a string"), {}
        try:
            caller = await verify(authorization)
            bind(user_id=caller.user_id)
            if limiter is not None and (wait_s := limiter.wait_s(caller.user_id)):
                log.info("request_id=%s rate-limited user=%s", request_id, caller.user_id)
                body = {"errors": [request_error(f"too many requests: {settings.rate_limit_per_s}/s each, bursts "
                                                 f"of {settings.rate_limit_burst}; try again in {wait_s:.1f} s",
                                                 "LIMIT", limit="rate")]}
                _measure(service, "other", time.perf_counter() - started, body["errors"])
                return 429, body, {"retry-after": RateLimiter.retry_after(wait_s)}
        except Unauthenticated as e:
            # Outside dev, before any parsing: an anonymous caller learns nothing about the schema.
            if settings.crm_env != "dev" or not gateway.prepare(query, operation_name).introspection_only:
                log.info("request_id=%s refused: %s", request_id, e.message)
                body = {"errors": [{"message": e.message, "extensions": e.extensions}]}
                _measure(service, "other", time.perf_counter() - started, body["errors"])
                return 200, body, {}
        prepared = gateway.prepare(query, operation_name)
        operation = prepared.operation
        if read_only and operation is not None and operation.operation != OperationType.QUERY:
            return 405, _refusal("mutations need POST"), {}
        headers = {"x-request-id": request_id} | ({"authorization": authorization} if authorization else {})
        body = await gateway.execute(prepared, variables, headers)
        elapsed_s = time.perf_counter() - started
        errors = body.get("errors", ())
        _measure(service, prepared.root_field, elapsed_s, errors)
        name = operation.name.value if operation is not None and operation.name else "-"
        log.info("request_id=%s operation=%s errors=%d ms=%.1f", request_id, name, len(errors), elapsed_s * 1000)
        return 200, body, {}

    async def graphql_post(scope: Scope, receive: Receive, send: Send) -> None:
        """POST /graphql, plain ASGI behind the request context and guard (see `GraphQLApp`; the guard answers an
        unexpected error)."""
        state, payload = scope["state"], scope["state"]["payload"]  # read and checked by RequestGuard
        authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
        status, body, headers = await respond(
            app.state.gateway, state["request_id"], authorization, payload.get("query"), payload.get("variables"),
            payload.get("operationName"))
        content = jsonio.dumps(body)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            *((k.encode(), v.encode()) for k, v in headers.items())]})
        await send({"type": "http.response.body", "body": content})

    app.serve_graphql_post(graphql_post)

    @app.get("/graphql")
    async def graphql_get(request: Request) -> Response:
        params = request.query_params
        # GraphiQL lives on introspection, which production refuses: no point serving it there.
        if (
            "query" not in params
            and "text/html" in request.headers.get("accept", "")
            and settings.crm_env != "prod"
        ):
            return HTMLResponse(get_graphql_ide_html().replace("Strawberry GraphiQL", "CRM GraphiQL"))
        try:
            variables = json.loads(params["variables"]) if params.get("variables") else None
        except ValueError:
            variables = "not JSON"
        request_id = request.state.request_id
        status, body, headers = await respond(
            request.app.state.gateway, request_id, request.headers.get("authorization"), params.get("query"),
            variables, params.get("operationName"), read_only=True
        )
        return Response(jsonio.dumps(body), status, {"x-request-id": request_id, **headers},
                        media_type="application/json")

    @app.websocket("/graphql")
    async def graphql_socket(websocket: WebSocket) -> None:
        await Connection(websocket, websocket.app.state.gateway, verify, limiter, settings.max_body_bytes).serve()

    @app.get("/schema.graphql")
    async def composed_schema(request: Request) -> Response:
        return PlainTextResponse(request.app.state.gateway.supergraph.sdl)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict:
        return {"status": "ok", "subgraphs": list(request.app.state.gateway.supergraph.subgraphs)}

    @app.get("/readyz")
    async def readyz(request: Request) -> dict:
        """Ready once composed: start-up waits for every subgraph before it serves at all."""
        return {"ready": True, "subgraphs": list(request.app.state.gateway.supergraph.subgraphs)}

    return app


def _measure(service: str, root_field: str, elapsed_s: float, errors: Sequence[dict]) -> None:
    metrics.GRAPHQL_SECONDS.labels(service, root_field).observe(elapsed_s)
    metrics.GRAPHQL_OPERATIONS.labels(service, root_field, "error" if errors else "ok").inc()
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        metrics.GRAPHQL_ERRORS.labels(service, code if code in CODES else "INTERNAL").inc()


def _timeout_s(bounds: float | Mapping[str, float], subgraph: str) -> float:
    return bounds if isinstance(bounds, int | float) else bounds.get(subgraph, 10.0)


def _refusal(message: str) -> dict:
    return {"errors": [request_error(message, "BAD_REQUEST")]}


def _service_headers(settings: Settings) -> dict[str, str]:
    """Asking for SDL: a SERVICE token (production subgraphs show their schema to signed-in callers only):
    minted with the shared secret, or the one configured (SERVICE_TOKEN) when tokens come from a JWKS."""
    if settings.jwks_url:
        return {"authorization": f"Bearer {settings.service_token}"} if settings.service_token else {}
    token = mint_token(settings.jwt_secret, "gateway", [Role.SERVICE], now=SystemClock().now())
    return {"authorization": f"Bearer {token}"}
