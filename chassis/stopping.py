"""Stopping a process's own tasks (the outbox relay, the jobs, the partition rebalancer, the handlers still
running), though a library on their way may swallow the cancel meant to stop them: seen twice in the suite, the
outbox relay cancelled and yet back waiting for events, and the process waiting for it forever (as a pod would,
until killed)."""

import asyncio
import logging
from typing import Any

log = logging.getLogger("crm.app")

STOP_ROUNDS = 5  # cancels sent to a task that is still running
STOP_WAIT_S = 1.0  # how long each round waits for the tasks to end


async def stop(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancelled, and cancelled again while any is still running. One that outlives every round is left behind,
    named in the log: stopping the process matters more."""
    running = set(tasks)
    for _ in range(STOP_ROUNDS):
        if not running:
            return
        for task in running:
            task.cancel()
        _, running = await asyncio.wait(running, timeout=STOP_WAIT_S)
    for task in running:
        log.error("%s did not stop after %d cancels; left behind", task.get_name(), STOP_ROUNDS)


def raise_if_cancel_lost(step: str) -> None:
    """In a task's loop, after a step that goes through libraries: a cancel asked of the task and lost on the way
    (caught, or turned into another error, without `uncancel`) is honoured here at once, and the step named, so that
    the next occurrence tells where."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        log.warning("%s: a cancel was lost during %s; stopping as asked", task.get_name(), step)
        raise asyncio.CancelledError
