"""分清责任 and what follows: the finding of responsibility (CMP-5) and the remedy offered (CMP-6).

Plain Python: no I/O, no framework; time comes in as datetimes.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chassis.errors import Invalid, RuleViolation


class Responsibility(StrEnum):
    """CMP-5 分清责任."""

    COMPANY = "COMPANY"
    CUSTOMER = "CUSTOMER"
    CARRIER = "CARRIER"
    SUPPLIER = "SUPPLIER"
    UNDETERMINED = "UNDETERMINED"


class Party(StrEnum):
    """CMP-5: who met to settle a disputed responsibility (客户及各加工厂共同开会)."""

    CUSTOMER = "CUSTOMER"
    COMPANY = "COMPANY"
    PROCESSING_PLANT = "PROCESSING_PLANT"
    CARRIER = "CARRIER"
    SUPPLIER = "SUPPLIER"


class Remedy(StrEnum):
    """CMP-6: apology, replacement with a good product, or money when none is available."""

    APOLOGY = "APOLOGY"
    REPLACEMENT = "REPLACEMENT"
    MONEY = "MONEY"


@dataclass(frozen=True)
class Meeting:
    held_at: datetime
    parties: tuple[Party, ...]
    notes: str | None = None


@dataclass(frozen=True)
class Finding:
    responsibility: Responsibility
    summary: str
    by: str
    at: datetime
    round: int  # which round of investigation (a reopened complaint is investigated again)
    supplier: str | None = None
    meeting: Meeting | None = None


@dataclass(frozen=True)
class Resolution:
    """A proposed remedy and the customer-facing promise that goes with it."""

    remedy: Remedy
    by: str
    at: datetime
    round: int
    amount_fen: int | None = None
    promised_at: datetime | None = None
    description: str | None = None
    with_apology: bool = False  # CMP-6: a replacement (or money) and an apology
    no_replacement_available: bool = False  # CMP-6: why money


@dataclass(frozen=True)
class Satisfaction:
    """How satisfied the customer said they were when the complaint closed: 1 (not at all) to 5 (fully)."""

    score: int
    comment: str | None
    at: datetime

    @classmethod
    def said(cls, score: int, comment: str | None, now: datetime) -> "Satisfaction":
        if not 1 <= score <= 5:
            raise Invalid("satisfaction.score", "from 1 (not satisfied at all) to 5 (fully satisfied)")
        return cls(score, comment.strip() if comment and comment.strip() else None, now)


def check_meeting(meeting: Meeting | None, responsibility: Responsibility, now: datetime) -> None:
    """CMP-5: a finding that does not blame the company is disputed: the parties met, the customer among them."""
    if responsibility is Responsibility.COMPANY:
        return
    if meeting is None or Party.CUSTOMER not in meeting.parties or len(set(meeting.parties)) < 2:
        raise RuleViolation("CMP-5", f"a {responsibility.value} finding is disputed: record the meeting of the "
                            "parties (the customer and at least one other, e.g. the processing plant)",
                            responsibility=responsibility.value)
    if meeting.held_at > now:
        raise Invalid("meeting.heldAt", "a meeting is recorded once it was held")


# CMP-6: who owes the customer a remedy. A supplier's fault is still ours towards the customer (we sold the
# product), and the claim against the supplier recovers it; a customer's, a carrier's or an undetermined one
# is settled by the finding alone (the complaint closes from investigation).
REMEDIED = frozenset({Responsibility.COMPANY, Responsibility.SUPPLIER})


def check_remedy(remedy: Remedy, amount_fen: int | None, *, responsibility: Responsibility, with_apology: bool,
                 no_replacement_available: bool) -> None:
    """CMP-6: a remedy only when the company is at fault; an apology, a replacement with a good product (with an
    apology or not), or money only when no replacement is available, recorded with its amount."""
    if responsibility not in REMEDIED:
        raise RuleViolation("CMP-6", f"the finding puts the fault on {responsibility.value}: no remedy is owed; "
                                     "close the complaint with the finding", responsibility=responsibility.value)
    if remedy is Remedy.MONEY:
        if not no_replacement_available:
            raise RuleViolation("CMP-6", "money is offered only when no good product is available to replace "
                                         "it: record that none is (noReplacementAvailable)")
        if amount_fen is None or amount_fen <= 0:
            raise Invalid("amountFen", "a money remedy needs a positive amount in fen")
    elif amount_fen is not None:
        raise Invalid("amountFen", f"only a MONEY remedy has an amount, not {remedy.value}")
    elif no_replacement_available and remedy is Remedy.REPLACEMENT:
        raise Invalid("noReplacementAvailable", "a replacement is offered: one is available")
    if with_apology and remedy is Remedy.APOLOGY:
        raise Invalid("withApology", "the remedy is the apology already")
