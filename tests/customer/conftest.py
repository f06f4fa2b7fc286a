from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from chassis.clock import FixedClock
from services.customer.app import create_app
from tests.support import START, GraphQL, delete_services, serving, settings_for


@dataclass
class CustomerHarness:
    gql: GraphQL
    clock: FixedClock
    app: FastAPI

    @property
    def service(self):  # the wired CustomerService: store, uow(), sweeps
        return self.app.state.crm["service"]


@pytest.fixture
async def archive(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[CustomerHarness]:
    """The customer service on real Mongo wire protocol and real RabbitMQ, at a fixed time."""
    clock = FixedClock(START)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=clock)
    async with serving(app) as gql:
        yield CustomerHarness(gql, clock, app)
    await delete_services(amqp_url, f"customer.{unique}")
