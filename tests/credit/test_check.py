"""CRD-1 / CRD-4 / CRD-5 through the subgraph: the profile, the credit check, ageing and overdue lists."""

from datetime import timedelta

from tests.credit.conftest import FINANCE, CreditHarness, envelope, invoice, owner_changed, payment
from tests.support import START, error_codes, token

YUAN = 100
CHECK = """query($id: ID!, $amount: Fen!) { creditCheck(customerId: $id, amountFen: $amount) {
  allowed customerId amountFen exposureFen limitFen availableFen reasons { code detail shortfallFen invoiceIds } } }"""
AGEING = """query($id: ID) { creditAgeing(customerId: $id) { totalFen overdueFen buckets { bucket amountFen } } }"""
OVERDUE = """{ overdueInvoices { customerId invoiceId balanceFen daysOverdue bucket } }"""


async def check(credit: CreditHarness, customer_id: str, amount_fen: int) -> dict:
    return (await credit.gql.data(CHECK, {"id": customer_id, "amount": amount_fen}))["creditCheck"]


async def test_crd_1_a_registered_customer_is_cash_only_until_a_limit_is_approved(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    profile = await credit.profile(customer_id)
    assert (profile["rating"], profile["limitFen"], profile["termDays"], profile["status"]) == (
        None, 0, 0, "CASH_ONLY")
    decision = await check(credit, customer_id, 100)
    assert not decision["allowed"] and [r["code"] for r in decision["reasons"]] == ["NO_CREDIT"]
    await credit.grant(customer_id, 50_000_000 * YUAN, rating="A", term_days=60)  # beyond GraphQL's 32-bit Int
    profile = await credit.profile(customer_id)
    assert (profile["rating"], profile["limitFen"], profile["termDays"], profile["status"]) == (
        "A", 5_000_000_000, 60, "IN_GOOD_STANDING")


async def test_crd_4_credit_check_allows_within_the_limit_and_refuses_with_machine_readable_reasons(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 10_000 * YUAN, term_days=30)
    await credit.deliver(invoice(customer_id, "INV-OLD", 2_000 * YUAN, issued=START - timedelta(days=45)))
    await credit.deliver(invoice(customer_id, "INV-NEW", 5_000 * YUAN))
    decision = await check(credit, customer_id, 1_000 * YUAN)
    assert not decision["allowed"]
    assert [(r["code"], r["invoiceIds"]) for r in decision["reasons"]] == [("OVERDUE", ["INV-OLD"])]
    await credit.deliver(payment(customer_id, "PAY-1", 2_000 * YUAN, invoices=["INV-OLD"]))
    assert (await check(credit, customer_id, 5_000 * YUAN))["allowed"]  # exactly at the limit
    over = await check(credit, customer_id, 5_000 * YUAN + 1)
    assert over["reasons"] == [{"code": "OVER_LIMIT", "shortfallFen": 1, "invoiceIds": [],
                                "detail": over["reasons"][0]["detail"]}]
    assert (over["exposureFen"], over["limitFen"], over["availableFen"]) == (500_000, 1_000_000, 500_000)


async def test_crd_5_an_invoice_is_due_on_its_issue_date_plus_the_approved_term_whatever_erp_prints(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 10_000 * YUAN, term_days=30)
    # ERP says 90 days; the company approved 30: issued 45 days ago, it is 15 days overdue.
    await credit.deliver(invoice(customer_id, "INV-1", 1_000 * YUAN, issued=START - timedelta(days=45),
                                 erp_term_days=90))
    decision = await check(credit, customer_id, 100 * YUAN)
    assert [(r["code"], r["invoiceIds"]) for r in decision["reasons"]] == [("OVERDUE", ["INV-1"])]
    receivable = (await credit.profile(customer_id))["receivables"]
    assert [(r["invoiceId"], r["daysOverdue"]) for r in receivable] == [("INV-1", 15)]


async def test_crd_4_unknown_customer_and_bad_amounts_are_errors_not_answers(credit: CreditHarness) -> None:
    assert error_codes(await credit.gql(CHECK, {"id": "nobody", "amount": 1})) == ["NOT_FOUND"]
    customer_id = await credit.register()
    assert error_codes(await credit.gql(CHECK, {"id": customer_id, "amount": 0})) == ["VALIDATION"]
    assert error_codes(await credit.gql(CHECK, {"id": customer_id, "amount": 1.5})) == ["VALIDATION"]
    assert error_codes(await credit.gql(CHECK, {"id": customer_id, "amount": 1}, as_token=None)) == [
        "UNAUTHENTICATED"]


async def test_crd_5_ageing_per_customer_and_overall_and_the_overdue_list_scoped_to_the_caller(
        credit: CreditHarness) -> None:
    here, there = f"east-{credit.instance}", f"west-{credit.instance}"  # this test's own regions and people
    rep, colleague = f"rep-{credit.instance}", f"rep2-{credit.instance}"
    mine, theirs, west = (await credit.register(region=here), await credit.register(region=here),
                          await credit.register(region=there))
    await credit.deliver(owner_changed(mine, rep))
    await credit.deliver(owner_changed(theirs, colleague))
    await credit.deliver(owner_changed(west, "rep-3"))
    for customer_id, region in [(mine, here), (theirs, here), (west, there)]:
        await credit.grant(customer_id, 100_000 * YUAN, term_days=30, region=region)  # CRD-5: due after 30 days
    for customer_id, yuan, days_ago in [(mine, 100, 10), (mine, 200, 45), (mine, 300, 75), (mine, 400, 130),
                                        (theirs, 500, 40), (west, 700, 0)]:
        await credit.deliver(invoice(customer_id, f"INV-{yuan}", yuan * YUAN, issued=START - timedelta(days=days_ago)))
    as_rep = token("SALES", user=rep, region=here)
    one = (await credit.gql.data(AGEING, {"id": mine}, as_token=as_rep))["creditAgeing"]
    assert {b["bucket"]: b["amountFen"] for b in one["buckets"]} == {
        "CURRENT": 10_000, "DAYS_1_30": 20_000, "DAYS_31_60": 30_000, "DAYS_61_90": 0, "OVER_90": 40_000}
    assert (one["totalFen"], one["overdueFen"]) == (100_000, 90_000)
    overall = (await credit.gql.data(AGEING, as_token=FINANCE))["creditAgeing"]  # finance sees every customer
    assert overall["totalFen"] >= 220_000 and overall["overdueFen"] >= 140_000  # (a shared broker may add others)
    regional = token("REGION_MANAGER", user="rm-here", region=here)
    assert (await credit.gql.data(AGEING, as_token=regional))["creditAgeing"]["totalFen"] == 150_000
    # access.md: ageing over many customers is a statistic, not for salespeople (their own customers' one by one)
    assert error_codes(await credit.gql(AGEING, as_token=as_rep)) == ["FORBIDDEN"]
    assert error_codes(await credit.gql(AGEING, {"id": theirs}, as_token=as_rep)) == ["FORBIDDEN"]

    ours = {mine, theirs, west}
    overdue = [o for o in (await credit.gql.data(OVERDUE, as_token=FINANCE))["overdueInvoices"]
               if o["customerId"] in ours]
    assert [(o["invoiceId"], o["daysOverdue"], o["bucket"]) for o in overdue] == [
        ("INV-400", 100, "OVER_90"), ("INV-300", 45, "DAYS_31_60"), ("INV-200", 15, "DAYS_1_30"),
        ("INV-500", 10, "DAYS_1_30")]
    assert [o["invoiceId"] for o in (await credit.gql.data(OVERDUE, as_token=as_rep))["overdueInvoices"]] == [
        "INV-400", "INV-300", "INV-200"]
    assert (await credit.gql.data(OVERDUE, as_token=token("SERVICE", user="svc")))["overdueInvoices"] == []


async def test_crd_4_a_customer_whose_trading_ended_gets_nothing_more_on_credit(credit: CreditHarness) -> None:
    """CUS-8 meets CRD-4: once the archive says trading ended, the check refuses, whatever the limit."""
    customer_id = await credit.register()
    await credit.grant(customer_id, 100_000_00)
    assert (await check(credit, customer_id, 1_000_00))["allowed"] is True
    ended = envelope("customer.terminated", {"customerId": customer_id, "reason": "TERMINATION",
                                             "terminatedBy": "head", "terminatedAt": START.isoformat()})
    await credit.deliver(ended)
    await credit.deliver(ended)  # the same event twice changes nothing
    decision = await check(credit, customer_id, 1_000_00)
    assert decision["allowed"] is False and [r["code"] for r in decision["reasons"]] == ["TRADING_ENDED"]
