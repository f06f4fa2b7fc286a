"""One customer's events one at a time in this process."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.credit.store import CreditUnitOfWork

UseCase = Callable[[Any, CreditUnitOfWork], Awaitable[None]]


@dataclass
class CustomerLocks:
    """Events of one customer are applied one at a time in this process, so they do not waste their
    work on version conflicts; replicas still meet at the version check (and retry)."""

    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[str, int] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def hold(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    def serial(self, use_case: UseCase) -> UseCase:
        async def one_at_a_time(event: Any, uow: CreditUnitOfWork) -> None:
            async with self.hold(getattr(event, "customer_id", None)):
                await use_case(event, uow)

        return one_at_a_time
