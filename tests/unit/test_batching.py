"""The batcher behind group commit and shared reads: no I/O, the store is a function the test holds."""

import asyncio

import pytest

from chassis.batching import Batcher


class Store:
    """Answers each item doubled, or with the exception an item names; holds a batch until released."""

    def __init__(self) -> None:
        self.batches: list[list[object]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def run(self, items: list[object]) -> list[object]:
        self.batches.append(items)
        await self.release.wait()
        return [item if isinstance(item, Exception) else 2 * item for item in items]  # type: ignore[operator]


async def until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0)


async def test_a_lone_call_goes_at_once_alone() -> None:
    store = Store()
    batcher: Batcher[object, object] = Batcher(store.run, most=10)
    assert await batcher(1) == 2 and await batcher(2) == 4
    assert store.batches == [[1], [2]]


async def test_calls_that_arrive_while_a_batch_runs_go_together_next_at_most_most() -> None:
    store = Store()
    batcher: Batcher[object, object] = Batcher(store.run, most=3)
    store.release.clear()
    first = asyncio.ensure_future(batcher(0))
    await until(lambda: store.batches)
    others = [asyncio.ensure_future(batcher(i)) for i in range(1, 6)]
    await asyncio.sleep(0)
    store.release.set()
    assert await asyncio.gather(first, *others) == [0, 2, 4, 6, 8, 10]
    assert store.batches == [[0], [1, 2, 3], [4, 5]]


async def test_each_caller_gets_its_own_outcome() -> None:
    store = Store()
    batcher: Batcher[object, object] = Batcher(store.run, most=10)
    store.release.clear()
    first = asyncio.ensure_future(batcher(0))
    await until(lambda: store.batches)
    refused, fine = asyncio.ensure_future(batcher(ValueError("refused"))), asyncio.ensure_future(batcher(3))
    await asyncio.sleep(0)
    store.release.set()
    assert await first == 0 and await fine == 6
    with pytest.raises(ValueError, match="refused"):
        await refused
    assert [len(batch) for batch in store.batches] == [1, 2]


async def test_a_batch_whose_leader_is_cancelled_still_answers_the_others() -> None:
    store = Store()
    batcher: Batcher[object, object] = Batcher(store.run, most=10)
    store.release.clear()
    blocker = asyncio.ensure_future(batcher(0))
    await until(lambda: store.batches)
    leader, follower = asyncio.ensure_future(batcher(1)), asyncio.ensure_future(batcher(2))
    await asyncio.sleep(0)
    held, store.release = store.release, asyncio.Event()
    held.set()
    await until(lambda: len(store.batches) == 2)  # the leader's batch, with the follower in it, is under way
    assert store.batches[1] == [1, 2]
    leader.cancel()
    await asyncio.sleep(0)
    store.release.set()
    assert await follower == 4 and await blocker == 0
    assert leader.cancelled()
