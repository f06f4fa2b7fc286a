"""CRD-3: utilisation alerts, stored, published as credit.alert_raised, and read by the people they name."""

from tests.credit.conftest import (
    FINANCE,
    REGION_MANAGER,
    CreditHarness,
    customer_updated,
    invoice,
    owner_changed,
    payment,
)
from tests.support import START, eventually, listening, staff_changed, token

YUAN = 100
MY_ALERTS = """query($customerId: ID) { creditAlerts(customerId: $customerId) { customerId level exposureFen
  limitFen recipients } }"""


async def test_crd_3_alerts_at_80_and_90_are_published_once_per_crossing_to_the_right_people(
        credit: CreditHarness) -> None:
    customer_id = await credit.register(by="rep-reg")
    await credit.deliver(owner_changed(customer_id, "rep-owner", at=START))
    await credit.grant(customer_id, 10_000 * YUAN)
    async with listening(credit.amqp_url, "credit.alert_raised") as published:
        await credit.deliver(invoice(customer_id, "INV-1", 8_000 * YUAN, salesperson="rep-inv"))  # 80 %
        await credit.deliver(invoice(customer_id, "INV-2", 500 * YUAN))  # 85 %: no new crossing
        await credit.deliver(invoice(customer_id, "INV-3", 600 * YUAN))  # 91 %
        mine = lambda: [e for e in published if e["subject"] == customer_id]
        await eventually(lambda: len(mine()) >= 2)
        await credit.deliver(payment(customer_id, "PAY-1", 2_000 * YUAN))  # 71 %: both levels re-armed
        await credit.deliver(invoice(customer_id, "INV-4", 1_000 * YUAN))  # 81 %: 80 fires again
        await eventually(lambda: len(mine()) >= 3)
    assert [(e["data"]["level"], e["data"]["recipients"]) for e in mine()] == [
        (80, ["rep-owner", "REGION_MANAGER:east", "FINANCE"]),
        (90, ["rep-owner", "REGION_MANAGER:east", "FINANCE", "SALES_MANAGER", "PRODUCT_CENTRE"]),
        (80, ["rep-owner", "REGION_MANAGER:east", "FINANCE"])]
    assert mine()[0]["data"]["exposureFen"] == 800_000 and mine()[0]["data"]["limitFen"] == 1_000_000
    profile = await credit.profile(customer_id)
    assert [a["level"] for a in profile["alerts"]] == [80, 90, 80]  # newest first


async def test_crd_3_until_ownership_speaks_the_invoices_salesperson_is_alerted(credit: CreditHarness) -> None:
    customer_id = await credit.register(by="rep-reg")
    await credit.grant(customer_id, 1_000 * YUAN)
    await credit.deliver(invoice(customer_id, "INV-1", 900 * YUAN, salesperson="rep-inv"))
    profile = await credit.profile(customer_id)
    assert profile["salespersonId"] == "rep-inv"
    assert profile["alerts"][0]["recipients"][0] == "rep-inv"


async def test_crd_3_credit_alerts_shows_each_person_their_own(credit: CreditHarness) -> None:
    east, west = await credit.register(region="east"), await credit.register(region="west")
    await credit.deliver(owner_changed(east, "rep-1"))
    await credit.deliver(owner_changed(west, "rep-2"))
    await credit.grant(east, 1_000 * YUAN)
    await credit.grant(west, 1_000 * YUAN, region="west")
    for customer_id in (east, west):
        await credit.deliver(invoice(customer_id, f"INV-{customer_id}", 950 * YUAN))

    async def seen_by(bearer: str) -> list[tuple[str, int]]:
        alerts = (await credit.gql.data(MY_ALERTS, as_token=bearer))["creditAlerts"]
        return sorted((a["customerId"], a["level"]) for a in alerts)

    assert await seen_by(token("SALES", user="rep-1")) == [(east, 80), (east, 90)]
    assert await seen_by(REGION_MANAGER) == [(east, 80), (east, 90)]
    assert await seen_by(token("REGION_MANAGER", user="rm-west", region="west")) == [(west, 80), (west, 90)]
    assert await seen_by(FINANCE) == sorted([(east, 80), (east, 90), (west, 80), (west, 90)])
    assert await seen_by(token("SALES_MANAGER", user="sm-2", region=None)) == sorted([(east, 90), (west, 90)])
    assert await seen_by(token("SERVICE", user="svc")) == []
    only_east = (await credit.gql.data(MY_ALERTS, {"customerId": east}, as_token=FINANCE))["creditAlerts"]
    assert {a["customerId"] for a in only_east} == {east}


async def test_crd_3_a_customer_moved_to_another_region_alerts_that_regions_manager(credit: CreditHarness) -> None:
    customer_id = await credit.register(region="east")
    await credit.grant(customer_id, 1_000 * YUAN)
    await credit.deliver(customer_updated(customer_id, region="north", version=3))
    await credit.deliver(customer_updated(customer_id, region="west", version=2))  # older, arriving late
    await credit.deliver(invoice(customer_id, "INV-1", 800 * YUAN))
    assert "REGION_MANAGER:north" in (await credit.profile(customer_id))["alerts"][0]["recipients"]


async def test_crd_3_alerts_name_the_people_the_staff_directory_names_and_a_role_only_where_it_names_nobody(
        credit: CreditHarness) -> None:
    for person in (staff_changed("rm-east", "REGION_MANAGER", region="east"),
                   staff_changed("rm-west", "REGION_MANAGER", region="west"),
                   staff_changed("fin-1", "FINANCE", region=None), staff_changed("fin-2", "FINANCE", region=None),
                   staff_changed("pc-1", region=None, department="PRODUCT_CENTRE")):
        await credit.deliver(person)
    customer_id = await credit.register(region="east")
    await credit.deliver(owner_changed(customer_id, "rep-owner"))
    await credit.grant(customer_id, 1_000 * YUAN)
    await credit.deliver(invoice(customer_id, "INV-1", 950 * YUAN))  # 80 % and 90 % at once

    alerts = {a["level"]: a["recipients"] for a in (await credit.profile(customer_id))["alerts"]}
    assert alerts[80] == ["rep-owner", "rm-east", "fin-1", "fin-2"]
    assert alerts[90] == ["rep-owner", "rm-east", "fin-1", "fin-2", "SALES_MANAGER", "pc-1"]  # no sales manager
    mine = (await credit.gql.data(MY_ALERTS, as_token=token("REGION_MANAGER", user="rm-east")))["creditAlerts"]
    assert sorted(a["level"] for a in mine) == [80, 90]  # found by name
