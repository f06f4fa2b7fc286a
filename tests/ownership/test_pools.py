"""Beyond the seeds (issue 16): recall periods per customer level, and several pools per region — through
GraphQL, with injected time."""

import pytest

from services.ownership.jobs import sweep_lapses
from services.ownership.settings import OwnershipSettings, RecallMonths
from tests.ownership.builders import (
    A_REPORT,
    CLAIM,
    OWNERSHIP_FIELDS,
    a_payment,
    add_salespeople,
    an_invoice,
    an_update,
    days,
    deliver,
    envelope,
    in_the_pool,
    owned_by_first_contact,
    ownership_of,
    sales,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, error_codes

RELEASE_TO = f"""mutation($id: ID!, $report: ReleaseReportInput!, $pool: String) {{
  releaseCustomer(customerId: $id, report: $report, pool: $pool) {{ pool {OWNERSHIP_FIELDS} }} }}"""
IN_POOL = """query($pool: String) { pool(filter: {pool: $pool}) { totalCount edges { node { id ownership { pool } } } } }"""
POOLS = """query($region: String) { pools(region: $region) }"""


@pytest.fixture
def pool_rules() -> OwnershipSettings:
    return OwnershipSettings(recall_months={"VIP": RecallMonths(no_sale=6)},
                             pools={"east": ["east-key-accounts"]})


def level_changed(customer_id: str, level: str | None, *, at=START, old: str | None = None) -> dict:
    """customer.level_changed as the customer service publishes it (CUS-3)."""
    return envelope("customer.level_changed", customer_id, at, {
        "customerId": customer_id, "oldLevel": old, "newLevel": level, "changedAt": at.isoformat()},
        source="crm/customer")


async def test_recall_periods_per_level_a_vip_customer_stays_six_months_without_a_sale(
        ownership: OwnershipHarness) -> None:
    for customer_id in ("c-vip", "c-plain"):
        await owned_by_first_contact(ownership, customer_id, "alice")
        await deliver(ownership, a_payment(customer_id, "alice", at=START + days(10)),
                      an_invoice(customer_id, at=START + days(30)))
    await deliver(ownership, level_changed("c-vip", "VIP", at=START + days(31)))
    assert (await ownership_of(ownership, "c-vip"))["expiresAt"].startswith("2026-10-01")  # 1 April + 6 months
    assert (await ownership_of(ownership, "c-plain"))["expiresAt"].startswith("2026-07-01")  # + 3, the seed's

    ownership.clock.advance(days(30 + 92))  # 2 July: the plain customer's three months are over, the VIP's not
    assert await sweep_lapses(ownership.service) == 1
    assert (await ownership_of(ownership, "c-plain"))["poolReason"] == "NO_SALE"
    assert (await ownership_of(ownership, "c-vip"))["ownerId"] == "alice"
    ownership.clock.advance(days(92))
    assert await sweep_lapses(ownership.service) == 1
    assert (await ownership_of(ownership, "c-vip"))["poolReason"] == "NO_SALE"


async def test_recall_periods_per_level_a_downgrade_never_recalls_a_customer_in_the_past(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-down", "alice")
    await deliver(ownership, a_payment("c-down", "alice", at=START + days(10)),
                  an_invoice("c-down", at=START + days(30)),
                  level_changed("c-down", "VIP", at=START + days(31)))
    ownership.clock.advance(days(150))  # five months after the last sale: a VIP keeps it
    await deliver(ownership, level_changed("c-down", "A", at=START + days(150), old="VIP"))
    found = await ownership_of(ownership, "c-down")
    # not 1 July, in the past: a week after the change, the recall warning's period
    assert found["ownerId"] == "alice" and found["expiresAt"].startswith("2026-08-06")
    await deliver(ownership, level_changed("c-down", "VIP", at=START + days(100), old="A"))  # older, told late
    assert (await ownership_of(ownership, "c-down"))["expiresAt"] == found["expiresAt"]


async def test_several_pools_a_release_chooses_among_the_regions_pools_and_lapses_go_to_the_regions_own(
        ownership: OwnershipHarness) -> None:
    assert (await ownership.gql.data(POOLS, {"region": "east"}))["pools"] == ["east", "east-key-accounts"]
    assert (await ownership.gql.data(POOLS, {"region": None}, as_token=sales("bob", "west")))["pools"] == ["west"]
    for customer_id in ("c-key", "c-lapse", "c-wrong"):
        await owned_by_first_contact(ownership, customer_id, "alice")
    released = await ownership.gql.data(RELEASE_TO, {"id": "c-key", "report": A_REPORT,
                                                     "pool": "east-key-accounts"}, as_token=sales("alice"))
    assert released["releaseCustomer"]["pool"] == "east-key-accounts"
    wrong = await ownership.gql(RELEASE_TO, {"id": "c-wrong", "report": A_REPORT, "pool": "west"},
                                as_token=sales("alice"))
    assert error_codes(wrong) == ["VALIDATION"] and wrong["errors"][0]["extensions"]["field"] == "pool"
    ownership.clock.advance(days(62))  # OWN-1: two months without a deal
    await sweep_lapses(ownership.service)

    key = await ownership.gql.data(IN_POOL, {"pool": "east-key-accounts"}, as_token=sales("carol"))
    assert [e["node"]["id"] for e in key["pool"]["edges"]] == ["c-key"]
    own = await ownership.gql.data(IN_POOL, {"pool": "east"}, as_token=sales("carol"))
    assert {e["node"]["id"] for e in own["pool"]["edges"]} == {"c-lapse", "c-wrong"}
    assert {e["node"]["ownership"]["pool"] for e in own["pool"]["edges"]} == {"east"}


async def test_several_pools_claiming_is_limited_to_the_pools_of_ones_region(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "wendy", region="west")
    await add_salespeople(ownership, "erin", region="east")
    await in_the_pool(ownership, "c-east", region="east")
    await in_the_pool(ownership, "c-nowhere", region=None)  # in the shared pool: anyone's to claim
    refused = await ownership.gql(CLAIM, {"id": "c-east"}, as_token=sales("wendy", "west"))
    assert error_codes(refused) == ["RULE_VIOLATION"]
    assert refused["errors"][0]["extensions"] | {"pool": "east", "yourPools": ["west"]} == \
        refused["errors"][0]["extensions"]
    assert (await ownership.gql.data(CLAIM, {"id": "c-nowhere"}, as_token=sales("wendy", "west")))[
        "claimCustomer"]["ownerId"] == "wendy"
    assert (await ownership.gql.data(CLAIM, {"id": "c-east"}, as_token=sales("erin")))["claimCustomer"][
        "ownerId"] == "erin"


async def test_several_pools_a_pool_customer_that_moves_region_moves_to_the_new_regions_pool(
        ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-moving", region="east")
    await deliver(ownership, an_update("c-moving", "west"))
    moved = await ownership.gql.data(IN_POOL, {"pool": "west"}, as_token=sales("wendy", "west"))
    assert [e["node"]["id"] for e in moved["pool"]["edges"]] == ["c-moving"]
