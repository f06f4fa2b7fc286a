"""The complaints service process: wiring only."""

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from chassis.app import Job, Runtime, Wiring, create_service_app
from chassis.bus import Bus
from chassis.clock import Clock
from chassis.consume import consumer
from chassis.settings import Settings
from contracts.envelope import Envelope
from services.complaints.deadlines import DeadlinePolicy
from services.complaints.handlers import SUBSCRIPTIONS
from services.complaints.jobs import sweep_deadlines
from services.complaints.schema import schema
from services.complaints.settings import ComplaintSettings
from services.complaints.store import ComplaintStore, ComplaintsUnitOfWork

NAME = "complaints"


@dataclass(frozen=True)
class ComplaintsService:
    """What resolvers and jobs use: the store for reads, `uow()` for changes, the clock, the policy."""

    runtime: Runtime
    store: ComplaintStore
    settings: ComplaintSettings
    policy: DeadlinePolicy

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self, consumed: Envelope[Any] | None = None) -> ComplaintsUnitOfWork:
        return ComplaintsUnitOfWork(self.store, self.runtime.database, self.runtime.clock, source=NAME,
                                    consumed=consumed)

    async def sweep_deadlines(self) -> int:
        return await sweep_deadlines(self.store, self.uow, self.clock.now(), self.settings.manager_of)


def create_app(settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None,
               complaint_settings: ComplaintSettings | None = None) -> FastAPI:
    """`complaint_settings`: deadlines, holidays, managers (default: from COMPLAINTS_* variables)."""
    own = complaint_settings or ComplaintSettings()

    async def wire(runtime: Runtime) -> Wiring:
        store = ComplaintStore(runtime.database)
        await store.ensure_indexes()
        service = ComplaintsService(runtime, store, own, own.policy())
        return Wiring(
            service=service,
            subscriptions={event: consumer(service.uow, use_case) for event, use_case in SUBSCRIPTIONS.items()},
            jobs=[Job("deadline-sweep", own.sweep_every_s, service.sweep_deadlines)],
        )

    return create_service_app(NAME, settings, schema, wire, clock=clock, bus=bus)
