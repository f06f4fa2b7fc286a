"""离职交接 (OWN-7) and 交转客户 (OWN-8) through GraphQL: summary and receivables per customer, commission
hold until complete, the regional manager's approval."""

from tests.ownership.builders import (
    EAST_MANAGER,
    WEST_MANAGER,
    add_salespeople,
    days,
    deliver,
    owned_by_first_contact,
    owes,
    ownership_of,
    sales,
    salesperson,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import error_codes, eventually, listening

CASE_FIELDS = """id kind reason salespersonId status commissionHold incomplete
  items { customerId successorId toPool summary receivablesFen complete }"""
START_HANDOVER = f"mutation($who: ID!) {{ startHandover(salespersonId: $who) {{ {CASE_FIELDS} }} }}"
RECORD = f"""mutation($case: ID!, $input: HandoverItemInput!) {{
  recordHandoverItem(caseId: $case, input: $input) {{ {CASE_FIELDS} }} }}"""
APPROVE = f"mutation($case: ID!) {{ approveHandover(caseId: $case) {{ {CASE_FIELDS} }} }}"
REJECT = f"""mutation($case: ID!, $note: String!, $staying: Boolean = false) {{
  rejectHandover(caseId: $case, note: $note, staying: $staying) {{ {CASE_FIELDS} }} }}"""
TRANSFER = f"mutation($input: TransferInput!) {{ requestTransfer(input: $input) {{ {CASE_FIELDS} }} }}"


async def test_own_7_a_departing_salespersons_customers_go_to_successors_or_the_pool_on_approval(
        ownership: OwnershipHarness, amqp_url: str) -> None:
    await add_salespeople(ownership, "bob")
    await owned_by_first_contact(ownership, "c-1", "alice")
    await owned_by_first_contact(ownership, "c-2", "alice")
    async with listening(amqp_url, "ownership.commission_hold_changed") as holds:
        case = (await ownership.gql.data(START_HANDOVER, {"who": "alice"}, as_token=sales("alice")))["startHandover"]
        assert (case["kind"], case["status"], case["commissionHold"], case["incomplete"]) == (
            "HANDOVER", "OPEN", True, ["c-1", "c-2"])
        assert (await salesperson(ownership, "alice"))["commissionHold"] is True

        not_yet = await ownership.gql(APPROVE, {"case": case["id"]}, as_token=EAST_MANAGER)
        assert error_codes(not_yet) == ["RULE_VIOLATION"]
        assert not_yet["errors"][0]["extensions"].items() >= {"rule": "OWN-7", "missing": ["c-1", "c-2"]}.items()

        await deliver(ownership, owes("c-1", 100_000_00), owes("c-1", 120_000_00, seq=2))
        typed_wrong = await ownership.gql(RECORD, {"case": case["id"], "input": {
            "customerId": "c-1", "successorId": "bob", "summary": "orders every month", "receivablesFen": 100_00}},
            as_token=sales("alice"))
        assert typed_wrong["errors"][0]["extensions"].items() >= {
            "rule": "OWN-7", "ledgerReceivablesFen": 120_000_00}.items()  # credit's ledger is the truth
        await ownership.gql.data(RECORD, {"case": case["id"], "input": {
            "customerId": "c-1", "successorId": "bob", "summary": "orders every month; 王经理 decides"}},
            as_token=sales("alice"))
        filled = (await ownership.gql.data(RECORD, {"case": case["id"], "input": {
            "customerId": "c-2", "toPool": True, "summary": "never bought", "receivablesFen": 0}},
            as_token=sales("alice")))["recordHandoverItem"]
        assert filled["incomplete"] == [] and filled["commissionHold"] is True  # until the manager approves

        assert error_codes(await ownership.gql(APPROVE, {"case": case["id"]}, as_token=sales("alice"))) == [
            "FORBIDDEN"]  # a salesperson cannot approve a handover
        assert error_codes(await ownership.gql(APPROVE, {"case": case["id"]}, as_token=WEST_MANAGER)) == [
            "FORBIDDEN"]
        ownership.clock.advance(days(1))
        approved = (await ownership.gql.data(APPROVE, {"case": case["id"]}, as_token=EAST_MANAGER))[
            "approveHandover"]
        assert (approved["status"], approved["commissionHold"]) == ("APPROVED", False)
        published = await eventually(lambda: holds if len(holds) >= 2 else None)
    assert [(h["data"]["salespersonId"], h["data"]["onHold"]) for h in published] == [("alice", True),
                                                                                      ("alice", False)]
    handed = await ownership_of(ownership, "c-1")
    assert (handed["ownerId"], handed["basis"]) == ("bob", "HANDOVER")
    assert handed["history"][-1].items() >= {"from": "alice", "to": "bob", "by": "manager-east",
                                            "note": "orders every month; 王经理 decides",
                                            "receivablesFen": 120_000_00}.items()
    pooled = await ownership_of(ownership, "c-2")
    assert (pooled["inPool"], pooled["poolReason"]) == (True, "HANDED_BACK")
    alice = await salesperson(ownership, "alice")
    assert (alice["active"], alice["commissionHold"], alice["ownedCount"]) == (False, False, 0)
    await add_salespeople(ownership, "alice", capacity=2.0)  # an edit that does not say "active"...
    assert (await salesperson(ownership, "alice"))["active"] is False  # ...leaves her departed


async def test_own_7_a_rejected_handover_moves_nothing_and_lifts_the_hold_only_if_the_salesperson_stays(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-1", "alice")
    case = (await ownership.gql.data(START_HANDOVER, {"who": "alice"}, as_token=EAST_MANAGER))["startHandover"]
    again = await ownership.gql(START_HANDOVER, {"who": "alice"}, as_token=EAST_MANAGER)
    assert error_codes(again) == ["CONFLICT"]  # one open handover per salesperson
    rejected = (await ownership.gql.data(REJECT, {"case": case["id"], "note": "she stays", "staying": True},
                                         as_token=EAST_MANAGER))["rejectHandover"]
    assert (rejected["status"], rejected["commissionHold"]) == ("REJECTED", False)
    assert (await ownership_of(ownership, "c-1"))["ownerId"] == "alice"
    assert (await salesperson(ownership, "alice"))["active"] is True
    assert (await salesperson(ownership, "alice"))["commissionHold"] is False


async def test_own_7_a_handover_rejected_to_be_done_again_keeps_the_commission_on_hold_until_one_is_approved(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-2", "bea")
    await add_salespeople(ownership, "carl")
    first = (await ownership.gql.data(START_HANDOVER, {"who": "bea"}, as_token=EAST_MANAGER))["startHandover"]
    redo = (await ownership.gql.data(REJECT, {"case": first["id"], "note": "receivables do not match credit"},
                                     as_token=EAST_MANAGER))["rejectHandover"]
    assert (redo["status"], redo["commissionHold"]) == ("REJECTED", True)
    assert (await salesperson(ownership, "bea"))["commissionHold"] is True  # nothing was handed over
    ownership.clock.advance(days(1))
    second = (await ownership.gql.data(START_HANDOVER, {"who": "bea"}, as_token=EAST_MANAGER))["startHandover"]
    await ownership.gql.data(RECORD, {"case": second["id"], "input": {
        "customerId": "c-2", "successorId": "carl", "summary": "月结客户", "receivablesFen": 0}},
        as_token=EAST_MANAGER)
    await ownership.gql.data(APPROVE, {"case": second["id"]}, as_token=EAST_MANAGER)
    assert (await salesperson(ownership, "bea"))["commissionHold"] is False


async def test_own_8_an_incomplete_transfer_holds_the_commission_until_completed_and_approved(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob")
    await owned_by_first_contact(ownership, "c-move", "alice")
    request = {"customerId": "c-move", "toSalespersonId": "bob", "reason": "CUSTOMER_REQUEST"}
    assert error_codes(await ownership.gql(TRANSFER, {"input": request}, as_token=sales("bob"))) == [
        "FORBIDDEN"]  # not bob's customer to give away
    await deliver(ownership, owes("c-move", 35_000_00))
    case = (await ownership.gql.data(TRANSFER, {"input": request}, as_token=sales("alice")))["requestTransfer"]
    assert (case["kind"], case["commissionHold"], case["incomplete"]) == ("TRANSFER", True, ["c-move"])
    assert (await salesperson(ownership, "alice"))["commissionHold"] is True
    assert error_codes(await ownership.gql(TRANSFER, {"input": request}, as_token=sales("alice"))) == ["CONFLICT"]
    assert error_codes(await ownership.gql(APPROVE, {"case": case["id"]}, as_token=EAST_MANAGER)) == [
        "RULE_VIOLATION"]  # OWN-8: the summary is missing
    completed = (await ownership.gql.data(RECORD, {"case": case["id"], "input": {
        "customerId": "c-move", "summary": "wants a local contact", "receivablesFen": 35_000_00}},
        as_token=sales("alice")))["recordHandoverItem"]
    assert completed["commissionHold"] is False and completed["items"][0]["successorId"] == "bob"
    approved = (await ownership.gql.data(APPROVE, {"case": case["id"]}, as_token=EAST_MANAGER))["approveHandover"]
    assert approved["status"] == "APPROVED"
    moved = await ownership_of(ownership, "c-move")
    assert (moved["ownerId"], moved["basis"], moved["history"][-1]["receivablesFen"]) == ("bob", "TRANSFER",
                                                                                        35_000_00)
    assert (await salesperson(ownership, "alice"))["active"] is True  # a transfer is not a departure
