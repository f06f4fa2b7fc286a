"""The customer service process: wiring only."""

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from chassis.app import Job, Runtime, Wiring, create_service_app
from chassis.bus import Bus
from chassis.clock import Clock
from chassis.consume import consumer
from chassis.settings import Settings
from contracts.envelope import Envelope
from services.customer.handlers import SUBSCRIPTIONS
from services.customer.jobs import sweep_lifecycles
from services.customer.schema import schema
from services.customer.store import CustomerStore, CustomerUnitOfWork

NAME = "customer"
LIFECYCLE_SWEEP_EVERY_S = 3600.0


@dataclass(frozen=True)
class CustomerService:
    """What resolvers and jobs use: the store for reads, `uow()` for changes, the clock."""

    runtime: Runtime
    store: CustomerStore

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self, consumed: Envelope[Any] | None = None) -> CustomerUnitOfWork:
        return CustomerUnitOfWork(self.store, self.runtime.database, self.runtime.clock, source=NAME, consumed=consumed)

    async def sweep_lifecycles(self) -> int:
        return await sweep_lifecycles(self.store, self.uow, self.clock.now())


async def wire(runtime: Runtime) -> Wiring:
    store = CustomerStore(runtime.database)
    await store.ensure_indexes()
    service = CustomerService(runtime, store)
    return Wiring(
        service=service,
        subscriptions={event: consumer(service.uow, use_case) for event, use_case in SUBSCRIPTIONS.items()},
        jobs=[Job("lifecycle-sweep", LIFECYCLE_SWEEP_EVERY_S, service.sweep_lifecycles)],
    )


def create_app(settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None) -> FastAPI:
    return create_service_app(NAME, settings, schema, wire, clock=clock, bus=bus)
