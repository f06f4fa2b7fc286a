"""The deadline sweep (CMP-4); safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.service import Job
from services.complaints.handlers import ComplaintsService, escalate_overdue


async def sweep_deadlines(service: ComplaintsService) -> int:
    """Escalates every missed deadline to the handler's manager, once; returns how many were escalated."""
    now = service.clock.now()
    return sum(await service.sweep("deadline sweep", lambda: service.store.due_for_escalation(now),
                                   escalate_overdue))


JOBS: list[Job[Any]] = [Job("deadline-sweep", lambda settings: settings.sweep_every_s, sweep_deadlines)]
