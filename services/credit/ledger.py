"""The ledger of one customer (CRD-2, CRD-5): receivables, notes, payments, and their ageing.

Money is integer fen; dates follow the company's calendar (Asia/Shanghai).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from chassis.clock import BUSINESS_TZ, business_date

LONG_OVERDUE_DAYS = 30  # CUS-3: beyond this, the customer's payment record is no longer "good"


class InvoiceSource(StrEnum):
    INVOICE = "INVOICE"
    DISHONOURED_NOTE = "DISHONOURED_NOTE"  # CRD-10: the note's amount is owed again


@dataclass
class Invoice:
    """A receivable (赊销未收款): an invoice issued on credit, or a dishonoured note owed again."""

    invoice_id: str
    amount_fen: int
    issued_at: datetime
    due_at: datetime
    salesperson_id: str | None = None
    paid_fen: int = 0
    settled_at: datetime | None = None  # when the balance reached zero
    source: InvoiceSource = InvoiceSource.INVOICE
    long_overdue_announced: bool = False  # CUS-3: credit.invoice_overdue was published for it
    payment_announced: bool = False  # ... and published again, with the day it was paid

    @property
    def balance_fen(self) -> int:
        return self.amount_fen - self.paid_fen

    @property
    def is_open(self) -> bool:
        return self.balance_fen > 0

    def days_overdue(self, now: datetime) -> int:
        """CRD-5: days since the due date (≤ 0: not yet overdue)."""
        return (business_date(now) - business_date(self.due_at)).days

    def is_overdue(self, now: datetime) -> bool:
        """CRD-5: unpaid after its due date."""
        return self.is_open and self.days_overdue(now) > 0

    def long_overdue_at(self) -> datetime:
        """CUS-3: the start of the business day on which it is more than LONG_OVERDUE_DAYS days overdue."""
        return datetime.combine(business_date(self.due_at) + timedelta(days=LONG_OVERDUE_DAYS + 1), time(),
                                BUSINESS_TZ)

    def is_long_overdue(self, now: datetime) -> bool:
        """CUS-3: unpaid more than 30 days after its due date, now or before it was settled."""
        return self.days_overdue(min(now, self.settled_at or now)) > LONG_OVERDUE_DAYS

    def was_late(self, until: datetime) -> bool:
        """Unpaid after its due date at some time before `until` (a late payment counts too)."""
        return self.days_overdue(min(until, self.settled_at or until)) > 0


class NoteStatus(StrEnum):
    RECEIVED = "RECEIVED"  # counts as exposure (未结算票据)
    SETTLED = "SETTLED"
    DISHONOURED = "DISHONOURED"  # CRD-10: an emergency; its amount is a receivable again


@dataclass
class Note:
    """A bill of exchange (票据) taken from the customer."""

    note_id: str
    amount_fen: int
    matures_at: datetime
    received_at: datetime
    status: NoteStatus = NoteStatus.RECEIVED
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    amount_fen: int


@dataclass(frozen=True)
class Payment:
    """A finance-confirmed receipt and where its money went."""

    payment_id: str
    amount_fen: int
    received_at: datetime
    allocations: tuple[Allocation, ...]
    to_balance_fen: int  # overpayment kept as the customer's credit balance



class Bucket(StrEnum):
    """CRD-5 账龄."""

    CURRENT = "CURRENT"
    DAYS_1_30 = "DAYS_1_30"
    DAYS_31_60 = "DAYS_31_60"
    DAYS_61_90 = "DAYS_61_90"
    OVER_90 = "OVER_90"

    @classmethod
    def of(cls, days_overdue: int) -> "Bucket":
        if days_overdue <= 0:
            return cls.CURRENT
        if days_overdue <= 30:
            return cls.DAYS_1_30
        if days_overdue <= 60:
            return cls.DAYS_31_60
        if days_overdue <= 90:
            return cls.DAYS_61_90
        return cls.OVER_90


@dataclass(frozen=True)
class Ageing:
    """CRD-5: open receivables by how long past due."""

    buckets: dict[Bucket, int]

    @classmethod
    def of(cls, invoices: list[Invoice], now: datetime) -> "Ageing":
        buckets = dict.fromkeys(Bucket, 0)
        for invoice in invoices:
            if invoice.is_open:
                buckets[Bucket.of(invoice.days_overdue(now))] += invoice.balance_fen
        return cls(buckets)

    def __add__(self, other: "Ageing") -> "Ageing":
        return Ageing({b: self.buckets[b] + other.buckets[b] for b in Bucket})

    @property
    def total_fen(self) -> int:
        return sum(self.buckets.values())

    @property
    def overdue_fen(self) -> int:
        return self.total_fen - self.buckets[Bucket.CURRENT]
