"""The ownership service process: wiring only."""

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.app import Job, Runtime, Wiring, create_service_app
from chassis.bus import Bus
from chassis.clock import Clock
from chassis.consume import consumer
from chassis.settings import Settings
from contracts.envelope import Envelope
from services.ownership.domain import PoolRules
from services.ownership.handlers import SUBSCRIPTIONS
from services.ownership.jobs import sweep_lapses
from services.ownership.schema import schema
from services.ownership.store import OwnershipStore, OwnershipUnitOfWork

NAME = "ownership"


class OwnershipSettings(BaseSettings):
    """OWN-5 limits and the sweep's pace: OWNERSHIP_MAX_CUSTOMERS, OWNERSHIP_COOLDOWN_DAYS, OWNERSHIP_SWEEP_EVERY_S."""

    model_config = SettingsConfigDict(env_prefix="OWNERSHIP_", extra="ignore")

    max_customers: int = 200
    cooldown_days: int = 30
    sweep_every_s: float = 3600.0

    def rules(self) -> PoolRules:
        return PoolRules(max_customers=self.max_customers, cooldown_days=self.cooldown_days)


@dataclass(frozen=True)
class OwnershipService:
    """What resolvers and jobs use: the store for reads, `uow()` for changes, the clock, the pool rules."""

    runtime: Runtime
    store: OwnershipStore
    rules: PoolRules

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self, consumed: Envelope[Any] | None = None) -> OwnershipUnitOfWork:
        return OwnershipUnitOfWork(self.store, self.runtime.database, self.runtime.clock, source=NAME, consumed=consumed)

    async def sweep_lapses(self) -> int:
        return await sweep_lapses(self.store, self.uow, self.clock.now())


def create_app(settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None,
               ownership: OwnershipSettings | None = None) -> FastAPI:
    config = ownership or OwnershipSettings()

    async def wire(runtime: Runtime) -> Wiring:
        store = OwnershipStore(runtime.database)
        await store.ensure_indexes()
        service = OwnershipService(runtime, store, config.rules())
        return Wiring(
            service=service,
            subscriptions={event: consumer(service.uow, use_case) for event, use_case in SUBSCRIPTIONS.items()},
            jobs=[Job("lapse-sweep", config.sweep_every_s, service.sweep_lapses)],
        )

    return create_service_app(NAME, settings, schema, wire, clock=clock, bus=bus)
