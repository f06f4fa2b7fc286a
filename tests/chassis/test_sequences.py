"""Readable codes come from named sequences: every caller a number of its own, none skipped, however many ask
at once (concurrent callers share one request to the store)."""

import asyncio

from chassis.store import Database


async def test_concurrent_callers_each_get_the_next_number_and_the_counter_moves_on_by_as_many(
        database: Database) -> None:
    assert await database.next_number("codes") == 1
    numbers = await asyncio.gather(*(database.next_number("codes") for _ in range(40)))
    assert sorted(numbers) == list(range(2, 42))
    assert await database.next_number("codes") == 42
    assert await database.next_number("another") == 1
