"""Who may see and do what in credit (`access.md`): the credit profile row and credit's actions."""

from chassis.auth import Principal, Role
from chassis.policy import MANAGERS, Scope, acts_in, is_owner, refuse, sees_customer
from services.credit.domain import CreditProfile

# Everything about a customer's credit: limit, rating, term, exposure, receivables, payments, notes,
# alerts, holds, emergencies, investigation reports, requests, the credit check.
WHAT = "credit profile"


def sees(caller: Principal, profile: CreditProfile) -> bool:
    """The owner, region roles of the customer's region, managers, FINANCE and ADMIN."""
    return sees_customer(caller, profile.salesperson_id, profile.region, Role.FINANCE, Role.ADMIN)


def require_sees(caller: Principal, profile: CreditProfile) -> None:
    if not sees(caller, profile):
        raise refuse(f"the credit of customer {profile.customer_id}", customerId=profile.customer_id)


def is_logged(caller: Principal, profile: CreditProfile) -> bool:
    """Every read of a credit profile by someone who is not the customer's owner is logged."""
    return not is_owner(caller, profile.salesperson_id)


def lists(caller: Principal) -> Scope:
    """Lists of customers' credit (overdue invoices, investigations due, holds)."""
    return Scope.of_customers(caller, Role.FINANCE, Role.ADMIN)


def statistics(caller: Principal) -> Scope:
    """Ageing over many customers."""
    return Scope.of_statistics(caller)


def require_may_request_change(caller: Principal, profile: CreditProfile) -> None:
    """CRD-7: the owner, a region role of the customer's region, or a manager applies."""
    if not (is_owner(caller, profile.salesperson_id) or caller.has_any(*MANAGERS)):
        acts_in(caller, profile.region, "a credit change is requested by the customer's owner")


def require_may_report_emergency(caller: Principal, profile: CreditProfile) -> None:
    """CRD-10: the owner, region roles of the region, FINANCE or managers."""
    if not (is_owner(caller, profile.salesperson_id) or caller.has_any(Role.FINANCE, *MANAGERS)):
        acts_in(caller, profile.region, "an emergency is reported by the customer's owner")


def require_may_record_investigation(caller: Principal, profile: CreditProfile) -> None:
    """CRD-9: the owner, region roles of the region, FINANCE or managers file investigation reports."""
    if not (is_owner(caller, profile.salesperson_id) or caller.has_any(Role.FINANCE, *MANAGERS)):
        acts_in(caller, profile.region, "an investigation report is filed by the customer's owner")


def require_may_decide_countermeasures(caller: Principal, profile: CreditProfile) -> None:
    """CRD-10: a manager decides; a regional manager only in their region."""
    caller.require(Role.REGION_MANAGER, *MANAGERS)
    acts_in(caller, profile.region, "countermeasures are decided by the region's manager")


def require_finance(caller: Principal) -> None:
    """CRD-8: finance accepts overdue reasons."""
    caller.require(Role.FINANCE)


def require_may_reconcile(caller: Principal) -> None:
    """Reconciling what finance systems sent is finance's (and the general manager's, and ADMIN's)."""
    caller.require(Role.FINANCE, Role.GENERAL_MANAGER, Role.ADMIN)


def require_may_run_review(caller: Principal) -> None:
    """CRD-8: the quarterly review is run by finance or the general manager."""
    caller.require(Role.FINANCE, Role.GENERAL_MANAGER)
