"""CRD-10: emergency report → credit hold → a manager's countermeasures; a dishonoured note is one."""

from tests.credit.conftest import (
    FINANCE,
    SALES,
    SALES_MANAGER,
    CreditHarness,
    invoice,
    note,
    note_dishonoured,
)
from tests.support import error_codes, eventually, listening, publish_as_outsider

YUAN = 100
REPORT = """mutation($input: CreditEmergencyInput!) { reportCreditEmergency(input: $input) {
  id customerId kind status reportedBy } }"""
DECIDE = """mutation($input: CountermeasuresInput!) { decideCountermeasures(input: $input) {
  id status countermeasures decidedBy comment } }"""
CHECK = """query($id: ID!) { creditCheck(customerId: $id, amountFen: 100) { allowed reasons { code detail } } }"""
HOLDS = """{ creditEmergencies { id customerId kind status } }"""


async def test_crd_10_an_emergency_report_holds_credit_until_a_manager_decides_countermeasures(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 10_000 * YUAN)
    assert (await credit.gql.data(CHECK, {"id": customer_id}))["creditCheck"]["allowed"]
    async with listening(credit.amqp_url, "credit.hold_changed") as published:
        reported = (await credit.gql.data(REPORT, {"input": {
            "customerId": customer_id, "kind": "BANKRUPTCY_RUMOUR", "description": "suppliers say they stopped paying"}},
            as_token=SALES))["reportCreditEmergency"]
        assert (reported["status"], reported["reportedBy"]) == ("OPEN", "rep-1")
        refused = (await credit.gql.data(CHECK, {"id": customer_id}))["creditCheck"]
        assert not refused["allowed"] and [r["code"] for r in refused["reasons"]] == ["ON_HOLD"]
        holds = (await credit.gql.data(HOLDS, as_token=FINANCE))["creditEmergencies"]
        assert [h["id"] for h in holds if h["customerId"] == customer_id] == [reported["id"]]
        decision = {"customerId": customer_id, "emergencyId": reported["id"],
                    "measures": ["GUARANTOR", "NOTARISED_CONTRACT"], "comment": "guarantor signed on 5 March"}
        assert error_codes(await credit.gql(DECIDE, {"input": decision}, as_token=SALES)) == ["FORBIDDEN"]
        assert error_codes(await credit.gql(DECIDE, {"input": decision}, as_token=FINANCE)) == ["FORBIDDEN"]
        decided = (await credit.gql.data(DECIDE, {"input": decision}, as_token=SALES_MANAGER))["decideCountermeasures"]
        await eventually(lambda: len([e for e in published if e["subject"] == customer_id]) >= 2)
    published = [e for e in published if e["subject"] == customer_id]
    assert (decided["status"], decided["decidedBy"]) == ("RESOLVED", "sm-1")
    assert (await credit.gql.data(CHECK, {"id": customer_id}))["creditCheck"]["allowed"]
    assert [(e["data"]["onHold"], e["data"]["emergencyId"]) for e in published] == [
        (True, reported["id"]), (False, reported["id"])]
    assert published[1]["data"]["countermeasures"] == ["GUARANTOR", "NOTARISED_CONTRACT"]


async def test_crd_10_stopping_shipments_keeps_the_hold(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    reported = (await credit.gql.data(REPORT, {"input": {
        "customerId": customer_id, "kind": "FROZEN_ACCOUNT", "description": "bank account frozen"}}, as_token=SALES)
    )["reportCreditEmergency"]
    decided = (await credit.gql.data(DECIDE, {"input": {
        "customerId": customer_id, "emergencyId": reported["id"], "measures": ["STOPPED_SHIPMENTS"]}},
        as_token=SALES_MANAGER))["decideCountermeasures"]
    assert decided["status"] == "SHIPMENTS_STOPPED" and (await credit.profile(customer_id))["onHold"]


async def test_crd_10_a_dishonoured_note_on_the_bus_puts_the_customer_on_hold_at_once(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    await credit.grant(customer_id, 10_000 * YUAN)
    await credit.deliver(invoice(customer_id, "INV-1", 1_000 * YUAN))
    await credit.deliver(note(customer_id, "NOTE-7", 2_000 * YUAN))
    async with listening(credit.amqp_url, "credit.hold_changed") as published:
        await publish_as_outsider(credit.amqp_url, note_dishonoured("NOTE-7"), "note.dishonoured")
        await eventually(lambda: [e for e in published if e["subject"] == customer_id])
    [held] = [e["data"] for e in published if e["subject"] == customer_id]
    assert held["onHold"] and "NOTE-7" in held["reason"]
    profile = await credit.profile(customer_id)
    assert (profile["onHold"], profile["status"], profile["exposureFen"], profile["notesFen"]) == (
        True, "ON_HOLD", 300_000, 0)  # the note's amount is owed again, as a receivable
    assert "note:NOTE-7" in [r["invoiceId"] for r in profile["receivables"]]
