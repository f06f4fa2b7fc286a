"""索赔: a claim against the supplier at fault, tracked until what it owes is recovered (CMP-6).

Plain Python: no I/O, no framework; time comes in as `now`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chassis.errors import Invalid, RuleViolation


class ClaimStatus(StrEnum):
    OPEN = "OPEN"  # nothing recovered yet
    PARTIALLY_RECOVERED = "PARTIALLY_RECOVERED"
    RECOVERED = "RECOVERED"  # all of the claimed amount came back
    WRITTEN_OFF = "WRITTEN_OFF"  # given up on the rest, with the reason
    WITHDRAWN = "WITHDRAWN"  # a revised finding no longer blames the supplier; nothing had been recovered


@dataclass(frozen=True)
class Recovery:
    amount_fen: int
    at: datetime
    by: str
    note: str | None = None


@dataclass
class SupplierClaim:
    supplier: str
    claimed_fen: int
    opened_by: str
    opened_at: datetime
    status: ClaimStatus = ClaimStatus.OPEN
    recoveries: list[Recovery] = field(default_factory=list)
    closed_by: str | None = None
    closed_at: datetime | None = None
    closing_note: str | None = None

    @property
    def recovered_fen(self) -> int:
        return sum(r.amount_fen for r in self.recoveries)

    @property
    def outstanding_fen(self) -> int:
        return 0 if self.is_settled else self.claimed_fen - self.recovered_fen

    @property
    def is_settled(self) -> bool:
        return self.status in (ClaimStatus.RECOVERED, ClaimStatus.WRITTEN_OFF, ClaimStatus.WITHDRAWN)

    def record_recovery(self, amount_fen: int, note: str | None, *, by: str, now: datetime) -> None:
        """CMP-6: money the supplier paid back; the claim is RECOVERED once all of it is in."""
        self._refuse_if_settled()
        if amount_fen <= 0:
            raise Invalid("amountFen", "must be a positive amount of fen")
        if amount_fen > self.outstanding_fen:
            raise Invalid("amountFen", f"is more than the {self.outstanding_fen} fen still outstanding")
        self.recoveries.append(Recovery(amount_fen, now, by, note))
        self.status = ClaimStatus.RECOVERED if self.outstanding_fen == 0 else ClaimStatus.PARTIALLY_RECOVERED
        if self.status is ClaimStatus.RECOVERED:
            self.closed_by, self.closed_at = by, now

    def write_off(self, reason: str, *, by: str, now: datetime) -> None:
        self._refuse_if_settled()
        if not reason.strip():
            raise Invalid("reason", "must say why the rest is not recovered")
        self.status, self.closed_by, self.closed_at = ClaimStatus.WRITTEN_OFF, by, now
        self.closing_note = reason.strip()

    def withdraw(self, *, by: str, now: datetime) -> bool:
        """A revised finding no longer blames the supplier: drop the claim if nothing came back yet."""
        if self.is_settled or self.recoveries:
            return False
        self.status, self.closed_by, self.closed_at = ClaimStatus.WITHDRAWN, by, now
        self.closing_note = "the finding no longer names the supplier"
        return True

    def _refuse_if_settled(self) -> None:
        if self.is_settled:
            raise RuleViolation("CMP-6", f"the claim against {self.supplier} is {self.status}: nothing more to record",
                                claimStatus=self.status.value)
