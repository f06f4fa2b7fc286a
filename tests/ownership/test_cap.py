"""OWN-5's cap, configured low: a salesperson may own at most `max_customers` (default 200)."""

import asyncio

import pytest

from services.ownership.app import OwnershipSettings
from tests.ownership.builders import (
    CLAIM,
    add_salespeople,
    days,
    in_the_pool,
    ownership_of,
    sales,
    salesperson,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, error_codes


@pytest.fixture
def pool_rules() -> OwnershipSettings:
    return OwnershipSettings(max_customers=2, cooldown_days=30)


async def test_own_5_over_the_cap_is_refused_with_the_limit_and_the_date_it_lifts(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob")
    for customer_id in ("c-1", "c-2", "c-3"):
        await in_the_pool(ownership, customer_id)
    await ownership.gql.data(CLAIM, {"id": "c-1"}, as_token=sales("bob"))
    ownership.clock.advance(days(3))
    await ownership.gql.data(CLAIM, {"id": "c-2"}, as_token=sales("bob"))
    answer = await ownership.gql(CLAIM, {"id": "c-3"}, as_token=sales("bob"))
    assert error_codes(answer) == ["RULE_VIOLATION"]
    details = answer["errors"][0]["extensions"]
    assert (details["rule"], details["limit"], details["owned"]) == ("OWN-5", 2, 2)
    assert details["liftsAt"] == (START + days(61)).isoformat()  # c-1 goes back first, if nothing is sold
    assert "2026-05-02" in answer["errors"][0]["message"]
    assert (await ownership_of(ownership, "c-3"))["inPool"] is True


async def test_own_5_concurrent_claims_of_different_customers_cannot_pass_the_cap_together(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob")
    for customer_id in ("c-1", "c-2", "c-3", "c-4"):
        await in_the_pool(ownership, customer_id)
    answers = await asyncio.gather(*[ownership.gql(CLAIM, {"id": c}, as_token=sales("bob"))
                                     for c in ("c-1", "c-2", "c-3", "c-4")])
    assert sorted(error_codes(a)[0] if a.get("errors") else "OK" for a in answers) == [
        "OK", "OK", "RULE_VIOLATION", "RULE_VIOLATION"]
    assert (await salesperson(ownership, "bob"))["ownedCount"] == 2
