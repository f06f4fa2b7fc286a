"""Events the ownership service publishes."""

from pydantic import AwareDatetime

from contracts.envelope import Event


class OwnershipChanged(Event):
    """OWN-10: a customer changed hands (or went to / left the pool: owner None)."""

    type = "ownership.changed"
    customer_id: str
    previous_owner_id: str | None
    owner_id: str | None
    basis: str
    region: str | None = None
    changed_by: str | None = None
    changed_at: AwareDatetime
    in_pool: bool = False
    expires_at: AwareDatetime | None = None  # when the new owner's claim runs out (OWN-1 / OWN-3)
    reason: str | None = None  # why it went to the pool: NO_DEAL, NO_SALE, RELEASED, HANDED_BACK


class RecallWarned(Event):
    """A customer goes back to the pool on `expires_at` (OWN-1 / OWN-3) unless its owner makes a deal or a sale
    first: told `days` ahead, once per expiry."""

    type = "ownership.recall_warning"
    customer_id: str
    owner_id: str
    expires_at: AwareDatetime
    warned_at: AwareDatetime
    region: str | None = None


class CaseAwaitingApproval(Event):
    """OWN-7 / OWN-8: every customer of a handover or transfer case is handed over cleanly (successor or pool,
    summary, receivables): the regional manager of its region may approve it."""

    type = "ownership.case_awaiting_approval"
    case_id: str
    kind: str  # HANDOVER, TRANSFER
    salesperson_id: str
    region: str | None = None
    customer_ids: list[str]
    ready_at: AwareDatetime

    def subject(self) -> str | None:
        return self.customer_ids[0] if len(self.customer_ids) == 1 else None


class StaffChanged(Event):
    """The staff directory: a person's roles, region, manager and department (CMP-2 hand-overs, CMP-4
    escalations, CRD-3 alerts and CUS-5 visit plans follow it)."""

    type = "staff.changed"
    user_id: str
    name: str
    roles: list[str]
    region: str | None = None
    manager_id: str | None = None
    department: str | None = None  # chassis.directory.Department
    active: bool = True
    version: int  # one more each time the person's record changes: a late one is recognised


class CommissionHoldChanged(Event):
    """OWN-7 / OWN-8: a handover or transfer case put a salesperson's commission on hold, or lifted it."""

    type = "ownership.commission_hold_changed"
    salesperson_id: str
    case_id: str
    on_hold: bool
    reason: str
    changed_at: AwareDatetime
