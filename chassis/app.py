"""`create_service_app`: the FastAPI process around one service's kit: schema, store, bus and jobs.

Nothing connects at import time: the lifespan opens the Mongo client and the broker connection,
starts the outbox relay, the subscriptions and the jobs, and closes all of them on the way out.
"""

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

import strawberry
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers, MutableHeaders

from chassis import metrics, tracing
from chassis.bus import Bus, Poison, decode
from chassis.clock import Clock, SystemClock
from chassis.graphql import graphql_router
from chassis.inprocess import InProcessBus
from chassis.logs import bound
from chassis.outbox import OutboxRelay
from chassis.service import Job, Locate, Service, UseCase, qualified
from chassis.settings import Settings
from chassis.stopping import raise_if_cancel_lost, stop
from chassis.store import Database, SettingsT, StoreT, ToContract, connect
from chassis.transport import Message, Receive, RequestGuard, Scope, Send
from contracts.envelope import Event

log = logging.getLogger("crm.app")

# FastAPI's own OpenTelemetry (0.165 on) would add a second server span beside `RequestContext`'s, which also
# covers what is refused before routing, and a span per dependency: each process traces a request once, its way.
FASTAPI_TELEMETRY: Any = {"tracing": False, "operation_spans": False, "metrics": False, "logs": False}


def make_bus(settings: Settings) -> Bus:
    if settings.amqp_url:
        from chassis.rabbit import RabbitBus

        return RabbitBus(settings.amqp_url, retry_delays_s=settings.retry_delays_s, prefetch=settings.prefetch,
                         partitions=settings.partitions, queue_expires_s=settings.queue_expires_s)
    return InProcessBus(retry_delays_s=settings.retry_delays_s, prefetch=settings.prefetch)


@dataclass(frozen=True)
class Kit(Generic[StoreT, SettingsT]):
    """What one service is made of: its name, settings class, repository, schema, the events it consumes
    with the use case of each (its `SUBSCRIPTIONS`, the complete wiring), the mapper from its domain events
    to the published contracts, and its jobs. `create_app` turns it into a process."""

    name: str
    settings: type[SettingsT]
    store: Callable[[Database], StoreT]
    schema: strawberry.federation.Schema
    subscriptions: Mapping[type[Event], UseCase]
    to_contract: ToContract
    jobs: Sequence[Job[SettingsT]] = ()
    subjects: Mapping[type[Event], Locate] = field(default_factory=dict)  # see Service.subjects
    routes: Callable[[Callable[[], Service[Any, Any]]], APIRouter] | None = None  # HTTP beside /graphql (intake)
    # Events every replica hears as they pass (`Bus.listen`) and hands to `Service.live` under the key each names
    # (a person): what GraphQL subscriptions follow.
    live: Mapping[type[Event], Callable[[Any], str]] = field(default_factory=dict)

    def create_app(self, settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None,
                   service_settings: SettingsT | None = None) -> FastAPI:
        """`bus`: a bus shared with other services in this process (`crm dev`); else one of our own.
        `service_settings`: the service's own settings (default: from its environment variables)."""
        return create_service_app(self, settings, clock=clock, bus=bus, service_settings=service_settings)


def create_service_app(
    kit: Kit[Any, SettingsT],
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus: Bus | None = None,
    service_settings: SettingsT | None = None,
) -> FastAPI:
    if not settings.mongo_url:
        raise ValueError(f"{kit.name}: MONGO_URL is not set")
    own_settings = service_settings if service_settings is not None else kit.settings()
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_bus = bus is None
        database = Database(connect(settings.mongo_url),
                            "_".join(filter(None, ["crm", kit.name, settings.instance])))
        service = Service(kit.name, kit.subscriptions, kit.to_contract, own_settings, database, kit.store(database),
                          bus or make_bus(settings), clock or SystemClock(), subjects=kit.subjects,
                          instance=settings.instance)
        if own_bus:
            await service.bus.start()
        await database.ensure_indexes()
        await service.store.ensure_indexes()  # type: ignore[attr-defined]
        state.update(service=service)
        if kit.subscriptions:
            await service.bus.subscribe(service.qualified_name,
                                        {event: service.deliver for event in kit.subscriptions}, service.subject,
                                        service.dead_lettered)
        if kit.live:
            await service.bus.listen(service.qualified_name, [event.type for event in kit.live],
                                     functools.partial(_hear, kit.live, service))
        relay = OutboxRelay(database, service.bus, poll_s=settings.outbox_poll_s, name=service.qualified_name)
        tasks = [asyncio.create_task(relay.run(), name=f"{kit.name}-outbox")]
        tasks += [asyncio.create_task(_every(job, service), name=f"{kit.name}-{job.name}") for job in kit.jobs]
        log.info("%s started", kit.name)
        try:
            yield
        finally:
            await stop(tasks)
            if own_bus:
                await service.bus.close()
            await database.client.close()

    app = GraphQLApp(service=qualified(kit.name, settings.instance), settings=settings, title=f"crm {kit.name}",
                     lifespan=lifespan)
    app.state.crm = state

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        service: Service[Any, Any] | None = state.get("service")
        checks = {"mongo": False, "bus": False}
        if service:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await service.database.ping()
                checks["mongo"] = True
            checks["bus"] = service.bus.is_ready()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    router = graphql_router(kit.schema, settings, lambda: state["service"])
    app.include_router(router, prefix="/graphql")
    app.serve_graphql_post(router.answer_post)
    if kit.routes is not None:
        app.include_router(kit.routes(lambda: state["service"]))
    return app


class GraphQLApp(FastAPI):
    """FastAPI for every process (the gateway and each service), except for POST /graphql: the one hot path goes
    straight to the process's handler (`serve_graphql_post`) through the same request context and guard FastAPI's
    stack has, skipping FastAPI's own layers — exception and error middleware, route matching, dependency
    injection, the request object — measured at a tenth of the gateway's CPU per request and about as much of a
    subgraph's. Everything else (GET, WebSocket, health, metrics) is FastAPI's."""

    def __init__(self, *, service: str, settings: Settings, **kwargs: Any) -> None:
        """`service`: as spans and metrics name the process."""
        super().__init__(telemetry=FASTAPI_TELEMETRY, **kwargs)
        self._guard = {"max_body_bytes": settings.max_body_bytes, "deadline_s": settings.request_deadline_s}
        self._service = service
        self._graphql_post: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None
        self.add_middleware(RequestGuard, **self._guard)
        self.add_middleware(RequestContext, service=service)

        @self.get("/metrics")
        async def prometheus() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    def serve_graphql_post(self, handler: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        """`handler` answers POST /graphql; the guard has read the body into `scope["state"]["payload"]` (and
        replays it to `receive`), and answers what the handler raises (no FastAPI middleware stands behind it)."""
        self._graphql_post = RequestContext(RequestGuard(handler, **self._guard), service=self._service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self._graphql_post is not None and scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] == "/graphql"):
            await self._graphql_post(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class RequestContext:
    """The request's id, the caller's `x-request-id` or a new one, on each log line, in `request.state.request_id`
    and on the answer; and a server span that continues the caller's trace. Plain ASGI: Starlette's
    `@app.middleware` wraps every request and answer in extra tasks and streams."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        with (bound(request_id=request_id),
              tracing.span(f"{scope['method']} {scope['path']}", kind=SpanKind.SERVER,
                           context=tracing.context_from(headers), attributes={"crm.service": self.service})):
            await self.app(scope, receive, answer)


async def _hear(live: Mapping[type[Event], Callable[[Any], str]], service: Service[Any, Any], body: bytes) -> None:
    try:
        envelope, key_of = decode(body, live)  # type: ignore[arg-type]
    except Poison as e:
        log.warning("%s: a live event was dropped: %s", service.qualified_name, e)
        return
    service.live.publish(key_of(envelope.data), envelope.data)


async def _every(job: Job[Any], service: Service[Any, Any]) -> None:
    while True:
        await asyncio.sleep(job.every_s(service.settings))
        await run_job(job, service)
        raise_if_cancel_lost(f"job {job.name}")


async def run_job(job: Job[Any], service: Service[Any, Any]) -> None:
    """One run, counted; a failure is logged and the job runs again next time."""
    try:
        await job.run(service)
    except Exception:
        log.exception("job %s failed; it runs again in %ss", job.name, job.every_s(service.settings))
        metrics.JOB_RUNS.labels(service.qualified_name, job.name, "failed").inc()
    else:
        metrics.JOB_RUNS.labels(service.qualified_name, job.name, "ok").inc()
