"""`crm dev`: every subgraph and the gateway, in one process on one port, on embedded defaults."""

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from chassis.app import FASTAPI_TELEMETRY, make_bus
from chassis.settings import Settings
from crm.seed import seed_once
from crm.services import SERVICES, app_factory
from gateway.app import create_gateway_app
from services.credit.app import create_app as create_credit_app
from services.credit.settings import DEV_INTAKE_TOKEN, CreditSettings, IntakeSource

log = logging.getLogger("crm.dev")


def _credit_settings() -> CreditSettings:
    """Credit's own settings; unless CREDIT_INTAKE_SOURCES says otherwise, ERP may send over HTTP with the dev
    token (README: "Publishing from ERP over HTTP")."""
    own = CreditSettings()
    if own.intake_sources:
        return own
    return own.model_copy(update={"intake_sources": {"erp": IntakeSource(token=DEV_INTAKE_TOKEN)}})


def all_in_one(settings: Settings) -> FastAPI:
    """The services share one bus (in-process unless AMQP_URL) and one Mongo; the gateway reaches
    them in-process, over the same GraphQL-over-HTTP interface it uses in production."""
    bus = make_bus(settings)
    services = {name: app_factory(name)(settings, bus=bus) for name in SERVICES if name != "credit"}
    services["credit"] = create_credit_app(settings, bus=bus, service_settings=_credit_settings())
    gateway = create_gateway_app(
        settings,
        {name: f"http://{name}/graphql" for name in services},
        transports={name: httpx.ASGITransport(app=app) for name, app in services.items()},
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        try:
            async with contextlib.AsyncExitStack() as running:
                for service in services.values():
                    await running.enter_async_context(service.router.lifespan_context(service))
                seeded = await seed_once({name: app.state.crm["service"] for name, app in services.items()}, bus)
                if seeded:
                    log.info("seeded %s demo customers", seeded)
                await running.enter_async_context(gateway.router.lifespan_context(gateway))
                yield
        finally:
            await bus.close()

    app = FastAPI(title="crm dev", lifespan=lifespan, telemetry=FASTAPI_TELEMETRY)
    for name, service in services.items():
        app.mount(f"/subgraphs/{name}", service)  # each subgraph on its own, for debugging
    app.mount("/", gateway)
    return app
