"""CUS-3: the customer level, from the trailing window of sales and how the customer pays.

Plain Python: no I/O, no framework; time comes in as `now`.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chassis.clock import add_months


class CustomerLevel(StrEnum):
    VIP = "VIP"
    SPECIAL_VIP = "SPECIAL_VIP"
    A = "A"
    B = "B"
    C = "C"



@dataclass(frozen=True)
class LevelPolicy:
    """CUS-3 thresholds (configuration: services/customer/settings.py), amounts in fen."""

    vip_fen: int = 10_000_000  # 100,000 CNY
    a_fen: int = 5_000_000  # 50,000 CNY
    b_fen: int = 3_000_000  # 30,000 CNY
    window_months: int = 12
    long_term_months: int = 12  # trading at least this long is "long-term cooperation"
    overdue_days: int = 30  # an invoice more than this overdue spoils "good payment"


@dataclass(frozen=True)
class TradingRecord:
    """What CUS-3 looks at: the customer's invoices (issued_at, amount) and when invoices went more than
    `overdue_days` overdue (spoiled_at = due date + overdue days)."""

    sales: tuple[tuple[datetime, int], ...] = ()
    spoiled: tuple[datetime, ...] = ()

    def amount_in_window(self, policy: LevelPolicy, now: datetime) -> int:
        start = add_months(now, -policy.window_months)
        return sum(amount for at, amount in self.sales if start < at <= now)

    def good_payment(self, policy: LevelPolicy, now: datetime) -> bool:
        start = add_months(now, -policy.window_months)
        return not any(start < at <= now for at in self.spoiled)

    def level_due_at(self, policy: LevelPolicy, *, first_sale_at: datetime | None, now: datetime
                     ) -> datetime | None:
        """The next instant at which time alone may change the level: a sale or a spoiled payment leaves
        the window, long-term cooperation begins."""
        start = add_months(now, -policy.window_months)
        moments = [add_months(at, policy.window_months) for at, _ in self.sales if start < at <= now]
        moments += [add_months(at, policy.window_months) for at in self.spoiled if start < at <= now]
        moments += [at for at in self.spoiled if at > now]  # a spoil known ahead (the event came early)
        if first_sale_at is not None:
            moments.append(add_months(first_sale_at, policy.long_term_months))
        future = [m for m in moments if m > now]
        return min(future) if future else None


def level_for(record: TradingRecord, policy: LevelPolicy, *, first_sale_at: datetime | None, now: datetime
              ) -> CustomerLevel | None:
    """CUS-3: VIP ≥ 100,000 in the trailing 12 months with good payment and long-term cooperation (trading
    ≥ 12 months); SPECIAL_VIP the same but short-term (promotional) buying; A 50,000–100,000 (and a big buyer
    with bad payment); B 30,000–50,000; C below. A customer who never bought has no level."""
    if first_sale_at is None or first_sale_at > now:
        return None
    amount = record.amount_in_window(policy, now)
    if amount >= policy.vip_fen and record.good_payment(policy, now):
        long_term = add_months(first_sale_at, policy.long_term_months) <= now
        return CustomerLevel.VIP if long_term else CustomerLevel.SPECIAL_VIP
    if amount >= policy.a_fen:
        return CustomerLevel.A
    if amount >= policy.b_fen:
        return CustomerLevel.B
    return CustomerLevel.C
