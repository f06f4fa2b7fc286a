"""CUS-11 客户构成分析: sales share, Pareto and ABC, from the sales the archive has heard of. Plain Python."""

from dataclasses import dataclass
from enum import StrEnum

UNSPECIFIED = "UNSPECIFIED"  # a sale without a product line, a customer without a level or region


@dataclass(frozen=True)
class Slice:
    key: str
    amount_fen: int
    share: float  # percent of the total, 0–100
    customers: int


def shares(amounts: list[tuple[str, str | None, int]]) -> list[Slice]:
    """CUS-11: (customer id, key, amount) → one slice per key, largest first; shares add up to 100."""
    total = sum(a for _, _, a in amounts)
    by_key: dict[str, tuple[int, set[str]]] = {}
    for customer_id, key, amount in amounts:
        fen, customers = by_key.get(key or UNSPECIFIED, (0, set()))
        by_key[key or UNSPECIFIED] = (fen + amount, customers | {customer_id})
    return sorted((Slice(k, fen, _percent(fen, total), len(c)) for k, (fen, c) in by_key.items()),
                  key=lambda s: (-s.amount_fen, s.key))


@dataclass(frozen=True)
class ParetoEntry:
    customer_id: str
    amount_fen: int
    share: float
    cumulative_share: float
    core: bool  # among the customers who make the first `cut` percent of sales


def pareto(amounts: dict[str, int], cut_percent: float = 80.0) -> list[ParetoEntry]:
    """CUS-11: customers by sales, largest first, with the running share; `core` marks those needed to reach
    `cut_percent` of sales (the customer that crosses the line is core too)."""
    total = sum(amounts.values())
    entries, running = [], 0
    for customer_id, fen in sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0])):
        core = total > 0 and _percent(running, total) < cut_percent
        running += fen
        entries.append(ParetoEntry(customer_id, fen, _percent(fen, total), _percent(running, total), core))
    return entries


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True)
class AbcEntry:
    customer_id: str
    average_monthly_fen: int
    cumulative_share: float
    abc: AbcClass


def abc(three_month_amounts: dict[str, int], a_percent: float = 80.0, b_percent: float = 95.0) -> list[AbcEntry]:
    """CUS-11: ABC by the average monthly sales of the last 3 months: customers, largest first, are A until
    `a_percent` of sales is reached, B until `b_percent`, C after (the one crossing a line is in the upper class)."""
    monthly = {c: fen // 3 for c, fen in three_month_amounts.items()}
    total = sum(monthly.values())
    entries, running = [], 0
    for customer_id, fen in sorted(monthly.items(), key=lambda kv: (-kv[1], kv[0])):
        before = _percent(running, total) if total else 100.0
        running += fen
        cls = AbcClass.A if before < a_percent else AbcClass.B if before < b_percent else AbcClass.C
        entries.append(AbcEntry(customer_id, fen, _percent(running, total), cls))
    return entries


def _percent(part: int, total: int) -> float:
    return round(100.0 * part / total, 2) if total else 0.0
