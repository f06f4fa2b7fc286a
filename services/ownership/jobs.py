"""Periodic sweeps of ownership; safe in every replica at once (a lost race is a CONFLICT, skipped)."""

import logging
from collections.abc import Callable
from datetime import datetime

from chassis.errors import Conflict
from services.ownership.handlers import lapse_if_due
from services.ownership.store import OwnershipStore, OwnershipUnitOfWork

log = logging.getLogger("crm.ownership.jobs")


async def sweep_lapses(store: OwnershipStore, make_uow: Callable[[], OwnershipUnitOfWork], now: datetime) -> int:
    """OWN-1 (2 months without a deal) and OWN-3 (3 months without a sale): claims that ran out go back
    to the pool; an owner who filed no report gets their record flagged (OWN-6). Returns how many."""
    returned = 0
    for customer_id in await store.due_for_lapse(now):
        try:
            returned += await lapse_if_due(customer_id, make_uow())
        except Conflict:
            log.info("ownership of %s changed meanwhile (another replica's sweep?); skipped", customer_id)
        except Exception:  # one bad record must not hold back every customer due after it
            log.exception("lapse of %s failed; the next sweep tries again", customer_id)
    return returned
