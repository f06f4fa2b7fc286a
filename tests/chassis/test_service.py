"""The service kit's one retry policy and one sweep helper, on the real Mongo wire protocol."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chassis.clock import FixedClock
from chassis.errors import Conflict, VersionMismatch
from chassis.inprocess import InProcessBus
from chassis.service import CONFLICT_RETRIES, Service
from chassis.store import Database, connect
from tests.support import START


@pytest.fixture
async def service(mongo_url: str, unique: str) -> AsyncIterator[Service[Any, Any]]:
    client = connect(mongo_url)
    database = Database(client, f"crm_kit_{unique}")
    yield Service("kit", {}, lambda event: event, None, database, None, InProcessBus(retry_delays_s=[]),
                  FixedClock(START))
    await client.drop_database(database.db.name)
    await client.close()


async def test_a_command_is_run_again_on_a_version_conflict_and_gives_up_after_the_last_retry(
        service: Service[Any, Any]) -> None:
    attempts: list[int] = []

    async def lost_twice(uow: Any) -> str:
        attempts.append(1)
        if len(attempts) <= 2:
            raise Conflict("someone saved it first")
        return "done"

    assert await service.run(lost_twice) == "done" and len(attempts) == 3

    async def always_lost(uow: Any) -> None:
        attempts.append(1)
        raise Conflict("someone always saves it first")

    attempts.clear()
    with pytest.raises(Conflict):
        await service.run(always_lost)
    assert len(attempts) == CONFLICT_RETRIES


async def test_a_callers_stale_version_is_not_retried(service: Service[Any, Any]) -> None:
    attempts: list[int] = []

    async def stale(uow: Any) -> None:
        attempts.append(1)
        raise VersionMismatch("you read version 3; it is at 4")

    with pytest.raises(VersionMismatch):
        await service.run(stale)
    assert attempts == [1]


async def test_a_sweep_logs_a_failing_item_and_goes_on_trying_each_once(service: Service[Any, Any],
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    due = {"a", "bad", "c"}
    tried: list[str] = []

    async def step(item: str, uow: Any) -> str:
        tried.append(item)
        if item == "bad":
            raise ValueError("a record that cannot be handled")
        due.discard(item)  # done: no longer due
        return item

    async def still_due() -> list[str]:
        return sorted(due)

    assert await service.sweep("test sweep", still_due, step) == ["a", "c"]
    assert tried == ["a", "bad", "c"]  # the bad one neither stopped the sweep nor looped it
    assert "test sweep: bad failed" in caplog.text
