"""CRD-8 the quarterly review (time injected) and CRD-9 the investigation-report schedule."""

import asyncio
from datetime import UTC, datetime, timedelta

from services.credit.jobs import quarterly_review
from tests.credit.conftest import (
    DECIDE,
    FINANCE,
    GENERAL_MANAGER,
    REGION_MANAGER,
    SALES,
    SALES_MANAGER,
    CreditHarness,
    invoice,
    payment,
)
from tests.support import START, error_codes

YUAN = 100
APRIL_10 = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)
REVIEWS = """query($id: ID) { creditReviews(customerId: $id) { customerId quarter direction findings
  proposal { rating limitFen } requestId } }"""
RUN = """mutation { runCreditReview { customerId quarter direction } }"""
ACCEPT = """mutation($id: ID!, $invoices: [ID!]!, $reason: String!) {
  acceptOverdueReason(customerId: $id, invoiceIds: $invoices, reason: $reason) {
    receivables { invoiceId acceptedReason } } }"""
DUE = """query($within: Int) { investigationReportsDue(withinDays: $within) { customerId rating dueAt overdue } }"""
REPORT = """mutation($id: ID!, $summary: String!) { recordInvestigationReport(customerId: $id, summary: $summary) {
  id rating by } }"""


def of(customers: list[str] | str, outcomes: list) -> list:
    """Outcomes for these customers (on a broker shared with other test runs, their customer.registered
    events add profiles to this service too)."""
    return [o for o in outcomes if o.customer_id in ([customers] if isinstance(customers, str) else customers)]


async def reviews(credit: CreditHarness, customer_id: str) -> list[dict]:
    return (await credit.gql.data(REVIEWS, {"id": customer_id}))["creditReviews"]


async def test_crd_8_two_consecutive_months_unpaid_proposes_a_downgrade_that_climbs_the_chain(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 100_000 * YUAN, rating="B")
    issued = START - timedelta(days=59)  # 2 January, due 1 February
    await credit.deliver(invoice(customer_id, "INV-1", 20_000 * YUAN, issued=issued))
    credit.clock.set(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    assert of(customer_id, await quarterly_review(credit.service)) == []  # 2025Q4: the customer was not there
    credit.clock.set(APRIL_10)
    [outcome] = of(customer_id, await quarterly_review(credit.service))
    assert (outcome.quarter, outcome.direction.value) == ("2026Q1", "DOWN")
    [stored] = [r for r in await reviews(credit, customer_id) if r["quarter"] == "2026Q1"]
    assert stored["proposal"] == {"rating": "C", "limitFen": None} and "INV-1" in stored["findings"][0]
    assert of(customer_id, await quarterly_review(credit.service)) == []  # once per quarter
    for bearer in (REGION_MANAGER, SALES_MANAGER, FINANCE, GENERAL_MANAGER):
        await credit.gql.data(DECIDE, {"id": stored["requestId"], "approve": True}, as_token=bearer)
    profile = await credit.profile(customer_id)
    assert (profile["rating"], profile["limitFen"]) == ("C", 10_000_000)


async def test_crd_8_an_overdue_reason_accepted_by_finance_suppresses_the_downgrade(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 100_000 * YUAN, rating="B")
    await credit.deliver(invoice(customer_id, "INV-1", 20_000 * YUAN, issued=START - timedelta(days=59)))
    refused = await credit.gql(ACCEPT, {"id": customer_id, "invoices": ["INV-1"], "reason": "x"}, as_token=SALES)
    assert error_codes(refused) == ["FORBIDDEN"]
    accepted = await credit.gql.data(ACCEPT, {"id": customer_id, "invoices": ["INV-1"],
                                              "reason": "quality complaint under investigation"}, as_token=FINANCE)
    assert accepted["acceptOverdueReason"]["receivables"][0]["acceptedReason"].startswith("quality")
    credit.clock.set(APRIL_10)
    await quarterly_review(credit.service)
    [q1] = [r for r in await reviews(credit, customer_id) if r["quarter"] == "2026Q1"]
    assert q1["direction"] != "DOWN" and q1["requestId"] is None
    assert any("quality complaint" in f for f in q1["findings"])


async def test_crd_8_a_quarter_paid_on_time_proposes_a_step_up(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 100_000 * YUAN, rating="B")
    await credit.deliver(invoice(customer_id, "INV-1", 20_000 * YUAN))
    await credit.deliver(payment(customer_id, "PAY-1", 20_000 * YUAN, received=START + timedelta(days=20)))
    credit.clock.set(APRIL_10)
    reviewed = (await credit.gql.data(RUN, as_token=FINANCE))["runCreditReview"]
    assert [(r["quarter"], r["direction"]) for r in reviewed if r["customerId"] == customer_id] == [("2026Q1", "UP")]
    [q1] = await reviews(credit, customer_id)
    assert q1["proposal"]["rating"] == "A" and q1["requestId"]
    assert error_codes(await credit.gql(RUN, as_token=SALES)) == ["FORBIDDEN"]


async def test_crd_8_replicas_sweeping_at_once_review_each_profile_once(credit: CreditHarness) -> None:
    customers = [await credit.register() for _ in range(4)]
    credit.clock.set(APRIL_10)
    first, second = await asyncio.gather(quarterly_review(credit.service), quarterly_review(credit.service))
    assert sorted(o.customer_id for o in of(customers, first + second)) == sorted(customers)
    for customer_id in customers:
        assert len(await credit.service.store.find_reviews(customer_id, "2026Q1")) == 1
    assert of(customers, await quarterly_review(credit.service)) == []


async def test_crd_9_investigation_reports_are_listed_when_due_and_overdue_and_filing_one_moves_the_date(
        credit: CreditHarness) -> None:
    rated_c, rated_a = await credit.register(), await credit.register()
    await credit.grant(rated_c, 1_000 * YUAN, rating="C")
    await credit.grant(rated_a, 1_000 * YUAN, rating="A")
    assert (await credit.gql.data(DUE, {"within": 14}, as_token=FINANCE))["investigationReportsDue"] == []
    credit.clock.advance(timedelta(days=35))  # C is monthly: due 2 April, overdue now; A only in September
    due = (await credit.gql.data(DUE, {"within": 14}, as_token=FINANCE))["investigationReportsDue"]
    assert [(d["customerId"], d["rating"], d["overdue"]) for d in due] == [(rated_c, "C", True)]
    assert due[0]["dueAt"].startswith("2026-04-02")
    report = (await credit.gql.data(REPORT, {"id": rated_c, "summary": "visited; stock and books in order"},
                                    as_token=SALES))["recordInvestigationReport"]
    assert (report["rating"], report["by"]) == ("C", "rep-1")
    assert (await credit.gql.data(DUE, {"within": 14}, as_token=FINANCE))["investigationReportsDue"] == []
    profile = (await credit.gql.data("""query($id: ID!) { creditProfile(customerId: $id) {
      nextInvestigationDueAt investigations { summary } } }""", {"id": rated_c}))["creditProfile"]
    assert profile["nextInvestigationDueAt"].startswith("2026-05-06")
    assert profile["investigations"] == [{"summary": "visited; stock and books in order"}]
    a_due = (await credit.gql.data(DUE, {"within": 200}, as_token=FINANCE))["investigationReportsDue"]
    assert [(d["customerId"], d["dueAt"][:10]) for d in a_due] == [(rated_c, "2026-05-06"), (rated_a, "2026-09-02")]
