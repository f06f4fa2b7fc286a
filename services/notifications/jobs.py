"""Housekeeping: read notifications past keeping are deleted; safe in every replica at once (a delete twice
deletes nothing more)."""

from datetime import timedelta
from typing import Any

from chassis.service import Job
from services.notifications.handlers import NotificationsService


async def purge_read(service: NotificationsService) -> int:
    kept = timedelta(days=service.settings.read_kept_days)
    return await service.store.purge(service.clock.now() - kept)


JOBS: list[Job[Any]] = [Job("purge-read", lambda settings: settings.purge_every_s, purge_read)]
