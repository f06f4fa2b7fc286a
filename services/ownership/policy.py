"""Who may see and do what in ownership (`access.md`): ownership basics are for everyone signed in;
release reports, referral and handover notes, handover cases, missing reports and commission holds are
need-to-know; moving customers and keeping the roster are region-scoped."""

from chassis.auth import Principal, Role
from chassis.errors import Forbidden
from chassis.policy import MANAGERS, acts_in, in_region, refuse, sees_customer
from services.ownership.domain import Ownership, Salesperson
from services.ownership.handover import HandoverCase

WHAT = "release report"  # release reports and the referral / handover notes of OWN-4, OWN-6, OWN-7, OWN-8


def sees_reports(caller: Principal, ownership: Ownership, author: str | None) -> bool:
    """Reports and notes about a customer: their author, the customer's owner, region roles of its region,
    managers and ADMIN."""
    return (author is not None and author == caller.user_id) or sees_customer(
        caller, ownership.owner_id, ownership.region, Role.ADMIN)


def is_logged(caller: Principal, ownership: Ownership) -> bool:
    """A report read by someone who does not own the customer goes to the access log."""
    return ownership.owner_id != caller.user_id


def sees_case(caller: Principal, case: HandoverCase) -> bool:
    """Handover and transfer cases: the salesperson concerned, region roles of the case's region, managers, ADMIN."""
    return caller.user_id == case.salesperson_id or caller.has_any(*MANAGERS, Role.ADMIN) or in_region(
        caller, case.region)


def sees_missing_reports(caller: Principal, salesperson: Salesperson) -> bool:
    """OWN-6: the salesperson themself, region roles of their region, managers, ADMIN."""
    return caller.user_id == salesperson.id or caller.has_any(*MANAGERS, Role.ADMIN) or in_region(
        caller, salesperson.region)


def sees_commission_hold(caller: Principal, salesperson: Salesperson) -> bool:
    """OWN-7 / OWN-8: as the missing reports, and FINANCE (who pays the commission)."""
    return sees_missing_reports(caller, salesperson) or Role.FINANCE in caller.roles


def require_sees(allowed: bool, what: str) -> None:
    if not allowed:
        raise refuse(what)


def require_salesperson(caller: Principal) -> None:
    """OWN-5 / OWN-6: salespeople claim pool customers and file their reports."""
    caller.require(Role.SALES)


def require_may_release(caller: Principal, ownership: Ownership) -> None:
    """OWN-6: a salesperson releases their own customers; a manager any in their reach."""
    if ownership.owner_id == caller.user_id and Role.SALES in caller.roles:
        return
    if not caller.has_any(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN):
        raise Forbidden("a salesperson releases only their own customers")
    acts_in(caller, ownership.region, "a customer is released by its region's manager")


def require_may_lift_protection(caller: Principal, ownership: Ownership) -> None:
    """The owner lifts their own protection; the regional manager of the region, or a manager, anyone's."""
    if ownership.owner_id == caller.user_id and Role.SALES in caller.roles:
        return
    caller.require(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN)
    acts_in(caller, ownership.region, "a protection is lifted by the region's manager")


def sees_protections(caller: Principal, salesperson: Salesperson) -> bool:
    """Who keeps which customers out of recall, and why: as the missing reports."""
    return sees_missing_reports(caller, salesperson)


def require_may_mark_problem(caller: Principal, ownership: Ownership) -> None:
    """OWN-5: a problem customer is named by the regional manager of its region, or a manager."""
    caller.require(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN)
    acts_in(caller, ownership.region, "a problem customer is named by its region's manager")


def require_may_assign(caller: Principal, ownership: Ownership, seller: Salesperson, *, referral: bool) -> None:
    """OWN-9: the regional manager assigns (OWN-4: management refers) in their region, to a salesperson of it;
    the sales manager and the general manager anywhere."""
    if referral:
        caller.require(Role.REGION_MANAGER, *MANAGERS)
    else:
        caller.require(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN)
    acts_in(caller, seller.region, f"{seller.id} works in {seller.region}")
    acts_in(caller, ownership.region, f"the customer is in {ownership.region}")


def require_may_suggest(caller: Principal) -> None:
    """OWN-9: assignment suggestions are for those who assign."""
    caller.require(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN)


def require_may_fill_case(caller: Principal, salesperson_id: str, region: str | None) -> None:
    """OWN-7 / OWN-8: the salesperson concerned, or a manager (a regional one in the case's region)."""
    if caller.user_id == salesperson_id:
        return
    if not caller.has_any(Role.REGION_MANAGER, *MANAGERS, Role.ADMIN):
        raise Forbidden("only the salesperson concerned or a manager fills in a handover or transfer")
    acts_in(caller, region, f"{salesperson_id} works in {region}")


def require_may_decide_case(caller: Principal, case: HandoverCase) -> None:
    """OWN-7 / OWN-8: the regional manager of the case's region approves or rejects."""
    caller.require(Role.REGION_MANAGER)
    acts_in(caller, case.region, f"the case is in {case.region}")


def require_may_keep_roster(caller: Principal, *regions: str | None) -> None:
    """ADMIN anywhere, a regional manager in their region: add or change a salesperson's record, or a
    person's in the staff directory."""
    caller.require(Role.ADMIN, Role.REGION_MANAGER)
    for region in regions:
        acts_in(caller, region, f"the salesperson works in {region}")
