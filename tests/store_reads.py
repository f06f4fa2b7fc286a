"""Counting store reads with the driver's own command monitoring, on the real wire protocol."""

import functools
from collections import Counter

from pymongo import monitoring

READS = {"find", "aggregate", "count"}


class Reads(monitoring.CommandListener):
    """Read commands per (database, collection), while `counting`."""

    def __init__(self) -> None:
        self.counting = False
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting and event.command_name in READS:
            self.seen[(event.database_name, str(event.command[event.command_name]))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@functools.cache
def reads() -> Reads:
    """One listener for the process: the driver takes listeners for the clients made after registering."""
    listener = Reads()
    monitoring.register(listener)
    return listener
