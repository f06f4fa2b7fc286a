"""Live feeds: what this process hears on the bus (`Bus.listen`), handed to the subscriptions that follow it.

Every replica hears every live event, and keeps only those someone connected to it follows, by key (a person).
A follower that falls `backlog` items behind is ended rather than slowed or silently skipped: its client
subscribes again and reads what it missed from where it is stored.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

BACKLOG = 100


class FellBehind(Exception):
    """The follower did not keep up; what it missed is in the store, not in this feed."""


class LiveFeed:
    def __init__(self, backlog: int = BACKLOG) -> None:
        self.backlog = backlog
        self._followers: dict[str, set[asyncio.Queue[Any]]] = {}

    def publish(self, key: str, item: Any) -> None:
        for queue in self._followers.get(key, ()):
            if queue.qsize() < self.backlog:
                queue.put_nowait(item)
            elif queue.qsize() == self.backlog:
                queue.put_nowait(FellBehind(f"more than {self.backlog} items behind"))

    def followers(self, key: str) -> int:
        return len(self._followers.get(key, ()))

    @contextlib.asynccontextmanager
    async def follow(self, keys: Iterable[str]) -> AsyncIterator[AsyncIterator[Any]]:
        """The items published for any of `keys` from now on, while the block lasts; the iteration raises
        FellBehind when the follower is `backlog` items behind."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        keys = list(dict.fromkeys(keys))
        for key in keys:
            self._followers.setdefault(key, set()).add(queue)

        async def items() -> AsyncIterator[Any]:
            while True:
                item = await queue.get()
                if isinstance(item, FellBehind):
                    raise item
                yield item

        try:
            yield items()
        finally:
            for key in keys:
                followers = self._followers[key]
                followers.discard(queue)
                if not followers:
                    del self._followers[key]
