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


Spoil = tuple[datetime, datetime | None]  # CUS-3: from due date + overdue days until paid (None: still unpaid)


@dataclass(frozen=True)
class TradingRecord:
    """What CUS-3 looks at: the customer's invoices (issued_at, amount) and the invoices that went more than
    `overdue_days` overdue, each as the time it spoiled "good payment": from its due date + overdue days until
    it was paid."""

    sales: tuple[tuple[datetime, int], ...] = ()
    spoiled: tuple[Spoil, ...] = ()

    def amount_in_window(self, policy: LevelPolicy, now: datetime) -> int:
        start = add_months(now, -policy.window_months)
        return sum(amount for at, amount in self.sales if start < at <= now)

    def good_payment(self, policy: LevelPolicy, now: datetime) -> bool:
        """No invoice more than `overdue_days` overdue at any moment of the window (one still unpaid today
        included, however long ago it spoiled)."""
        start = add_months(now, -policy.window_months)
        return not any(began <= now and (paid is None or paid > start) for began, paid in self.spoiled)

    def level_due_at(self, policy: LevelPolicy, *, first_sale_at: datetime | None, now: datetime
                     ) -> datetime | None:
        """The next instant at which time alone may change the level: a sale or a paid spoil leaves the
        window, a spoil known ahead begins (the event came early), long-term cooperation begins."""
        start = add_months(now, -policy.window_months)
        moments = [add_months(at, policy.window_months) for at, _ in self.sales if start < at <= now]
        moments += [add_months(paid, policy.window_months) for _, paid in self.spoiled if paid is not None]
        moments += [began for began, _ in self.spoiled if began > now]
        if first_sale_at is not None:
            moments.append(add_months(first_sale_at, policy.long_term_months))
        future = [m for m in moments if m > now]
        return min(future) if future else None


def level_for(record: TradingRecord, policy: LevelPolicy, *, first_sale_at: datetime | None, now: datetime
              ) -> CustomerLevel | None:
    """CUS-3: VIP ≥ 100,000 in the trailing 12 months and long-term cooperation (trading ≥ 12 months);
    SPECIAL_VIP the same but short-term (promotional) buying; A 50,000–100,000; B 30,000–50,000; C below.
    The seed asks good payment of every level: one who does not pay well is served as C, whatever they
    bought, until the window is clean. A customer who never bought has no level."""
    if first_sale_at is None or first_sale_at > now:
        return None
    if not record.good_payment(policy, now):
        return CustomerLevel.C
    amount = record.amount_in_window(policy, now)
    if amount >= policy.vip_fen:
        long_term = add_months(first_sale_at, policy.long_term_months) <= now
        return CustomerLevel.VIP if long_term else CustomerLevel.SPECIAL_VIP
    if amount >= policy.a_fen:
        return CustomerLevel.A
    if amount >= policy.b_fen:
        return CustomerLevel.B
    return CustomerLevel.C
