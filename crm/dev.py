"""`crm dev`: every subgraph that exists, in one process on one port, on embedded defaults."""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from chassis.app import make_bus
from chassis.settings import Settings
from crm.seed import seed_once
from crm.services import SERVICES, app_factory

log = logging.getLogger("crm.dev")


def all_in_one(settings: Settings) -> FastAPI:
    """The services share one bus (in-process unless AMQP_URL) and one Mongo."""
    bus = make_bus(settings)
    apps = {name: app_factory(name)(settings, bus=bus) for name in SERVICES}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        try:
            async with contextlib.AsyncExitStack() as running:
                for service in apps.values():
                    await running.enter_async_context(service.router.lifespan_context(service))
                seeded = await seed_once(apps["customer"].state.crm["service"])
                if seeded:
                    log.info("seeded %s demo customers", seeded)
                yield
        finally:
            await bus.close()

    app = FastAPI(title="crm dev", lifespan=lifespan)
    for name, service in apps.items():
        if name != "customer":
            app.mount(f"/subgraphs/{name}", service)
    # Until the gateway lands, the customer subgraph is the graph.
    app.mount("/", apps["customer"])
    return app
