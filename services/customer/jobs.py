"""Periodic sweeps of the archive; safe in every replica at once (a lost race is a CONFLICT, skipped)."""

import logging
from collections.abc import Callable
from datetime import datetime

from chassis.errors import Conflict
from services.customer.domain import LevelPolicy
from services.customer.handlers import refresh_level, refresh_lifecycle
from services.customer.store import CustomerStore, CustomerUnitOfWork

log = logging.getLogger("crm.customer.jobs")


async def sweep_lifecycles(store: CustomerStore, make_uow: Callable[[], CustomerUnitOfWork], now: datetime) -> int:
    """CUS-2: cards whose lifecycle time alone has moved (dormant, established); returns how many changed."""
    changed = 0
    for customer_id in await store.due_for_lifecycle(now):
        try:
            changed += await refresh_lifecycle(customer_id, make_uow())
        except Conflict:
            log.info("lifecycle of %s changed meanwhile; the next sweep looks again", customer_id)
    return changed


async def sweep_levels(store: CustomerStore, make_uow: Callable[[], CustomerUnitOfWork], now: datetime,
                       policy: LevelPolicy) -> int:
    """CUS-3: cards whose level time alone may have moved (a sale left the window); returns how many changed."""
    changed = 0
    for customer_id in await store.due_for_level(now):
        try:
            changed += await refresh_level(customer_id, make_uow(), policy)
        except Conflict:
            log.info("level of %s changed meanwhile; the next sweep looks again", customer_id)
    return changed
