"""The customer service process: wiring only."""

import functools
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from chassis.app import Job, Runtime, Wiring, create_service_app
from chassis.auth import Principal
from chassis.bus import Bus
from chassis.clock import Clock
from chassis.consume import consumer
from chassis.settings import Settings
from contracts.envelope import Envelope
from services.customer.config import CustomerSettings
from services.customer.domain import LevelPolicy
from services.customer.handlers import DEFAULT_POLICY, LEVEL_HANDLERS, SUBSCRIPTIONS
from services.customer.jobs import sweep_levels, sweep_lifecycles
from services.customer.schema import schema
from services.customer.store import CustomerStore, CustomerUnitOfWork

NAME = "customer"
LIFECYCLE_SWEEP_EVERY_S = 3600.0
ACCESS_LOG_RETRY_EVERY_S = 5.0
log = logging.getLogger("crm.customer.access")


@dataclass(frozen=True)
class CustomerService:
    """What resolvers and jobs use: the store for reads, `uow()` for changes, the clock."""

    runtime: Runtime
    store: CustomerStore
    policy: LevelPolicy = DEFAULT_POLICY  # CUS-3, from CustomerSettings
    abc: tuple[float, float] = (80.0, 95.0)  # CUS-11: cumulative share where class A ends, and B
    unwritten_access: list[dict[str, Any]] = field(default_factory=list)  # CUS-9 entries awaiting a retry

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self, consumed: Envelope[Any] | None = None) -> CustomerUnitOfWork:
        return CustomerUnitOfWork(self.store, self.runtime.database, self.runtime.clock, source=NAME, consumed=consumed)

    async def sweep_lifecycles(self) -> int:
        return await sweep_lifecycles(self.store, self.uow, self.clock.now())

    async def sweep_levels(self) -> int:
        return await sweep_levels(self.store, self.uow, self.clock.now(), self.policy)

    # -- CUS-9: the access log ----------------------------------------------------------------

    def access_entry(self, principal: Principal, customer_id: str, owner_id: str | None, operation: str,
                     fields: list[str]) -> dict[str, Any]:
        return {"_id": str(uuid.uuid4()), "customer_id": customer_id, "user_id": principal.user_id,
                "roles": sorted(str(r) for r in principal.roles), "owner_id": owner_id, "at": self.clock.now(),
                "operation": operation, "fields": fields}

    async def log_access(self, entries: list[dict[str, Any]]) -> None:
        """Written before the answer leaves; if the database refuses, the read still succeeds and the entries
        are kept (and logged) for `flush_access_log` to retry: never silently dropped."""
        if not entries:
            return
        try:
            await self.store.log_access(entries)
        except Exception:
            log.exception("access log write failed; %d entries kept for retry: %s", len(entries), entries)
            self.unwritten_access.extend(entries)

    async def flush_access_log(self) -> int:
        pending, self.unwritten_access[:] = list(self.unwritten_access), []
        if pending:
            try:
                await self.store.log_access(pending)  # `_id`s are fixed: a retry cannot duplicate silently
            except Exception:
                log.exception("access log retry failed; %d entries kept", len(pending))
                self.unwritten_access.extend(pending)
                return 0
        return len(pending)


async def wire(runtime: Runtime, config: CustomerSettings) -> Wiring:
    store = CustomerStore(runtime.database)
    await store.ensure_indexes()
    policy = config.level_policy()
    service = CustomerService(runtime, store, policy, (config.abc_a_percent, config.abc_b_percent))

    def bound(use_case: Any) -> Any:
        return functools.partial(use_case, policy=policy) if use_case in LEVEL_HANDLERS else use_case

    return Wiring(
        service=service,
        subscriptions={event: consumer(service.uow, bound(use_case)) for event, use_case in SUBSCRIPTIONS.items()},
        jobs=[Job("lifecycle-sweep", LIFECYCLE_SWEEP_EVERY_S, service.sweep_lifecycles),
              Job("level-sweep", config.level_sweep_every_s, service.sweep_levels),
              Job("access-log-retry", ACCESS_LOG_RETRY_EVERY_S, service.flush_access_log)],
    )


def create_app(settings: Settings, *, clock: Clock | None = None, bus: Bus | None = None,
               config: CustomerSettings | None = None) -> FastAPI:
    config = config or CustomerSettings()
    return create_service_app(NAME, settings, schema, lambda runtime: wire(runtime, config), clock=clock, bus=bus)
