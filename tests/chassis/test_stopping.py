"""A process stops even when one of its tasks swallows the cancel meant to stop it (as the outbox relay once did:
cancelled, then back waiting for events, and the lifespan waiting for it forever): its loops honour a cancel lost
on the way at once, naming the step; what is still running is cancelled again."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from chassis.inprocess import InProcessBus
from chassis.outbox import OutboxRelay
from chassis.service import Job
from chassis.store import Database
from services.complaints.app import KIT
from tests.support import TEST_RETRY_DELAYS_S, serving, settings_for


def deaf(cancels_swallowed: int, running: asyncio.Event) -> Callable[[Any], Awaitable[None]]:
    """A job that swallows the first `cancels_swallowed` cancels, waiting again after each."""
    async def run(service: Any) -> None:
        running.set()
        for _ in range(cancels_swallowed):
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass  # swallowed, as a library on the way may
        await asyncio.Event().wait()

    return run


def forgetful(running: asyncio.Event) -> Callable[[Any], Awaitable[None]]:
    """A job that loses the cancel asked of it and returns as if nothing happened."""
    async def run(service: Any) -> None:
        running.set()
        with contextlib.suppress(asyncio.CancelledError):  # lost, as a library on the way may lose it
            await asyncio.Event().wait()

    return run


class Kept(logging.Handler):
    """On the logger itself: the process's logging is configured anew on start (the root's handlers replaced)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def stop_with(job_run: Callable[[Any], Awaitable[None]], running: asyncio.Event, mongo_url: str,
                    unique: str) -> list[str]:
    """Starts the complaints service with the job, stops it once the job runs; the warnings and errors its stopping
    logged."""
    kept, logger = Kept(), logging.getLogger("crm.app")
    logger.addHandler(kept)
    app = replace(KIT, jobs=[Job("deaf", lambda settings: 0.0, job_run)]).create_app(
        settings_for(mongo_url, None, unique))

    async def serve_until_the_job_runs() -> None:
        async with serving(app):
            await running.wait()

    try:
        # A bound on a hang, not a timing (it stops within seconds): a stop that waits forever cannot be
        # cancelled either, so it is waited for from the side.
        serving_task = asyncio.create_task(serve_until_the_job_runs())
        stopped, _ = await asyncio.wait({serving_task}, timeout=60)
        assert stopped, "the service never stopped"
        serving_task.result()
    finally:
        logger.removeHandler(kept)
    return kept.lines


async def test_a_task_that_swallows_a_cancel_is_cancelled_again_and_the_service_stops(
        mongo_url: str, unique: str) -> None:
    running = asyncio.Event()
    assert await stop_with(deaf(2, running), running, mongo_url, unique) == []
    assert [t for t in asyncio.all_tasks() if t.get_name() == "complaints-deaf"] == []


async def test_a_task_deaf_to_every_cancel_is_left_behind_named_and_the_service_stops(
        mongo_url: str, unique: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chassis.stopping.STOP_WAIT_S", 0.05)
    running = asyncio.Event()
    assert await stop_with(deaf(5, running), running, mongo_url, unique) == [
        "complaints-deaf did not stop after 5 cancels; left behind"]
    (left,) = [t for t in asyncio.all_tasks() if t.get_name() == "complaints-deaf"]
    left.cancel()  # its sixth: it ends, not left to the next test's loop
    with contextlib.suppress(asyncio.CancelledError):
        await left


async def test_a_job_that_loses_its_cancel_stops_at_the_first_one_and_says_so(
        mongo_url: str, unique: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chassis.stopping.STOP_WAIT_S", 0.05)  # without the check: five rounds, then left behind
    running = asyncio.Event()
    assert await stop_with(forgetful(running), running, mongo_url, unique) == [
        "complaints-deaf: a cancel was lost during job deaf; stopping as asked"]


async def test_the_outbox_relay_stops_when_a_pass_loses_its_cancel(database: Database) -> None:
    passing = asyncio.Event()

    class Losing(OutboxRelay):
        async def relay_pending(self) -> int:
            passing.set()
            with contextlib.suppress(asyncio.CancelledError):  # lost on the way, as pymongo or aio-pika may
                await asyncio.Event().wait()
            return 0

    relay = asyncio.create_task(Losing(database, InProcessBus(retry_delays_s=TEST_RETRY_DELAYS_S), poll_s=0.01).run())
    await passing.wait()
    relay.cancel()
    stopped, _ = await asyncio.wait({relay}, timeout=60)  # a bound on a hang: it stops at once
    assert stopped and relay.cancelled()
