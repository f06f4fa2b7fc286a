from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from chassis.clock import FixedClock
from services.ownership.app import create_app
from services.ownership.settings import OwnershipSettings
from tests.support import START, GraphQL, delete_services, eventually, serving, settings_for


@dataclass
class OwnershipHarness:
    gql: GraphQL
    clock: FixedClock
    app: FastAPI

    @property
    def service(self):  # the wired OwnershipService: store, uow(), rules, sweeps
        return self.app.state.crm["service"]


@pytest.fixture
def pool_rules() -> OwnershipSettings:
    """OWN-5 limits; a test that needs others overrides this fixture."""
    return OwnershipSettings(max_customers=200, cooldown_days=30)


@pytest.fixture
async def ownership(mongo_url: str, amqp_url: str, unique: str, pool_rules: OwnershipSettings
                    ) -> AsyncIterator[OwnershipHarness]:
    """The ownership service on real Mongo wire protocol and real RabbitMQ, at a fixed time."""
    clock = FixedClock(START)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=clock, service_settings=pool_rules)
    async with serving(app) as gql:
        yield OwnershipHarness(gql, clock, app)
        # Stop only once the relay is idle: on Python 3.11 a cancel that lands while it awaits a publish
        # inside asyncio.wait_for can be swallowed, and the lifespan then waits for the relay forever.
        outbox = app.state.crm["service"].database.outbox
        await eventually(lambda: _empty(outbox), timeout_s=5)
    await delete_services(amqp_url, f"ownership.{unique}")


async def _empty(collection) -> bool:
    return await collection.count_documents({}) == 0
