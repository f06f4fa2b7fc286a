"""留档分析 (CMP-7): how long complaints take, as the median and the 90th percentile.

Plain Python: the store hands over the durations, this turns them into figures.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass


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
