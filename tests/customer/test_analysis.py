"""CUS-11 composition analysis as GraphQL queries fit for charts, from invoices published on the bus."""

from datetime import timedelta

from tests.customer.conftest import CustomerHarness
from tests.customer.test_access import ALICE, register_as
from tests.customer.test_sales_events import an_invoice
from tests.support import START, error_codes, eventually, publish_as_outsider, token

YUAN = 100
MANAGER = token("SALES_MANAGER", user="sm-1", region=None)
SHARE = """query($by: ShareDimension!, $from: DateTime) { salesShare(by: $by, from: $from) {
  totalFen slices { key amountFen share customerCount } } }"""
PARETO = """{ salesPareto { totalFen customerCount coreCount points { customer { name } amountFen cumulativeShare core } } }"""
ABC = """{ abcAnalysis { classes { abc customerCount averageMonthlyFen share }
  customers { customer { name } averageMonthlyFen abc } } }"""


async def sell(archive: CustomerHarness, amqp_url: str, sales: list[tuple[str, int, str | None, int]]) -> None:
    """(customer id, yuan, product line, days ago) as ERP invoices on the bus; waits until all are in."""
    for customer_id, yuan, line, days_ago in sales:
        extra = {"productLine": line} if line else {}
        await publish_as_outsider(amqp_url, an_invoice(customer_id, days_ago=days_ago, amountFen=yuan * YUAN,
                                                       **extra), "invoice.issued")

    async def all_in() -> bool:
        return await archive.service.store.sales.count_documents({}) == len(sales)

    await eventually(all_in)


async def three_customers(archive: CustomerHarness, amqp_url: str) -> dict[str, str]:
    big = (await register_as(archive, ALICE, "大客户"))["id"]
    mid = (await register_as(archive, ALICE, "中客户", region="west"))["id"]
    small = (await register_as(archive, ALICE, "小客户"))["id"]
    await sell(archive, amqp_url, [(big, 60_000, "泵", 10), (big, 10_000, "阀门", 100), (mid, 20_000, "阀门", 20),
                                   (small, 10_000, None, 30), (small, 5_000, "泵", 400)])  # the last: too old
    return {"big": big, "mid": mid, "small": small}


async def test_cus_11_sales_share_by_product_line_level_and_region(archive: CustomerHarness, amqp_url: str) -> None:
    await three_customers(archive, amqp_url)
    by_line = (await archive.gql.data(SHARE, {"by": "PRODUCT_LINE"}, as_token=MANAGER))["salesShare"]
    assert by_line["totalFen"] == 100_000 * YUAN  # the trailing 12 months
    assert [(s["key"], s["amountFen"], s["share"], s["customerCount"]) for s in by_line["slices"]] == [
        ("泵", 60_000 * YUAN, 60.0, 1), ("阀门", 30_000 * YUAN, 30.0, 2), ("UNSPECIFIED", 10_000 * YUAN, 10.0, 1)]
    by_level = (await archive.gql.data(SHARE, {"by": "LEVEL"}, as_token=MANAGER))["salesShare"]["slices"]
    assert [(s["key"], s["share"]) for s in by_level] == [("A", 70.0), ("C", 30.0)]  # 70,000; 20,000 + 10,000
    by_region = (await archive.gql.data(SHARE, {"by": "REGION"}, as_token=MANAGER))["salesShare"]["slices"]
    assert [(s["key"], s["share"]) for s in by_region] == [("east", 80.0), ("west", 20.0)]
    recent = await archive.gql.data(SHARE, {"by": "REGION", "from": (START - timedelta(days=25)).isoformat()},
                                    as_token=MANAGER)
    assert recent["salesShare"]["totalFen"] == 80_000 * YUAN


async def test_cus_11_pareto_names_the_customers_making_80_percent(archive: CustomerHarness, amqp_url: str) -> None:
    await three_customers(archive, amqp_url)
    view = (await archive.gql.data(PARETO, as_token=MANAGER))["salesPareto"]
    assert (view["customerCount"], view["coreCount"]) == (3, 2)
    assert [(p["customer"]["name"], p["cumulativeShare"], p["core"]) for p in view["points"]] == [
        ("大客户", 70.0, True), ("中客户", 90.0, True), ("小客户", 100.0, False)]


async def test_cus_11_abc_by_three_month_average_monthly_sales(archive: CustomerHarness, amqp_url: str) -> None:
    await three_customers(archive, amqp_url)  # last 3 months: 60,000 / 20,000 / 10,000 (100 days ago is out)
    view = (await archive.gql.data(ABC, as_token=MANAGER))["abcAnalysis"]
    assert [(c["customer"]["name"], c["averageMonthlyFen"], c["abc"]) for c in view["customers"]] == [
        ("大客户", 20_000 * YUAN, "A"), ("中客户", 666_666, "A"),  # 67 %, then 89 %: A reaches past 80 %
        ("小客户", 333_333, "B")]  # 100 %: B reaches past 95 %
    assert [(c["abc"], c["customerCount"]) for c in view["classes"]] == [("A", 2), ("B", 1), ("C", 0)]


async def test_cus_11_who_may_analyse_a_regional_manager_sees_their_region(
        archive: CustomerHarness, amqp_url: str) -> None:
    await three_customers(archive, amqp_url)
    assert error_codes(await archive.gql(PARETO, as_token=ALICE)) == ["FORBIDDEN"]
    west = token("REGION_MANAGER", user="rm-west", region="west")
    view = (await archive.gql.data(PARETO, as_token=west))["salesPareto"]
    assert [p["customer"]["name"] for p in view["points"]] == ["中客户"]
