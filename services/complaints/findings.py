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


def check_remedy(remedy: Remedy, amount_fen: int | None) -> None:
    """CMP-6: money is recorded with its amount; apology and replacement carry none."""
    if remedy is Remedy.MONEY and (amount_fen is None or amount_fen <= 0):
        raise Invalid("amountFen", "a money remedy needs a positive amount in fen")
    if remedy is not Remedy.MONEY and amount_fen is not None:
        raise Invalid("amountFen", f"only a MONEY remedy has an amount, not {remedy.value}")
