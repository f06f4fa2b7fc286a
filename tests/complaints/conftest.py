import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI

from chassis.clock import FixedClock
from contracts.customer import CustomerRegistered
from contracts.envelope import Envelope
from contracts.ownership import StaffChanged
from services.complaints.app import create_app
from services.complaints.jobs import sweep_deadlines
from services.complaints.settings import ComplaintsSettings
from tests.support import START, GraphQL, delete_services, serving, settings_for, staff_changed

MANAGER = "manager-east"  # u1's manager: escalations of u1's complaints go here


@dataclass
class ComplaintsHarness:
    gql: GraphQL
    clock: FixedClock
    app: FastAPI

    @property
    def service(self):  # the wired ComplaintsService: store, uow(), policy, sweep
        return self.app.state.crm["service"]

    @property
    def outbox(self):
        return self.app.state.crm["service"].database.outbox

    async def a_customer(self, region: str | None = "east", customer_id: str | None = None) -> str:
        """A customer the service heard of, as if customer.registered had arrived."""
        envelope = Envelope[CustomerRegistered].model_validate(customer_registered(customer_id, region))
        await self.service.deliver(envelope)
        return envelope.data.customer_id

    async def know_staff(self, user_id: str, *roles: str, region: str | None = "east",
                         manager_id: str | None = None, department: str | None = None) -> None:
        """The staff directory as ownership tells it (staff.changed)."""
        await self.service.deliver(Envelope[StaffChanged].model_validate(staff_changed(
            user_id, *roles, region=region, manager_id=manager_id, department=department)))

    async def sweep(self) -> int:
        return await sweep_deadlines(self.service)


def customer_registered(customer_id: str | None = None, region: str | None = "east",
                        at: datetime = START) -> dict[str, Any]:
    """The JSON the customer service puts on the wire for a registration."""
    customer_id = customer_id or str(uuid.uuid4())
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "customer", "type": "customer.registered",
        "time": at.isoformat(), "subject": customer_id, "datacontenttype": "application/json",
        "data": {"customerId": customer_id, "code": "C000042", "name": "华东机电有限公司", "kind": "COMPANY",
                 "nature": "ORDINARY_COMPANY", "region": region, "registeredBy": "u1",
                 "registeredAt": at.isoformat()},
    }


@pytest.fixture
async def desk(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[ComplaintsHarness]:
    """The complaints service on real Mongo wire protocol and real RabbitMQ, at a fixed time (a Monday)."""
    clock = FixedClock(START)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=clock,
                     service_settings=ComplaintsSettings(sweep_every_s=3600))
    async with serving(app) as gql:
        harness = ComplaintsHarness(gql, clock, app)
        await harness.know_staff("u1", manager_id=MANAGER)
        yield harness
    await delete_services(amqp_url, f"complaints.{unique}")
