"""The words of access.md every service's policy is written in (chassis/policy.py)."""

import pytest

from chassis.auth import Principal, Role
from chassis.errors import Forbidden
from chassis.policy import Scope, acts_in, in_region, is_owner, sees_customer


def who(*roles: Role, user: str = "u", region: str | None = "east") -> Principal:
    return Principal(user, user, frozenset(roles), region)


def test_a_regional_token_that_names_no_region_acts_nowhere() -> None:
    with pytest.raises(Forbidden, match="names no region"):
        acts_in(who(Role.REGION_MANAGER, region=None), "east", "the customer is in east")
    with pytest.raises(Forbidden, match="you act in east"):
        acts_in(who(Role.REGION_MANAGER), "west", "the customer is in west")
    acts_in(who(Role.REGION_MANAGER), "east", "ok")
    acts_in(who(Role.SALES_MANAGER, region=None), "west", "managers act everywhere")
    with pytest.raises(Forbidden):
        acts_in(who(Role.SALES), "east", "a salesperson is no region role")


def test_the_owner_is_a_salesperson_and_region_roles_see_their_region() -> None:
    assert is_owner(who(Role.SALES, user="alice"), "alice")
    assert not is_owner(who(Role.FINANCE, user="alice"), "alice")  # owning is a salesperson's
    assert not is_owner(who(Role.SALES, user="alice"), None)
    assert in_region(who(Role.REGION_ASSISTANT), "east") and not in_region(who(Role.REGION_ASSISTANT), "west")
    assert not in_region(who(Role.SALES), "east")
    assert sees_customer(who(Role.GENERAL_MANAGER, region=None), "bob", "west")
    assert not sees_customer(who(Role.FINANCE), "bob", "west")
    assert sees_customer(who(Role.FINANCE), "bob", "west", Role.FINANCE)


def test_scopes_of_lists_and_statistics() -> None:
    assert Scope.of_customers(who(Role.SALES, user="alice")).query() == {"owner_id": "alice"}
    assert Scope.of_customers(who(Role.REGION_MANAGER)).query() == {"region": "east"}
    assert Scope.of_customers(who(Role.SERVICE)).query() == {"_id": {"$in": []}}
    assert Scope.of_statistics(who(Role.FINANCE)).everything
    assert Scope.of_statistics(who(Role.SERVICE), Role.SERVICE).everything
    with pytest.raises(Forbidden):
        Scope.of_statistics(who(Role.SALES))
    assert Scope(region="east").covers(None, "east") and not Scope(owner_id="a").covers("b", "east")
