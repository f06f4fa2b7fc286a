"""What ownership tells the world: each domain event of an ownership or a handover case as its contract."""

from contracts.envelope import Event
from contracts.ownership import (
    CaseAwaitingApproval,
    CommissionHoldChanged,
    OwnershipChanged,
    RecallWarned,
    StaffChanged,
)
from services.ownership import handover
from services.ownership.domain import OwnerChanged, RecallWarning
from services.ownership.staff import StaffSaved


def to_contract(event: OwnerChanged | RecallWarning | handover.CommissionHoldChanged | handover.AwaitingApproval
                | StaffSaved) -> Event:
    match event:
        case OwnerChanged(change=change):  # OWN-10
            return OwnershipChanged(
                customer_id=event.customer_id, previous_owner_id=change.from_owner, owner_id=change.to_owner,
                basis=change.basis.value, region=event.region, changed_by=change.by, changed_at=change.at,
                in_pool=change.to_owner is None, expires_at=event.expires_at if change.to_owner else None,
                reason=change.reason.value if change.reason else None)
        case RecallWarning():
            return RecallWarned(customer_id=event.customer_id, owner_id=event.owner_id, expires_at=event.expires_at,
                                warned_at=event.at, region=event.region)
        case handover.CommissionHoldChanged():  # OWN-7 / OWN-8
            return CommissionHoldChanged(salesperson_id=event.salesperson_id, case_id=event.case_id,
                                         on_hold=event.on_hold, reason=event.reason, changed_at=event.at)
        case handover.AwaitingApproval():  # OWN-7 / OWN-8
            return CaseAwaitingApproval(case_id=event.case_id, kind=event.kind.value, salesperson_id=event.salesperson_id,
                                        region=event.region, customer_ids=list(event.customer_ids),
                                        ready_at=event.at)
        case StaffSaved(member=member):  # the staff directory
            return StaffChanged(user_id=member.id, name=member.name, roles=[str(r) for r in member.roles],
                                region=member.region, manager_id=member.manager_id,
                                department=member.department, active=member.active,
                                version=member.version)
    raise TypeError(f"ownership does not publish {type(event).__name__}")
