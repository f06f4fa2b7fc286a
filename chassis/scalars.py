"""The scalars every subgraph shares, each refusing what no person means: money out of exact range,
a time without its offset, a date outside the years anyone does business in."""

from datetime import date, datetime
from typing import NewType

import strawberry

Fen = NewType("Fen", int)
"""An exact amount of money in fen (0.01 CNY); GraphQL's 32-bit Int is too small for credit limits."""

MAX_FEN = 2**53  # exact in every JSON reader, JavaScript's included
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def fen(amount_fen: int) -> str:
    """An amount as people read it, without floats: 1234567 → '12,345.67 CNY'."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole:,}.{cents:02d} CNY"


def check_fen(value: int, what: str = "Fen") -> int:
    """Amounts are whole fen, 0 ≤ x < 2^53, also those the system computes."""
    if not 0 <= value < MAX_FEN:
        raise ValueError(f"{what} must be between 0 and 2^53 − 1 fen")
    return value


def _parse_fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Fen must be a whole number of fen (0.01 CNY)")
    return check_fen(value)


def _in_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime is an ISO 8601 string with its offset, e.g. 2026-03-09T18:00:00+08:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"is not an ISO 8601 time: {e}") from e
    if parsed.tzinfo is None:
        raise ValueError("needs its UTC offset, e.g. 2026-03-09T18:00:00+08:00")
    _in_range(parsed.date())
    return parsed


def _parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("a Date is an ISO 8601 string, e.g. 2026-03-09")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"is not an ISO 8601 date: {e}") from e
    _in_range(parsed)
    return parsed


FEN = strawberry.scalar(
    name="Fen",
    description="An exact amount of money in fen (0.01 CNY): a whole number 0 ≤ x < 2^53, a JSON number on the "
    "wire. GraphQL's Int is 32-bit (max ≈ 21 million CNY), too small for credit limits.",
    serialize=int,
    parse_value=_parse_fen,
)
DATETIME = strawberry.scalar(
    name="DateTime",
    description="A moment with its UTC offset (ISO 8601), e.g. 2026-03-09T18:00:00+08:00; years 1900–2100",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
)
DATE = strawberry.scalar(
    name="Date",
    description="A day (ISO 8601), e.g. 2026-03-09; years 1900–2100",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
)
SCALARS = {Fen: FEN, datetime: DATETIME, date: DATE}
