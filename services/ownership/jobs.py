"""Periodic sweeps of ownership; safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.service import Job
from services.ownership.handlers import OwnershipService, lapse_if_due, warn_of_recall


async def sweep_lapses(service: OwnershipService) -> int:
    """OWN-1 (2 months without a deal) and OWN-3 (3 months without a sale): claims that ran out go back
    to the pool; an owner who filed no report gets their record flagged (OWN-6). Returns how many."""
    now = service.clock.now()
    return sum(await service.sweep("lapse sweep", lambda: service.store.due_for_lapse(now), lapse_if_due))


async def sweep_recall_warnings(service: OwnershipService) -> int:
    """Owners of claims running out within the warning period are told (`ownership.recall_warning`), once per
    expiry. Returns how many."""
    now, rules = service.clock.now(), service.settings.pool_rules
    return sum(await service.sweep("recall warnings", lambda: service.store.due_for_recall_warning(now, rules),
                                   warn_of_recall))


JOBS: list[Job[Any]] = [Job("lapse-sweep", lambda settings: settings.sweep_every_s, sweep_lapses),
                        Job("recall-warnings", lambda settings: settings.sweep_every_s, sweep_recall_warnings)]
