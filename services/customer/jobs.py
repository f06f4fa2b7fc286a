"""Periodic sweeps of the archive; safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.service import Job
from services.customer.handlers import CustomerService, refresh_level, refresh_lifecycle


async def sweep_lifecycles(service: CustomerService) -> int:
    """CUS-2: cards whose lifecycle time alone has moved (dormant, established); returns how many changed."""
    now = service.clock.now()
    return sum(await service.sweep("lifecycle sweep", lambda: service.store.due_for_lifecycle(now),
                                   refresh_lifecycle))


async def sweep_levels(service: CustomerService) -> int:
    """CUS-3: cards whose level time alone may have moved (a sale left the window); returns how many changed."""
    now = service.clock.now()
    return sum(await service.sweep("level sweep", lambda: service.store.due_for_level(now), refresh_level))


JOBS: list[Job[Any]] = [
    Job("lifecycle-sweep", lambda settings: settings.lifecycle_sweep_every_s, sweep_lifecycles),
    Job("level-sweep", lambda settings: settings.level_sweep_every_s, sweep_levels),
]
