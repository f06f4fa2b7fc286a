"""Periodic sweeps of the archive; safe in every replica at once (a lost race is retried and finds nothing to do)."""

from typing import Any

from chassis.clock import BUSINESS_TZ, business_date
from chassis.service import Job
from services.customer.handlers import CustomerService, refresh_level, refresh_lifecycle, remind_of_visits


async def sweep_lifecycles(service: CustomerService) -> int:
    """CUS-2: cards whose lifecycle time alone has moved (dormant, established); returns how many changed."""
    now = service.clock.now()
    return sum(await service.sweep("lifecycle sweep", lambda: service.store.due_for_lifecycle(now),
                                   refresh_lifecycle))


async def sweep_levels(service: CustomerService) -> int:
    """CUS-3: cards whose level time alone may have moved (a sale left the window); returns how many changed."""
    now = service.clock.now()
    return sum(await service.sweep("level sweep", lambda: service.store.due_for_level(now), refresh_level))


async def remind_of_overdue_visits(service: CustomerService) -> int:
    """CUS-5: from `visit_reminder_hour` of each company day, every owner with overdue visits is told, once that
    day; returns how many visits were overdue."""
    now = service.clock.now()
    if now.astimezone(BUSINESS_TZ).hour < service.settings.visit_reminder_hour:
        return 0
    day = business_date(now)

    async def due() -> list[str]:
        done = await service.store.reminded_of_visits(day)
        return [owner for owner in await service.store.owners() if owner not in done]

    return sum(await service.sweep("visit reminders", due, remind_of_visits))


JOBS: list[Job[Any]] = [
    Job("lifecycle-sweep", lambda settings: settings.lifecycle_sweep_every_s, sweep_lifecycles),
    Job("level-sweep", lambda settings: settings.level_sweep_every_s, sweep_levels),
    Job("visit-reminders", lambda settings: settings.visit_reminder_every_s, remind_of_overdue_visits),
]
