"""A process stops even when one of its tasks swallows the cancel meant to stop it (as the outbox relay once did:
cancelled, then back waiting for events, and the lifespan waiting for it forever)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from chassis.service import Job
from services.complaints.app import KIT
from tests.support import serving, settings_for


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


class Kept(logging.Handler):
    """On the logger itself: the process's logging is configured anew on start (the root's handlers replaced)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def stop_with(job_run: Callable[[Any], Awaitable[None]], running: asyncio.Event, mongo_url: str,
                    unique: str) -> list[str]:
    """Starts the complaints service with the job, stops it once the job runs; the errors its stopping logged."""
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
    monkeypatch.setattr("chassis.app.STOP_WAIT_S", 0.05)
    running = asyncio.Event()
    assert await stop_with(deaf(5, running), running, mongo_url, unique) == [
        "complaints-deaf did not stop after 5 cancels; left behind"]
    (left,) = [t for t in asyncio.all_tasks() if t.get_name() == "complaints-deaf"]
    left.cancel()  # its sixth: it ends, not left to the next test's loop
    with contextlib.suppress(asyncio.CancelledError):
        await left
