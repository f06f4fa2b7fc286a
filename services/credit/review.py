"""CRD-8 每季度信用评估: every quarter every profile is reviewed and an adjustment proposed.

Upward: payment record good all quarter, or business growing → one rating step up, or (rated A
already) a limit increase of at most the configured percentage. Downward: an invoice unpaid two
months after its due date without a reason finance accepted → one rating step down, or (rated C)
a cut of the limit. Downward wins over upward. A proposal is a request that climbs CRD-7.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chassis.clock import BUSINESS_TZ, add_months, business_date
from chassis.scalars import fen
from services.credit.approval import Terms
from services.credit.domain import CreditProfile
from services.credit.ledger import Invoice

UNPAID_MONTHS = 2  # "连续两个月没有收回"


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, at: datetime) -> "Quarter":
        day = business_date(at)
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, label: str) -> "Quarter":
        year, _, number = label.upper().partition("Q")
        return cls(int(year), int(number))

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=BUSINESS_TZ)

    @property
    def end(self) -> datetime:
        return add_months(self.start, 3)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass(frozen=True)
class ReviewPolicy:
    """How far a proposal may move the limit (configuration, not code)."""

    increase_cap_percent: int = 20
    cut_percent: int = 20


class Direction(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    NONE = "NONE"


@dataclass(frozen=True)
class ReviewOutcome:
    customer_id: str
    quarter: str
    direction: Direction
    findings: tuple[str, ...]
    proposal: Terms | None


def quarter_to_review(now: datetime) -> Quarter:
    """The last completed quarter: in April the first quarter is reviewed."""
    return Quarter.of(now).previous()


def review(profile: CreditProfile, quarter: Quarter, now: datetime, policy: ReviewPolicy) -> ReviewOutcome:
    """CRD-8: what the quarter's record says about this profile, and the adjustment it proposes."""
    findings: list[str] = []
    unpaid, excused = unpaid_for_two_months(profile, now)
    findings += [f"invoice {i.invoice_id}: {fen(i.balance_fen)} unpaid {UNPAID_MONTHS} months after its due date "
                 f"{business_date(i.due_at).isoformat()}" for i in unpaid]
    findings += [_excuse(profile, i.invoice_id) for i in excused]
    if unpaid:
        proposal = _downward(profile, policy)
        if proposal is None:
            findings.append("nothing left to lower: no rating and no limit")
        return _outcome(profile, quarter, Direction.DOWN if proposal else Direction.NONE, findings, proposal)
    good = good_payment_record(profile, quarter)
    growing, this_quarter_fen, before_fen = business_growing(profile, quarter)
    if good:
        findings.append(f"payment record good all of {quarter}")
    if growing:
        findings.append(f"business growing: {fen(this_quarter_fen)} invoiced in {quarter} against "
                        f"{fen(before_fen)} in {quarter.previous()}")
    if not (good or growing):
        return _outcome(profile, quarter, Direction.NONE, findings or ["nothing to adjust"], None)
    if not profile.has_credit:
        findings.append("cash only: an upward change starts with an application (CRD-7)")
        return _outcome(profile, quarter, Direction.NONE, findings, None)
    return _outcome(profile, quarter, Direction.UP, findings, _upward(profile, policy))


def unpaid_for_two_months(profile: CreditProfile, now: datetime) -> tuple[list[Invoice], list[Invoice]]:
    """Open invoices unpaid two months past their due date: (counted, excused by a reason finance accepted or
    by an open quality or contract complaint about them)."""
    late = [i for i in profile.open_invoices() if add_months(i.due_at, UNPAID_MONTHS) <= now]
    excused = [i for i in late if i.invoice_id in profile.accepted_reasons or profile.disputed_by(i.invoice_id)]
    return [i for i in late if i not in excused], excused


def _excuse(profile: CreditProfile, invoice_id: str) -> str:
    accepted = profile.accepted_reasons.get(invoice_id)
    if accepted is not None:
        return f"invoice {invoice_id} is late for a reason finance accepted: {accepted.reason}"
    dispute = profile.disputed_by(invoice_id)
    assert dispute is not None
    return f"invoice {invoice_id} is disputed by complaint {dispute.complaint_id} ({dispute.kind}), still open"


def good_payment_record(profile: CreditProfile, quarter: Quarter) -> bool:
    """Traded in the quarter and no invoice was unpaid past its due date at any time in it."""
    start, end = quarter.start, quarter.end
    traded = any(start <= i.issued_at < end for i in profile.invoices) or any(
        start <= p.received_at < end for p in profile.payments)
    return traded and not any(_late_during(i, start, end) for i in profile.invoices)


def business_growing(profile: CreditProfile, quarter: Quarter) -> tuple[bool, int, int]:
    """More invoiced this quarter than in the one before (which had business)."""
    now_fen = _invoiced(profile, quarter)
    before_fen = _invoiced(profile, quarter.previous())
    return before_fen > 0 and now_fen > before_fen, now_fen, before_fen


def _invoiced(profile: CreditProfile, quarter: Quarter) -> int:
    return sum(i.amount_fen for i in profile.invoices if quarter.start <= i.issued_at < quarter.end)


def _late_during(invoice: Invoice, start: datetime, end: datetime) -> bool:
    if invoice.settled_at is not None and invoice.settled_at < start:
        return False
    return invoice.was_late(until=end - timedelta(microseconds=1))


def _downward(profile: CreditProfile, policy: ReviewPolicy) -> Terms | None:
    lower = profile.rating.down() if profile.rating else None
    if lower is not None:
        return Terms(rating=lower)
    if profile.has_credit:
        return Terms(limit_fen=profile.limit_fen * (100 - policy.cut_percent) // 100)
    return None


def _upward(profile: CreditProfile, policy: ReviewPolicy) -> Terms:
    higher = profile.rating.up() if profile.rating else None
    if higher is not None:
        return Terms(rating=higher)
    return Terms(limit_fen=profile.limit_fen + profile.limit_fen * policy.increase_cap_percent // 100)


def _outcome(profile: CreditProfile, quarter: Quarter, direction: Direction, findings: list[str],
             proposal: Terms | None) -> ReviewOutcome:
    return ReviewOutcome(profile.customer_id, str(quarter), direction, tuple(findings), proposal)

