"""The deadline sweep (CMP-4); safe in every replica at once (a lost race is a CONFLICT, skipped)."""

import logging
from collections.abc import Callable
from datetime import datetime

from chassis.errors import Conflict
from services.complaints.handlers import escalate_overdue
from services.complaints.store import ComplaintStore, ComplaintsUnitOfWork

log = logging.getLogger("crm.complaints.jobs")


async def sweep_deadlines(store: ComplaintStore, make_uow: Callable[[], ComplaintsUnitOfWork], now: datetime,
                          manager_of: Callable[[str], str | None]) -> int:
    """Escalates every missed deadline to the handler's manager, once; returns how many were escalated."""
    escalated = 0
    for complaint_id in await store.due_for_escalation(now):
        try:
            escalated += await escalate_overdue(complaint_id, manager_of, make_uow())
        except Conflict:
            log.info("complaint %s changed meanwhile; the next sweep looks again", complaint_id)
        except Exception:  # one complaint that cannot be escalated must not hold up the others
            log.exception("escalating complaint %s failed; the next sweep tries again", complaint_id)
    return escalated
