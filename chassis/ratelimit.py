"""Per-caller rate limiting: a token bucket per caller (the gateway's user ids, `RATE_LIMIT_PER_S` with bursts of
`RATE_LIMIT_BURST`; credit's HTTP intake per sending system); a caller out of tokens is told when the next one is
there (`Retry-After`)."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_CALLERS = 100_000  # buckets kept; the least recently seen caller's is forgotten (a full bucket again)


class RateLimiter:
    def __init__(self, per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s, self.burst, self.clock = per_s, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller → (tokens, at)

    def wait_s(self, caller: str) -> float:
        """0 if the caller may go now (one token is taken), else how long until they may."""
        now = self.clock()
        tokens, at = self._buckets.pop(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_s)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.per_s
        self._buckets[caller] = (tokens - 1 if not wait else tokens, now)
        if len(self._buckets) > MAX_CALLERS:
            self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait_s: float) -> str:
        return str(max(1, math.ceil(wait_s)))
