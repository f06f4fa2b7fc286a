"""CUS-9 need-to-know as a pure rule: who sees the full card, which reads are logged, what lists show."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import Principal, Role
from services.customer.domain import Customer, CustomerKind, CustomerNature
from services.customer.policy import CardAccess, card_access, is_logged, listed

T0 = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
FULL, PUBLIC = CardAccess.FULL, CardAccess.PUBLIC


def a_card(registered_by: str = "alice", region: str = "east") -> Customer:
    return Customer.register(id="c1", code="C000001", by=registered_by, now=T0, name="华东机电",
                             kind=CustomerKind.COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region=region)


def owned_by(owner: str | None) -> Customer:
    card = a_card()
    card.announce_owner(owner, T0)
    return card


def caller(roles: set[str], user: str = "u", region: str | None = "east") -> Principal:
    return Principal(user, user, frozenset(Role(r) for r in roles), region)


@pytest.mark.parametrize(("roles", "user", "region", "owner", "expected"), [
    ({"SALES"}, "alice", "east", "alice", FULL),  # the owner
    ({"SALES"}, "carol", "east", "alice", PUBLIC),  # someone else's customer
    ({"SALES"}, "alice", "east", None, PUBLIC),  # the pool
    ({"REGION_ASSISTANT"}, "ra", "east", "alice", FULL),
    ({"REGION_MANAGER"}, "rm", "east", None, FULL),
    ({"REGION_MANAGER"}, "rm", "west", "alice", PUBLIC),  # not their region
    ({"REGION_MANAGER"}, "rm", None, "alice", PUBLIC),  # a regional role without a region sees no region
    ({"FINANCE"}, "f", None, "alice", FULL),
    ({"SALES_MANAGER"}, "sm", None, "alice", FULL),
    ({"GENERAL_MANAGER"}, "gm", None, None, FULL),
    ({"ADMIN"}, "admin", None, "alice", FULL),
    ({"SERVICE"}, "svc", "east", "alice", PUBLIC),  # complaints work from the complaint, not the card
    ({"SERVICE", "SALES"}, "alice", "east", "alice", FULL),  # any role that grants it is enough
])
def test_cus_9_who_sees_the_full_card(roles: set[str], user: str, region: str | None, owner: str | None,
                                      expected: CardAccess) -> None:
    assert card_access(caller(roles, user, region), owned_by(owner)) is expected


def test_cus_9_the_registering_salesperson_owns_the_card_until_ownership_announces_otherwise() -> None:
    card = a_card(registered_by="alice")
    assert (card.owner_id, card.in_pool) == ("alice", False)
    assert card.announce_owner("bob", T0) and card.owner_id == "bob"
    assert card.announce_owner(None, T0 + timedelta(hours=1)) and card.in_pool
    assert not card.announce_owner("carol", T0)  # an older announcement arriving late
    assert card.in_pool


def test_cus_9_only_reads_by_non_owners_are_logged() -> None:
    assert is_logged(caller({"FINANCE"}, "fin"), owned_by("alice")) is True
    assert is_logged(caller({"ADMIN"}, "admin"), owned_by(None)) is True  # a pool card read in full
    assert is_logged(caller({"SALES"}, "alice"), owned_by("alice")) is False


def test_cus_9_lists_show_a_salesperson_their_own_and_the_pool_and_a_region_role_their_region() -> None:
    assert listed(caller({"SALES"}, "alice")) == [{"owner_id": "alice"}, {"in_pool": True}]
    assert listed(caller({"REGION_MANAGER"}, "rm", "east")) == [{"region": "east"}]
    assert listed(caller({"SERVICE"}, "svc")) == [{}]
    assert listed(caller({"REGION_MANAGER"}, "rm", None)) == []
