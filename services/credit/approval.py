"""CRD-7 the approval chain: a change of rating, limit or term is a request that climbs the chain.

salesperson applies → regional manager reviews → sales manager reviews → finance proposes →
general manager decides. One step per decision, by that step's role; any step can reject; nothing
changes until the final approval. A quarterly review's proposal (CRD-8) enters at the first review.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chassis.auth import Role
from chassis.errors import Forbidden, Invalid, RuleViolation
from chassis.scalars import fen
from services.credit.domain import CreditRating
from services.credit.limits import LimitCalculation

MAX_TERM_DAYS = 365


class Step(StrEnum):
    REGION_MANAGER_REVIEW = "REGION_MANAGER_REVIEW"
    SALES_MANAGER_REVIEW = "SALES_MANAGER_REVIEW"
    FINANCE_PROPOSAL = "FINANCE_PROPOSAL"
    GENERAL_MANAGER_DECISION = "GENERAL_MANAGER_DECISION"

    @property
    def role(self) -> Role:
        return CHAIN[self]

    def next(self) -> "Step | None":
        steps = list(Step)
        position = steps.index(self)
        return steps[position + 1] if position + 1 < len(steps) else None


CHAIN = {
    Step.REGION_MANAGER_REVIEW: Role.REGION_MANAGER,
    Step.SALES_MANAGER_REVIEW: Role.SALES_MANAGER,
    Step.FINANCE_PROPOSAL: Role.FINANCE,
    Step.GENERAL_MANAGER_DECISION: Role.GENERAL_MANAGER,
}


class RequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Origin(StrEnum):
    APPLICATION = "APPLICATION"  # a salesperson applied
    QUARTERLY_REVIEW = "QUARTERLY_REVIEW"  # CRD-8 proposed it


class Decision(StrEnum):
    APPLIED = "APPLIED"
    PROPOSED = "PROPOSED"  # by the quarterly review
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class Terms:
    """A change of terms; None leaves that term as it is."""

    rating: CreditRating | None = None
    limit_fen: int | None = None
    term_days: int | None = None

    def is_empty(self) -> bool:
        return self.rating is None and self.limit_fen is None and self.term_days is None

    def validate(self) -> None:
        if self.is_empty():
            raise Invalid("limitFen", "ask for a rating, a limit or a term")
        if self.limit_fen is not None and self.limit_fen < 0:
            raise Invalid("limitFen", "must not be negative")
        if self.term_days is not None and not 0 <= self.term_days <= MAX_TERM_DAYS:
            raise Invalid("termDays", f"must be between 0 and {MAX_TERM_DAYS} days")

    def described(self) -> str:
        parts = []
        if self.rating is not None:
            parts.append(f"rating {self.rating.value}")
        if self.limit_fen is not None:
            parts.append(f"limit {fen(self.limit_fen)}")
        if self.term_days is not None:
            parts.append(f"term {self.term_days} days")
        return ", ".join(parts)


@dataclass(frozen=True)
class StepRecord:
    """Who, when, what they decided and why, at one step (the application is the first record)."""

    step: str  # a Step, or "APPLICATION"
    role: str
    by: str
    at: datetime
    decision: Decision
    comment: str | None = None
    terms: Terms | None = None  # what was asked (application) or proposed (finance)


@dataclass
class CreditRequest:
    id: str
    customer_id: str
    region: str | None
    origin: Origin
    requested: Terms
    justification: str
    applied_by: str
    applied_at: datetime
    calculation: LimitCalculation | None = None  # CRD-6: the method behind the asked limit
    proposed: Terms | None = None  # finance's proposal; the general manager decides on it
    status: RequestStatus = RequestStatus.PENDING
    step: Step | None = Step.REGION_MANAGER_REVIEW
    history: list[StepRecord] = field(default_factory=list)
    version: int = 0

    @classmethod
    def apply(cls, *, id: str, customer_id: str, region: str | None, requested: Terms, justification: str,
              by: str, now: datetime, calculation: LimitCalculation | None = None,
              origin: Origin = Origin.APPLICATION) -> "CreditRequest":
        """A salesperson applies (or the quarterly review proposes); the regional manager reviews next."""
        if calculation is not None and requested.limit_fen is None:
            requested = Terms(requested.rating, calculation.limit_fen, requested.term_days)
        requested.validate()
        if not justification or not justification.strip():
            raise Invalid("justification", "say why the terms should change")
        request = cls(id=id, customer_id=customer_id, region=region, origin=origin, requested=requested,
                      justification=justification.strip(), applied_by=by, applied_at=now, calculation=calculation)
        role = Role.SALES.value if origin is Origin.APPLICATION else "SYSTEM"
        decision = Decision.APPLIED if origin is Origin.APPLICATION else Decision.PROPOSED
        request.history.append(StepRecord("APPLICATION", role, by, now, decision, request.justification, requested))
        return request

    @property
    def terms(self) -> Terms:
        """What a final approval would apply: finance's proposal once made, else what was asked."""
        return self.proposed or self.requested

    @property
    def expected_role(self) -> Role | None:
        return self.step.role if self.step else None

    def decide(self, *, approve: bool, by: str, roles: frozenset[Role], region: str | None, comment: str | None,
               now: datetime, proposal: Terms | None = None) -> bool:
        """One step, by that step's role. Returns True when this was the final approval."""
        if self.step is None:
            raise RuleViolation("CRD-7", f"request {self.id} is already {self.status.value.lower()}",
                                requestId=self.id, status=self.status.value)
        step, role = self.step, self.step.role
        if role not in roles:
            raise Forbidden(f"CRD-7: request {self.id} waits for {step.value}: it needs the role {role.value}",
                            expectedRole=role.value, step=step.value)
        if approve and any(record.by == by for record in self.history):
            # Several people look at a change of terms: nobody approves their own application or twice.
            raise RuleViolation("CRD-7", f"{by} already acted on request {self.id}; step {step.value} needs "
                                "someone else", requestId=self.id, step=step.value)
        if step is Step.REGION_MANAGER_REVIEW and self.region and region != self.region:
            raise Forbidden(f"CRD-7: request {self.id} waits for the regional manager of {self.region}",
                            expectedRole=role.value, expectedRegion=self.region, step=step.value)
        if proposal is not None:
            if step is not Step.FINANCE_PROPOSAL:
                raise Invalid("proposal", "only finance proposes terms (CRD-7)")
            if not approve:
                raise Invalid("proposal", "a rejection proposes nothing")
            proposal.validate()
            self.proposed = proposal
        text = comment.strip() if comment and comment.strip() else None
        self.history.append(StepRecord(step.value, role.value, by, now,
                                       Decision.APPROVED if approve else Decision.REJECTED, text,
                                       self.terms if step is Step.FINANCE_PROPOSAL and approve else None))
        if not approve:
            self.status, self.step = RequestStatus.REJECTED, None
            return False
        self.step = step.next()
        if self.step is None:
            self.status = RequestStatus.APPROVED
            return True
        return False

    @property
    def is_open(self) -> bool:
        return self.status is RequestStatus.PENDING
