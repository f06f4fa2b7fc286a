"""The deadline sweep (CMP-4); safe in every replica at once (a lost race is retried and finds nothing to do)."""

from datetime import timedelta
from typing import Any

from chassis.service import Job
from services.complaints.handlers import ComplaintsService, escalate_overdue, remind_of_deadlines


async def sweep_deadlines(service: ComplaintsService) -> int:
    """Reminds each handler of the deadlines coming due, then escalates every missed deadline to the handler's
    manager, once; returns how many were escalated."""
    now = service.clock.now()
    policy = service.settings.deadline_policy
    if policy.remind_hours_before:
        soon = now + timedelta(hours=policy.remind_hours_before)
        await service.sweep("deadline reminders", lambda: service.store.due_for_reminder(soon), remind_of_deadlines)
    return sum(await service.sweep("deadline sweep", lambda: service.store.due_for_escalation(now),
                                   escalate_overdue))


JOBS: list[Job[Any]] = [Job("deadline-sweep", lambda settings: settings.sweep_every_s, sweep_deadlines)]
