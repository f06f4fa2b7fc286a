"""Identical work in flight at once, done once: callers asking for what is already on its way wait for its
answer instead of starting it again. The gateway shares whole query operations (`Gateway.execute`) and
single subgraph queries (`SubgraphClient.post`), each keyed so that only one caller's identical requests meet.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Flight:
    task: asyncio.Task
    waiters: int = 0


class Flights(Generic[K, V]):
    def __init__(self, on_shared: Callable[[], None] = lambda: None) -> None:
        """`on_shared`: called each time a caller joins work already in flight (for metrics)."""
        self._on_shared = on_shared
        self._in_flight: dict[K, _Flight] = {}

    async def share(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """`work()`'s result, or that of the work started for the same key and still running."""
        flight = self._in_flight.get(key)
        if flight is None:
            flight = self._in_flight[key] = _Flight(asyncio.ensure_future(work()))
            flight.task.add_done_callback(lambda _: self._land(key, flight))
        else:
            self._on_shared()
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)  # one caller's deadline is not the others'
        finally:
            flight.waiters -= 1
            if not flight.waiters and not flight.task.done():  # every caller gave up: so does the work
                flight.task.cancel()
                self._land(key, flight)

    @property
    def waiting(self) -> int:
        """Callers waiting for work in flight; several may wait for one."""
        return sum(flight.waiters for flight in self._in_flight.values())

    def _land(self, key: K, flight: _Flight) -> None:
        if self._in_flight.get(key) is flight:
            del self._in_flight[key]
