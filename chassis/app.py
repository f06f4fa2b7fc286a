"""`create_service_app`: the FastAPI process around one service's schema, store, bus and jobs.

Nothing connects at import time: the lifespan opens the Mongo client and the broker connection,
starts the outbox relay, the subscriptions and the jobs, and closes all of them on the way out.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from chassis.auth import TokenVerifier
from chassis.bus import Bus, Handler
from chassis.clock import Clock, SystemClock
from chassis.graphql import graphql_router
from chassis.inprocess import InProcessBus
from chassis.outbox import OutboxRelay
from chassis.settings import Settings
from chassis.store import Database, connect
from contracts.envelope import Event

log = logging.getLogger("crm.app")


@dataclass(frozen=True)
class Runtime:
    """What a service is wired from."""

    name: str
    settings: Settings
    clock: Clock
    database: Database
    bus: Bus


@dataclass(frozen=True)
class Job:
    """A periodic sweep; safe in every replica because each change it makes is conditional."""

    name: str
    every_s: float
    run: Callable[[], Awaitable[Any]]


@dataclass
class Wiring:
    """What a service hands back: its resolvers' dependencies, its subscriptions, its jobs."""

    service: object
    subscriptions: Mapping[type[Event], Handler] = field(default_factory=dict)
    jobs: Sequence[Job] = ()


def make_bus(settings: Settings) -> Bus:
    if settings.amqp_url:
        from chassis.rabbit import RabbitBus

        return RabbitBus(settings.amqp_url, retry_delays_s=settings.retry_delays_s, prefetch=settings.prefetch,
                         queue_expires_s=settings.queue_expires_s)
    return InProcessBus(retry_delays_s=settings.retry_delays_s, prefetch=settings.prefetch)


def create_service_app(
    name: str,
    settings: Settings,
    schema: strawberry.federation.Schema,
    wire: Callable[[Runtime], Awaitable[Wiring]],
    *,
    clock: Clock | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """`bus`: a bus shared with other services in this process (`crm dev`); else one of our own."""
    if not settings.mongo_url:
        raise ValueError(f"{name}: MONGO_URL is not set")
    verifier = TokenVerifier(settings)
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_bus = bus is None
        database = Database(connect(settings.mongo_url), "_".join(filter(None, ["crm", name, settings.instance])))
        runtime = Runtime(name, settings, clock or SystemClock(), database, bus or make_bus(settings))
        if own_bus:
            await runtime.bus.start()
        await runtime.database.ensure_indexes()
        wiring = await wire(runtime)
        state.update(runtime=runtime, service=wiring.service)
        if wiring.subscriptions:
            await runtime.bus.subscribe(".".join(filter(None, [name, settings.instance])), wiring.subscriptions)
        relay = OutboxRelay(runtime.database, runtime.bus, poll_s=settings.outbox_poll_s)
        tasks = [asyncio.create_task(relay.run(), name=f"{name}-outbox")]
        tasks += [asyncio.create_task(_every(job), name=f"{name}-{job.name}") for job in wiring.jobs]
        log.info("%s started", name)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if own_bus:
                await runtime.bus.close()
            await runtime.database.client.close()

    app = FastAPI(title=f"crm {name}", lifespan=lifespan)
    app.state.crm = state

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["x-request-id"] = request.state.request_id
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        runtime: Runtime | None = state.get("runtime")
        checks = {"mongo": False, "bus": False}
        if runtime:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await runtime.database.ping()
                checks["mongo"] = True
            checks["bus"] = runtime.bus.is_ready()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    app.include_router(graphql_router(schema, verifier, lambda: state["service"]), prefix="/graphql")
    return app


async def _every(job: Job) -> None:
    while True:
        await asyncio.sleep(job.every_s)
        try:
            await job.run()
        except Exception:
            log.exception("job %s failed; it runs again in %ss", job.name, job.every_s)
