"""离职交接 / 交转客户: a departing salesperson's handover (OWN-7) and the transfer of one customer (OWN-8).

Plain Python: no I/O, no framework; time comes in as `now`.

Both are a case approved by the regional manager: per customer a successor (or, on leaving, the
pool), a truthful summary and the receivables position. While a handover is open, or a transfer
lacks its summary or receivables, the salesperson's commission is on hold.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from chassis.errors import Invalid, RuleViolation
from chassis.scalars import fen
from services.ownership.domain import Basis


class CaseKind(StrEnum):
    HANDOVER = "HANDOVER"  # 离职交接, OWN-7: every customer of a departing salesperson
    TRANSFER = "TRANSFER"  # 交转客户, OWN-8: one customer to another salesperson


class CaseReason(StrEnum):
    LEAVING = "LEAVING"  # OWN-7
    JOB_CHANGE = "JOB_CHANGE"  # OWN-8
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"  # OWN-8


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class Item:
    """One customer of the case: where it goes, what the successor must know, what is owed."""

    customer_id: str
    successor_id: str | None = None
    to_pool: bool = False  # OWN-7 only: nobody takes it, it goes to the pool
    summary: str | None = None
    receivables_fen: int | None = None

    @property
    def complete(self) -> bool:
        return bool(self.summary) and self.receivables_fen is not None and bool(self.successor_id or self.to_pool)


@dataclass(frozen=True)
class CommissionHoldChanged:
    """OWN-7 / OWN-8: the case put the salesperson's commission on hold, or lifted it."""

    salesperson_id: str
    case_id: str
    on_hold: bool
    reason: str
    at: datetime


@dataclass(frozen=True)
class AwaitingApproval:
    """OWN-7 / OWN-8: every customer of the case is handed over cleanly; the regional manager may decide."""

    case_id: str
    kind: "CaseKind"
    salesperson_id: str
    region: str | None
    customer_ids: tuple[str, ...]
    at: datetime


@dataclass
class HandoverCase:
    id: str
    kind: CaseKind
    reason: CaseReason
    salesperson_id: str
    region: str | None
    opened_by: str
    opened_at: datetime
    items: list[Item] = field(default_factory=list)
    status: CaseStatus = CaseStatus.OPEN
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    staying: bool = False  # OWN-7: rejected because the salesperson stays after all: nothing to hand over
    version: int = 0
    events: list[CommissionHoldChanged | AwaitingApproval] = field(default_factory=list, repr=False,
                                                                     compare=False)  # new, not stored

    @classmethod
    def handover(cls, id: str, salesperson_id: str, region: str | None, customer_ids: list[str], *, by: str,
                 now: datetime) -> "HandoverCase":
        """OWN-7: one item per customer the departing salesperson owns now."""
        case = cls(id, CaseKind.HANDOVER, CaseReason.LEAVING, salesperson_id, region, by, now,
                   [Item(c) for c in sorted(customer_ids)])
        case._hold_may_change(False, now)
        case._ready_may_change(False, now)
        return case

    @classmethod
    def transfer(cls, id: str, salesperson_id: str, region: str | None, item: Item, reason: CaseReason, *,
                 ledger_fen: int, by: str, now: datetime) -> "HandoverCase":
        """OWN-8: one customer to a named salesperson, with what it owes as credit's ledger says."""
        if reason is CaseReason.LEAVING:
            raise Invalid("reason", "a departing salesperson's customers go by handover (OWN-7)")
        if not item.successor_id or item.to_pool:
            raise Invalid("toSalespersonId", "a transfer names the salesperson who takes the customer")
        if item.successor_id == salesperson_id:
            raise Invalid("toSalespersonId", "already owns the customer")
        case = cls(id, CaseKind.TRANSFER, reason, salesperson_id, region, by, now)
        case.items = [_with_ledger(_checked(item), ledger_fen, "OWN-8")]
        case._hold_may_change(False, now)
        case._ready_may_change(False, now)
        return case

    @property
    def basis(self) -> Basis:
        return Basis.HANDOVER if self.kind is CaseKind.HANDOVER else Basis.TRANSFER

    @property
    def rule(self) -> str:
        return "OWN-7" if self.kind is CaseKind.HANDOVER else "OWN-8"

    @property
    def commission_on_hold(self) -> bool:
        """OWN-7: on hold until every customer is handed over cleanly: a rejected handover is to be done again
        (unless the salesperson stays); OWN-8: while incomplete."""
        if self.kind is CaseKind.HANDOVER:
            return self.status is CaseStatus.OPEN or (self.status is CaseStatus.REJECTED and not self.staying)
        return self.status is CaseStatus.OPEN and bool(self.incomplete())

    def incomplete(self) -> list[str]:
        return [i.customer_id for i in self.items if not i.complete]

    def record(self, item: Item, *, ledger_fen: int, now: datetime) -> None:
        """Fill in (or correct) one customer's successor and summary; the receivables are credit's ledger's
        (`ledger_fen`), and a figure typed beside them must agree (货款情况汇报清楚)."""
        self._refuse_unless_open()
        held, ready = self.commission_on_hold, not self.incomplete()
        item = _with_ledger(_checked(item), ledger_fen, self.rule)
        if self.kind is CaseKind.TRANSFER:
            current = self.items[0]
            if item.customer_id != current.customer_id:
                raise Invalid("customerId", f"this transfer is about {current.customer_id}")
            if item.to_pool or (item.successor_id not in (None, current.successor_id)):
                raise Invalid("successorId", "a transfer's successor is fixed when it is requested")
            item = replace(item, successor_id=current.successor_id, to_pool=False)
        elif item.successor_id == self.salesperson_id:
            raise Invalid("successorId", "the departing salesperson cannot succeed themself")
        self.items = [i for i in self.items if i.customer_id != item.customer_id] + [item]
        self.items.sort(key=lambda i: i.customer_id)
        self._hold_may_change(held, now)
        self._ready_may_change(ready, now)

    def approve(self, owned_now: set[str], *, by: str, now: datetime) -> list[Item]:
        """The regional manager approves once every customer is handed over cleanly; returns the moves."""
        self._refuse_unless_open()
        missing = self.incomplete()
        listed = {i.customer_id for i in self.items}
        if self.kind is CaseKind.HANDOVER:
            missing += sorted(owned_now - listed)  # customers gained since the handover started
        if missing:
            raise RuleViolation(
                self.rule, f"not every customer is handed over cleanly (successor or pool, summary, receivables): "
                f"{', '.join(missing)}", missing=missing)
        held = self.commission_on_hold
        self.status, self.decided_by, self.decided_at = CaseStatus.APPROVED, by, now
        self._hold_may_change(held, now)
        return [i for i in self.items if i.customer_id in owned_now]

    def reject(self, note: str, *, by: str, now: datetime, staying: bool = False) -> None:
        """Nothing moves. A rejected handover keeps the commission on hold until one is approved, unless the
        salesperson stays after all (`staying`)."""
        self._refuse_unless_open()
        if not note.strip():
            raise Invalid("note", "say why the case is rejected")
        if staying and self.kind is not CaseKind.HANDOVER:
            raise Invalid("staying", "only a departing salesperson's handover ends because they stay")
        held = self.commission_on_hold
        self.status, self.decided_by, self.decided_at, self.note = CaseStatus.REJECTED, by, now, note.strip()
        self.staying = staying
        self._hold_may_change(held, now)

    def _hold_may_change(self, held: bool, now: datetime) -> None:
        """Tell the world when the commission hold starts or lifts."""
        if self.commission_on_hold == held:
            return
        if self.status is not CaseStatus.OPEN:
            reason = f"{self.kind.value.lower()} {self.status.value.lower()}"
        else:
            missing = self.incomplete()
            reason = f"{self.kind.value.lower()} open" + (f", incomplete: {', '.join(missing)}" if missing else "")
        self.events.append(CommissionHoldChanged(self.salesperson_id, self.id, self.commission_on_hold, reason, now))

    def _ready_may_change(self, ready: bool, now: datetime) -> None:
        """Tell the approvers when the case becomes ready for their decision."""
        if not ready and not self.incomplete():
            self.events.append(AwaitingApproval(self.id, self.kind, self.salesperson_id, self.region,
                                                tuple(i.customer_id for i in self.items), now))

    def _refuse_unless_open(self) -> None:
        if self.status is not CaseStatus.OPEN:
            raise RuleViolation(self.rule, f"case {self.id} is already {self.status.value.lower()}",
                                status=self.status.value)


def commission_held(cases: list[HandoverCase]) -> bool:
    """OWN-7 / OWN-8: a salesperson's commission is on hold while a handover of theirs is open or the last one
    decided was rejected to be done again, or while a transfer of theirs is incomplete. `cases`: theirs."""
    handovers = [c for c in cases if c.kind is CaseKind.HANDOVER]
    decided = [c for c in handovers if c.decided_at is not None]
    last = max(decided, key=lambda c: c.decided_at or c.opened_at, default=None)
    return (any(c.status is CaseStatus.OPEN for c in handovers) or (last is not None and last.commission_on_hold)
            or any(c.commission_on_hold for c in cases if c.kind is CaseKind.TRANSFER))


def _with_ledger(item: Item, ledger_fen: int, rule: str) -> Item:
    if item.receivables_fen is not None and item.receivables_fen != ledger_fen:
        raise RuleViolation(rule, f"credit's ledger says {item.customer_id} owes {fen(ledger_fen)}, not "
                                  f"{fen(item.receivables_fen)}", ledgerReceivablesFen=ledger_fen)
    return replace(item, receivables_fen=ledger_fen)


def _checked(item: Item) -> Item:
    summary = item.summary.strip() if item.summary else None
    if item.receivables_fen is not None and item.receivables_fen < 0:
        raise Invalid("receivablesFen", "must not be negative")
    if item.successor_id and item.to_pool:
        raise Invalid("toPool", "a customer goes to a successor or to the pool, not both")
    return replace(item, summary=summary or None)
