"""Calls that go together: what arrives while the store is busy waits and goes in one request.

The store's cost is per request far more than per document, so under load the many concurrent handlers of a
consumer share their reads and commits (a group commit). Nobody waits for a batch to fill: a lone call goes
at once, as it would without batching; only calls that would have queued behind a busy store are merged.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
RunBatch = Callable[[list[ItemT]], Awaitable[Sequence[ResultT | Exception]]]


@dataclass(eq=False)
class _Call(Generic[ItemT, ResultT]):
    item: ItemT
    outcome: asyncio.Future[ResultT] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    taken: bool = False  # into a batch, by its own caller or another


class Batcher(Generic[ItemT, ResultT]):
    """`await batcher(item)`: `run_batch` gets it with the items that came meanwhile, at most `most` of them,
    with at most `at_once` batches running; it returns each item's result or exception, in order."""

    def __init__(self, run_batch: RunBatch[ItemT, ResultT], *, most: int, at_once: int = 1) -> None:
        self._run_batch = run_batch
        self._most = most
        self._slots = asyncio.Semaphore(at_once)
        self._waiting: list[_Call[ItemT, ResultT]] = []

    async def __call__(self, item: ItemT) -> ResultT:
        mine: _Call[ItemT, ResultT] = _Call(item)
        self._waiting.append(mine)
        try:
            async with self._slots:
                if not mine.taken:  # nobody took it into their batch while it waited
                    batch = self._take(mine)
                    # Shielded: the others' outcome must not depend on whether this caller is cancelled.
                    await asyncio.shield(asyncio.ensure_future(self._run(batch)))
        finally:
            if not mine.taken:  # cancelled while it waited
                self._waiting.remove(mine)
        # Shielded too: a caller cancelled here leaves the outcome to the batch that is under way.
        return await asyncio.shield(mine.outcome)

    def _take(self, mine: _Call[ItemT, ResultT]) -> list[_Call[ItemT, ResultT]]:
        others = [call for call in self._waiting if call is not mine]
        batch, self._waiting = [mine, *others[: self._most - 1]], others[self._most - 1 :]
        for call in batch:
            call.taken = True
        return batch

    async def _run(self, batch: list[_Call[ItemT, ResultT]]) -> None:
        try:
            try:
                outcomes = await self._run_batch([call.item for call in batch])
            except Exception as error:  # noqa: BLE001 - every caller in the batch hears it
                outcomes = [error] * len(batch)
            for call, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    call.outcome.set_exception(outcome)
                else:
                    call.outcome.set_result(outcome)
        finally:
            for call in batch:  # cancelled (the loop shutting down): nobody is left waiting forever
                if not call.outcome.done():
                    call.outcome.cancel()
