"""CMP-7 留档分析: closed complaints stay searchable; statistics by dimension and by time taken."""

import uuid
from datetime import timedelta

from contracts.customer import CustomerUpdated
from contracts.envelope import Envelope
from tests.complaints.conftest import ComplaintsHarness
from tests.complaints.test_flow import ACKNOWLEDGE, CLOSE, PROPOSE, RESOLVE, SERVICE_DESK, file, found, step
from tests.support import error_codes

SEARCH = """query($filter: ComplaintFilter, $first: Int, $after: String) {
  complaints(filter: $filter, first: $first, after: $after) {
    edges { node { id description status } cursor } pageInfo { endCursor hasNextPage } totalCount
  }
}"""
STATISTICS = """query($filter: ComplaintFilter) { complaintStatistics(filter: $filter) {
  total byKind { key count } byResponsibility { key count } byProduct { key count } byRegion { key count }
  byMonth { key count } timeToAcknowledge { count medianHours p90Hours } timeToResolve { count medianHours p90Hours }
} }"""


async def descriptions(desk: ComplaintsHarness, **filter: object) -> list[str]:
    data = await desk.gql.data(SEARCH, {"filter": filter})
    return [e["node"]["description"] for e in data["complaints"]["edges"]]


async def closed(desk: ComplaintsHarness, **fields: object) -> dict:
    complaint = await found(desk, responsibility="COMPANY")
    await step(desk, PROPOSE, complaint["id"], input={"remedy": "APOLOGY"})
    await step(desk, RESOLVE, complaint["id"])
    return await step(desk, CLOSE, complaint["id"])


async def test_cmp_7_closed_complaints_stay_searchable_by_kind_responsibility_product_region_month(
        desk: ComplaintsHarness) -> None:
    east, west = await desk.a_customer("east"), await desk.a_customer("west")
    done = await closed(desk)  # PRODUCT_QUALITY, east, COMPANY
    assert done["status"] == "CLOSED"
    await file(desk, east, kind="TRANSPORT", description="east transport", product="Bearing 6204")
    desk.clock.advance(timedelta(minutes=1))  # newest first
    await file(desk, west, kind="TRANSPORT", description="west transport", product="bearing 6204")
    desk.clock.advance(timedelta(days=31))  # April
    await file(desk, west, kind="SERVICE", description="april service")

    assert await descriptions(desk, status="CLOSED") == ["第三批轴承有裂纹"]
    assert await descriptions(desk, kind="PRODUCT_QUALITY") == ["第三批轴承有裂纹"]  # closed, still found
    assert await descriptions(desk, responsibility="COMPANY") == ["第三批轴承有裂纹"]
    assert await descriptions(desk, product="BEARING 6204") == ["west transport", "east transport"]
    assert await descriptions(desk, region="west") == ["april service", "west transport"]
    assert await descriptions(desk, month="2026-04") == ["april service"]
    assert await descriptions(desk, month="2026-03", kind="TRANSPORT", region="east") == ["east transport"]


async def test_cmp_7_statistics_by_dimension_with_median_and_p90_times(desk: ComplaintsHarness) -> None:
    east, west = await desk.a_customer("east"), await desk.a_customer("west")
    acknowledged_after = [1, 2, 3, 10]  # hours
    for hours, customer in zip(acknowledged_after, [east, east, west, west], strict=True):
        complaint = await file(desk, customer, kind="TRANSPORT" if hours < 3 else "SERVICE", product="轴承")
        desk.clock.advance(timedelta(hours=hours))
        await step(desk, ACKNOWLEDGE, complaint["id"])
        desk.clock.advance(-timedelta(hours=hours))
    await closed(desk)  # acknowledged at once, resolved 0 hours after filing (the clock stood still)

    assert error_codes(await desk.gql(STATISTICS)) == ["FORBIDDEN"]  # not for salespeople (access.md)
    stats = (await desk.gql.data(STATISTICS, as_token=SERVICE_DESK))["complaintStatistics"]

    assert stats["total"] == 5
    assert stats["byKind"] == [{"key": "SERVICE", "count": 2}, {"key": "TRANSPORT", "count": 2},
                               {"key": "PRODUCT_QUALITY", "count": 1}]
    assert stats["byRegion"] == [{"key": "east", "count": 3}, {"key": "west", "count": 2}]
    assert stats["byResponsibility"] == [{"key": None, "count": 4}, {"key": "COMPANY", "count": 1}]
    assert stats["byProduct"][0] == {"key": "轴承", "count": 4}
    assert stats["byMonth"] == [{"key": "2026-03", "count": 5}]
    assert stats["timeToAcknowledge"] == {"count": 5, "medianHours": 2.0, "p90Hours": 7.2}  # 0, 1, 2, 3, 10
    assert stats["timeToResolve"] == {"count": 1, "medianHours": 0.0, "p90Hours": 0.0}

    west_only = (await desk.gql.data(STATISTICS, {"filter": {"region": "west"}},
                                     as_token=SERVICE_DESK))["complaintStatistics"]
    assert west_only["total"] == 2 and west_only["timeToAcknowledge"]["medianHours"] == 6.5


async def test_cmp_7_newest_first_with_cursors_that_hold_while_complaints_are_filed(
        desk: ComplaintsHarness) -> None:
    customer = await desk.a_customer()
    for name in ["a", "b", "c", "d", "e"]:
        await file(desk, customer, description=name)
        desk.clock.advance(timedelta(minutes=1))
    first = (await desk.gql.data(SEARCH, {"first": 2}))["complaints"]
    assert [e["node"]["description"] for e in first["edges"]] == ["e", "d"] and first["totalCount"] == 5

    await file(desk, customer, description="f")  # newer: lands before the cursor
    second = (await desk.gql.data(SEARCH, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["complaints"]
    assert [e["node"]["description"] for e in second["edges"]] == ["c", "b"]
    rest = (await desk.gql.data(SEARCH, {"first": 10, "after": second["pageInfo"]["endCursor"]}))["complaints"]
    assert [e["node"]["description"] for e in rest["edges"]] == ["a"] and rest["pageInfo"]["hasNextPage"] is False


async def test_cmp_7_bad_month_cursor_or_page_size_name_the_field(desk: ComplaintsHarness) -> None:
    answer = await desk.gql(SEARCH, {"filter": {"month": "2026-13"}})
    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "filter.month"
    answer = await desk.gql(SEARCH, {"after": "not-a-cursor"})
    assert answer["errors"][0]["extensions"]["field"] == "after"
    answer = await desk.gql(SEARCH, {"first": 0})
    assert answer["errors"][0]["extensions"]["field"] == "first"


async def test_cmp_7_a_customer_that_moved_region_counts_its_complaints_in_todays_region(
        desk: ComplaintsHarness) -> None:
    customer = await desk.a_customer("east")
    await file(desk, customer, kind="TRANSPORT", description="before the move")
    moved = {"customerId": customer, "version": 2, "changedFields": ["region"], "updatedBy": "admin",
             "updatedAt": desk.clock.now().isoformat(), "region": "north", "lifecycle": "NEW"}
    await desk.service.deliver(Envelope[CustomerUpdated].model_validate({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "customer", "type": "customer.updated",
        "time": desk.clock.now().isoformat(), "subject": customer, "datacontenttype": "application/json",
        "data": moved}))
    north = (await desk.gql.data(STATISTICS, {"filter": {"region": "north"}},
                                 as_token=SERVICE_DESK))["complaintStatistics"]
    assert north["total"] == 1 and north["byRegion"] == [{"key": "north", "count": 1}]
    assert await descriptions(desk, region="north") == ["before the move"]


SATISFIED = """mutation($id: ID!, $satisfaction: SatisfactionInput!) {
  recordComplaintSatisfaction(id: $id, satisfaction: $satisfaction) { status satisfaction { score comment } } }"""


async def test_cmp_7_the_customers_satisfaction_at_closing_is_kept_and_counted(desk: ComplaintsHarness) -> None:
    said = []
    for score, comment in ((4, "换货及时"), (2, "等了太久"), (None, None)):
        complaint = await found(desk, responsibility="COMPANY")
        await step(desk, PROPOSE, complaint["id"], input={"remedy": "APOLOGY"})
        await step(desk, RESOLVE, complaint["id"])
        if score == 4:  # asked once it is closed
            early = await desk.gql(SATISFIED, {"id": complaint["id"], "satisfaction": {"score": 4}})
            assert early["errors"][0]["extensions"]["rule"] == "CMP-7"
        await step(desk, CLOSE, complaint["id"])
        if score == 2:  # a score out of the scale is refused, naming the field
            wrong = await desk.gql(SATISFIED, {"id": complaint["id"], "satisfaction": {"score": 6}})
            assert wrong["errors"][0]["extensions"]["field"] == "satisfaction.score"
        if score is not None:
            said.append(await step(desk, SATISFIED, complaint["id"], satisfaction={"score": score,
                                                                                    "comment": comment}))
    assert said == [{"status": "CLOSED", "satisfaction": {"score": 4, "comment": "换货及时"}},
                    {"status": "CLOSED", "satisfaction": {"score": 2, "comment": "等了太久"}}]

    stats = (await desk.gql.data("{ complaintStatistics { bySatisfaction { key count } averageSatisfaction } }",
                                 as_token=SERVICE_DESK))["complaintStatistics"]
    assert sorted(stats["bySatisfaction"], key=lambda c: str(c["key"])) == [
        {"key": "2", "count": 1}, {"key": "4", "count": 1}, {"key": None, "count": 1}]
    assert stats["averageSatisfaction"] == 3.0
