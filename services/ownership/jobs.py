"""Periodic sweeps of ownership; safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.service import Job
from services.ownership.handlers import OwnershipService, lapse_if_due


async def sweep_lapses(service: OwnershipService) -> int:
    """OWN-1 (2 months without a deal) and OWN-3 (3 months without a sale): claims that ran out go back
    to the pool; an owner who filed no report gets their record flagged (OWN-6). Returns how many."""
    now = service.clock.now()
    return sum(await service.sweep("lapse sweep", lambda: service.store.due_for_lapse(now), lapse_if_due))


JOBS: list[Job[Any]] = [Job("lapse-sweep", lambda settings: settings.sweep_every_s, sweep_lapses)]
