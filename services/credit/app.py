"""The credit service process: wiring only."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chassis.app import Job, Runtime, Wiring, create_service_app
from chassis.bus import Bus
from chassis.clock import Clock
from chassis.consume import consumer
from chassis.errors import Conflict
from chassis.settings import Settings
from contracts.envelope import Envelope
from services.credit.handlers import SUBSCRIPTIONS
from services.credit.jobs import quarterly_review, sweep_long_overdue
from services.credit.locks import CustomerLocks
from services.credit.review import ReviewOutcome, ReviewPolicy
from services.credit.schema import schema
from services.credit.store import CreditStore, CreditUnitOfWork

NAME = "credit"
COMMAND_CONFLICT_RETRIES = 5
T = TypeVar("T")


class CreditSettings(BaseSettings):
    """Credit's own configuration (environment `CREDIT_...`)."""

    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="ignore")

    review_increase_cap_percent: int = Field(20, ge=0, le=100, description="CRD-8: most a review may raise a limit")
    review_cut_percent: int = Field(20, ge=0, le=100, description="CRD-8: how much a downward review cuts a limit")
    review_every_s: float = Field(3600.0, gt=0, description="how often the quarterly-review sweep looks")
    overdue_every_s: float = Field(3600.0, gt=0, description="how often invoices passing 30 days overdue are "
                                                              "looked for (credit.invoice_overdue, CUS-3)")

    def policy(self) -> ReviewPolicy:
        return ReviewPolicy(self.review_increase_cap_percent, self.review_cut_percent)


@dataclass(frozen=True)
class CreditService:
    """What resolvers and jobs use: the store for reads, `uow()` / `run()` for changes, the clock."""

    runtime: Runtime
    store: CreditStore
    config: CreditSettings

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self, consumed: Envelope[Any] | None = None) -> CreditUnitOfWork:
        return CreditUnitOfWork(self.store, self.runtime.database, self.runtime.clock, source=NAME, consumed=consumed)

    async def run(self, command: Callable[[CreditUnitOfWork], Awaitable[T]]) -> T:
        """A command on a fresh unit of work, again on a version conflict (a payment landed meanwhile)."""
        for attempt in range(1, COMMAND_CONFLICT_RETRIES + 1):
            try:
                return await command(self.uow())
            except Conflict:
                if attempt == COMMAND_CONFLICT_RETRIES:
                    raise
        raise AssertionError("unreachable")

    async def quarterly_review(self) -> list[ReviewOutcome]:
        return await quarterly_review(self.store, self.uow, self.clock.now(), self.config.policy())

    async def sweep_long_overdue(self) -> int:
        return await sweep_long_overdue(self.store, self.uow, self.clock.now())


async def wire(runtime: Runtime, config: CreditSettings) -> Wiring:
    store = CreditStore(runtime.database)
    await store.ensure_indexes()
    service = CreditService(runtime, store, config)
    locks = CustomerLocks()
    return Wiring(
        service=service,
        subscriptions={event: consumer(service.uow, locks.serial(use_case)) for event, use_case in
                       SUBSCRIPTIONS.items()},
        jobs=[Job("quarterly-review", config.review_every_s, service.quarterly_review),
              Job("overdue-sweep", config.overdue_every_s, service.sweep_long_overdue)],
    )


def create_app(settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None,
               config: CreditSettings | None = None) -> FastAPI:
    config = config or CreditSettings()
    return create_service_app(NAME, settings, schema, lambda runtime: wire(runtime, config), clock=clock, bus=bus)
