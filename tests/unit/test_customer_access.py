"""CUS-9 need-to-know as a pure rule: who sees the full card, and which reads are logged."""

from datetime import UTC, datetime

import pytest

from services.customer.access import CardAccess, Ownership, access_is_logged, card_access, owner_of
from services.customer.domain import Customer, CustomerKind, CustomerNature

T0 = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
FULL, PUBLIC = CardAccess.FULL, CardAccess.PUBLIC


def a_card(registered_by: str = "alice", region: str = "east") -> Customer:
    return Customer.register(id="c1", code="C000001", by=registered_by, now=T0, name="华东机电",
                             kind=CustomerKind.COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region=region)


def access(roles: set[str], *, user: str = "u", region: str | None = "east", owner: str | None = "alice",
           customer_region: str = "east") -> CardAccess:
    return card_access(user_id=user, roles=roles, region=region, owner_id=owner, customer_region=customer_region)


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
    assert access(roles, user=user, region=region, owner=owner) is expected


def test_cus_9_the_registering_salesperson_owns_the_card_until_ownership_announces_otherwise() -> None:
    card = a_card(registered_by="alice")
    assert owner_of(card, None) == "alice"
    assert owner_of(card, Ownership("bob", announced=True, changed_at=T0)) == "bob"
    assert owner_of(card, Ownership(None, announced=True, changed_at=T0)) is None  # in the pool


def test_cus_9_only_full_reads_by_non_owners_are_logged() -> None:
    assert access_is_logged(FULL, user_id="fin", owner_id="alice") is True
    assert access_is_logged(FULL, user_id="admin", owner_id=None) is True  # a pool card read in full
    assert access_is_logged(FULL, user_id="alice", owner_id="alice") is False
    assert access_is_logged(PUBLIC, user_id="carol", owner_id="alice") is False
