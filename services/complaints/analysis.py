"""留档分析 (CMP-7): how long complaints take, as the median and the 90th percentile.

Plain Python: the store hands over the durations, this turns them into figures.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median_s: float | None
    p90_s: float | None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between the closest ranks (as spreadsheets do): [1, 2, 3, 4] → median 2.5."""
    if not values:
        return None
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(durations_s: Sequence[float]) -> DurationSummary:
    return DurationSummary(len(durations_s), percentile(durations_s, 0.5), percentile(durations_s, 0.9))


def average_of(counts: Sequence[tuple[Any, int]]) -> float | None:
    """CMP-7: the mean of a distribution of scores (score → how many; None: not scored); None without any."""
    scored = [(int(score), n) for score, n in counts if score is not None]
    total = sum(n for _, n in scored)
    return round(sum(score * n for score, n in scored) / total, 2) if total else None
