"""`crm dev`: every subgraph that exists, in one process on one port, on embedded defaults."""

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from chassis.app import make_bus
from chassis.settings import Settings
from crm.seed import seed_once
from services.customer.app import create_app as customer_app

log = logging.getLogger("crm.dev")


def all_in_one(settings: Settings) -> FastAPI:
    """The services share one bus (in-process unless AMQP_URL) and one Mongo."""
    bus = make_bus(settings)
    customer = customer_app(settings, bus=bus)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        try:
            async with customer.router.lifespan_context(customer):
                seeded = await seed_once(customer.state.crm["service"])
                if seeded:
                    log.info("seeded %s demo customers", seeded)
                yield
        finally:
            await bus.close()

    app = FastAPI(title="crm dev", lifespan=lifespan)
    # Until the gateway lands, the customer subgraph is the graph.
    app.mount("/", customer)
    return app
