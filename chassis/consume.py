"""Turns a use case `(event, uow)` into a bus handler with inbox, commit and conflict retries."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chassis.bus import Handler
from chassis.errors import Conflict
from chassis.store import AlreadyConsumed, UnitOfWork
from contracts.envelope import Envelope, Event

log = logging.getLogger("crm.consume")

U = TypeVar("U", bound=UnitOfWork)
UseCase = Callable[[Any, U], Awaitable[None]]

CONFLICT_RETRIES = 5


def consumer(make_uow: Callable[[Envelope[Any]], U], use_case: UseCase[U]) -> Handler:
    async def handle(envelope: Envelope[Event]) -> None:
        for attempt in range(1, CONFLICT_RETRIES + 1):
            uow = make_uow(envelope)
            if await uow.already_consumed():
                log.info("%s %s already consumed; acknowledging", envelope.type, envelope.id)
                return
            try:
                await use_case(envelope.data, uow)
                if not uow.committed:  # a use case that changed nothing still records the event as done
                    await uow.commit()
                return
            except AlreadyConsumed:
                return
            except Conflict:
                # Someone saved the same aggregate meanwhile: load again and reapply.
                if attempt == CONFLICT_RETRIES:
                    raise

    return handle
