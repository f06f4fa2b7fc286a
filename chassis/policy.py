"""Need-to-know (CUS-9, `access.md`): the words every service's `policy.py` is written in.

Each service answers "may this caller see / do this" in its own `policy.py`, one function per
question, built from these helpers; schemas ask those functions and nothing else. The role sets
are declared here, once.
"""

from dataclasses import dataclass
from typing import Any

from chassis.auth import Principal, Role
from chassis.errors import Forbidden

# access.md's words: "region roles" act on their own region; "managers" act everywhere.
REGION_ROLES = frozenset({Role.REGION_ASSISTANT, Role.REGION_MANAGER})
MANAGERS = frozenset({Role.SALES_MANAGER, Role.GENERAL_MANAGER})


def is_owner(caller: Principal, owner_id: str | None) -> bool:
    """The salesperson who owns the customer now."""
    return owner_id is not None and owner_id == caller.user_id and Role.SALES in caller.roles


def in_region(caller: Principal, region: str | None) -> bool:
    """A region role acting on its own region (a regional token that names no region acts nowhere)."""
    return caller.has_any(*REGION_ROLES) and caller.region is not None and caller.region == region


def sees_customer(caller: Principal, owner_id: str | None, region: str | None, *also: Role) -> bool:
    """access.md's most common row: the owner, region roles of the customer's region, managers, and `also`."""
    return (caller.has_any(*MANAGERS, *also) or is_owner(caller, owner_id) or in_region(caller, region))


def acts_in(caller: Principal, region: str | None, what: str) -> None:
    """Region roles act only in their own region; managers and ADMIN anywhere; anyone else is refused."""
    if caller.has_any(*MANAGERS, Role.ADMIN):
        return
    if not caller.has_any(*REGION_ROLES):
        raise Forbidden(f"{what}: this needs a manager or a region role of the customer's region")
    if caller.region is None:
        raise Forbidden(f"{what}: your token names no region, so you act nowhere")
    if region is not None and region != caller.region:
        raise Forbidden(f"{what}: you act in {caller.region}; this is in {region}", region=caller.region)


def refuse(what: str, **details: Any) -> Forbidden:
    return Forbidden(f"you may not see {what} (need-to-know, CUS-9)", **details)


@dataclass(frozen=True)
class Scope:
    """Which customers a list or statistic covers for a caller: all, one region, one owner's, or none."""

    everything: bool = False
    region: str | None = None
    owner_id: str | None = None

    @classmethod
    def of_customers(cls, caller: Principal, *also: Role) -> "Scope":
        """Lists of per-customer data: managers and `also` everything, region roles their region, a
        salesperson their own customers, anyone else nothing (a list leaves out what one may not see)."""
        if caller.has_any(*MANAGERS, *also):
            return cls(everything=True)
        if caller.has_any(*REGION_ROLES) and caller.region is not None:
            return cls(region=caller.region)
        if Role.SALES in caller.roles:
            return cls(owner_id=caller.user_id)
        return cls()

    @classmethod
    def of_statistics(cls, caller: Principal, *also: Role) -> "Scope":
        """access.md "statistics and analyses": region roles their region; managers, FINANCE, ADMIN and
        `also` everything; anyone else is refused."""
        if caller.has_any(*MANAGERS, Role.FINANCE, Role.ADMIN, *also):
            return cls(everything=True)
        if caller.has_any(*REGION_ROLES) and caller.region is not None:
            return cls(region=caller.region)
        raise refuse("statistics and analyses")

    def covers(self, owner_id: str | None, region: str | None) -> bool:
        if self.everything:
            return True
        if self.region is not None:
            return region == self.region
        return self.owner_id is not None and owner_id == self.owner_id

    def query(self, *, owner_field: str = "owner_id", region_field: str = "region") -> dict[str, Any]:
        """The MongoDB condition for the customers in scope."""
        if self.everything:
            return {}
        if self.region is not None:
            return {region_field: self.region}
        if self.owner_id is not None:
            return {owner_field: self.owner_id}
        return {"_id": {"$in": []}}
