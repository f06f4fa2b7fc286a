"""Who may see and do what on the complaints desk (`access.md`).

Complaint details are for the customer's owner, the salesperson who filed it, its handler (a department's
person it was handed to, CMP-2, works on what they see), region roles of the customer's region, managers,
FINANCE, SERVICE and ADMIN. Anyone may file (CMP-2: the filer is the
first responder). Until the first response, the first responder, the handler, SERVICE and managers
move it; after it, the current handler, SERVICE and managers; a MONEY remedy is for SERVICE and
managers only.
"""

from typing import Any

from chassis.auth import Principal, Role
from chassis.errors import Forbidden
from chassis.policy import MANAGERS, REGION_ROLES, Scope, refuse, sees_customer
from services.complaints.domain import Complaint
from services.complaints.findings import Remedy

DESK = (Role.SERVICE, *MANAGERS)  # 客户中心 / 公关部 and the managers: any complaint
CLAIM_RECORDERS = (Role.SERVICE, Role.FINANCE, *MANAGERS)  # CMP-6: money came back from a supplier
CLAIM_WRITERS_OFF = (Role.FINANCE, Role.GENERAL_MANAGER)  # CMP-6: giving up money is theirs to decide


def sees(caller: Principal, complaint: Complaint) -> bool:
    return caller.user_id in (complaint.first_responder_id, complaint.handler_id) or sees_customer(
        caller, complaint.owner_id, complaint.region, Role.FINANCE, Role.SERVICE, Role.ADMIN)


def require_sees(caller: Principal, complaint: Complaint) -> None:
    if not sees(caller, complaint):
        raise refuse(f"complaint {complaint.reference}", complaintId=complaint.id)


def listed(caller: Principal) -> dict[str, Any]:
    """Which complaints lists show: what `sees` allows, as a query."""
    if caller.has_any(*MANAGERS, Role.FINANCE, Role.SERVICE, Role.ADMIN):
        return {}
    mine: list[dict[str, Any]] = [{"first_responder_id": caller.user_id}, {"handler_id": caller.user_id}]
    if caller.has_any(*REGION_ROLES) and caller.region is not None:
        mine.append({"region": caller.region})
    if Role.SALES in caller.roles:
        mine.append({"owner_id": caller.user_id})
    return {"$or": mine}


def statistics(caller: Principal) -> Scope:
    """CMP-7: region roles their region; managers, FINANCE, SERVICE and ADMIN all."""
    return Scope.of_statistics(caller, Role.SERVICE)


def require_may_respond(caller: Principal, complaint: Complaint) -> None:
    """CMP-2: acknowledge, tell the customer reason, plan and date, hand it to the responsible department."""
    if caller.user_id not in (complaint.first_responder_id, complaint.handler_id) and not caller.has_any(*DESK):
        raise Forbidden(f"only its first responder, its handler, SERVICE or a manager answers complaint "
                        f"{complaint.reference}", allowed=sorted(DESK))


def require_may_handle(caller: Principal, complaint: Complaint) -> None:
    """CMP-3 after the first response: investigate, find, propose, resolve, close, reopen, extend."""
    if caller.user_id != complaint.handler_id and not caller.has_any(*DESK):
        raise Forbidden(f"only its handler, SERVICE or a manager works on complaint {complaint.reference}",
                        allowed=sorted(DESK))


def require_may_propose(caller: Principal, complaint: Complaint, remedy: Remedy) -> None:
    require_may_handle(caller, complaint)
    if remedy is Remedy.MONEY and not caller.has_any(*DESK):
        raise Forbidden("a MONEY remedy is proposed by SERVICE or a manager", allowed=sorted(DESK))


def require_may_record_recovery(caller: Principal) -> None:
    caller.require(*CLAIM_RECORDERS)


def require_may_write_off(caller: Principal) -> None:
    caller.require(*CLAIM_WRITERS_OFF)
