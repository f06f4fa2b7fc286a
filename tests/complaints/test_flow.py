"""The complaint flow through the complaints subgraph, on real Mongo wire protocol and RabbitMQ."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from chassis.auth import mint_token
from chassis.settings import DEV_JWT_SECRET
from tests.complaints.conftest import ComplaintsHarness
from tests.support import START, error_codes, token

FIELDS = """id reference customerId kind severity status firstResponderId handlerId dueAt promisedAt
  allowedActions version finding { responsibility summary } resolution { remedy amountFen promisedAt }"""
FILE = f"mutation($input: FileComplaintInput!) {{ fileComplaint(input: $input) {{ {FIELDS} }} }}"
ACKNOWLEDGE = f"mutation($id: ID!) {{ acknowledgeComplaint(id: $id) {{ {FIELDS} }} }}"
INVESTIGATE = f"mutation($id: ID!) {{ startInvestigation(id: $id) {{ {FIELDS} }} }}"
FINDING = f"mutation($id: ID!, $input: FindingInput!) {{ recordFinding(id: $id, input: $input) {{ {FIELDS} }} }}"
PROPOSE = f"""mutation($id: ID!, $input: ResolutionInput!) {{
  proposeResolution(id: $id, input: $input) {{ {FIELDS} }} }}"""
RESOLVE = f"mutation($id: ID!) {{ resolveComplaint(id: $id) {{ {FIELDS} }} }}"
CLOSE = f"mutation($id: ID!) {{ closeComplaint(id: $id) {{ {FIELDS} }} }}"
REOPEN = f"mutation($id: ID!, $reason: String!) {{ reopenComplaint(id: $id, reason: $reason) {{ {FIELDS} round }} }}"
STEPS = """query($id: ID!) { complaint(id: $id) { status steps { action by at status note promisedAt } } }"""
CUSTOMER_COMPLAINTS = """query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Customer { id complaints { id status firstResponderId } } }
}"""
SERVICE_DESK = token("SERVICE", user="desk-1")


async def file(desk: ComplaintsHarness, customer_id: str | None = None, *, as_token: str | bool = True,
               **fields: Any) -> dict[str, Any]:
    customer_id = customer_id or await desk.a_customer()
    told = {"reason": "待检验", "plan": "取样送检",  # CMP-2: what the customer is told, as filed
            "expectedResolutionAt": (desk.clock.now() + timedelta(days=7)).isoformat()}
    complaint = {"customerId": customer_id, "kind": "PRODUCT_QUALITY", "description": "第三批轴承有裂纹", **told,
                 **fields}
    return (await desk.gql.data(FILE, {"input": complaint}, as_token=as_token))["fileComplaint"]


async def step(desk: ComplaintsHarness, operation: str, complaint_id: str, *, as_token: str | bool = True,
               **variables: Any) -> dict[str, Any]:
    data = await desk.gql.data(operation, {"id": complaint_id, **variables}, as_token=as_token)
    return next(iter(data.values()))


async def investigating(desk: ComplaintsHarness, **fields: Any) -> dict[str, Any]:
    complaint = await file(desk, **fields)
    await step(desk, ACKNOWLEDGE, complaint["id"])
    return await step(desk, INVESTIGATE, complaint["id"])


async def found(desk: ComplaintsHarness, **finding: Any) -> dict[str, Any]:
    complaint = await investigating(desk)
    return await step(desk, FINDING, complaint["id"],
                      input={"responsibility": "COMPANY", "summary": "出厂检验漏检", **finding})


async def test_cmp_3_file_acknowledge_investigate_propose_resolve_close_and_read_it_on_the_customer(
        desk: ComplaintsHarness) -> None:
    customer_id = await desk.a_customer()
    complaint = await file(desk, customer_id, severity="HIGH")
    assert (complaint["status"], complaint["firstResponderId"], complaint["reference"]) == ("RECEIVED", "u1",
                                                                                           "CP000001")
    assert complaint["dueAt"] == "2026-03-03T16:00:00+00:00"  # end of Tuesday in Shanghai (filed Monday 17:00)
    for operation, status in [(ACKNOWLEDGE, "ACKNOWLEDGED"), (INVESTIGATE, "INVESTIGATING")]:
        desk.clock.advance(timedelta(hours=1))
        assert (await step(desk, operation, complaint["id"]))["status"] == status
    desk.clock.advance(timedelta(hours=1))
    await step(desk, FINDING, complaint["id"], input={"responsibility": "COMPANY", "summary": "出厂检验漏检"})
    promised = (START + timedelta(days=3)).isoformat()
    proposed = await step(desk, PROPOSE, complaint["id"], as_token=SERVICE_DESK,
                          input={"remedy": "REPLACEMENT", "promisedAt": promised, "description": "换好货"})
    assert proposed["status"] == "RESOLUTION_PROPOSED" and proposed["dueAt"] is None
    assert proposed["promisedAt"] == promised
    assert (await step(desk, RESOLVE, complaint["id"]))["status"] == "RESOLVED"
    assert (await step(desk, CLOSE, complaint["id"]))["allowedActions"] == ["REOPEN"]

    steps = (await desk.gql.data(STEPS, {"id": complaint["id"]}))["complaint"]["steps"]
    assert [(s["action"], s["status"], s["by"]) for s in steps] == [
        ("FILE", "RECEIVED", "u1"), ("RECORD_FIRST_RESPONSE", "RECEIVED", "u1"),
        ("ACKNOWLEDGE", "ACKNOWLEDGED", "u1"), ("START_INVESTIGATION", "INVESTIGATING", "u1"),
        ("RECORD_FINDING", "INVESTIGATING", "u1"), ("PROPOSE_RESOLUTION", "RESOLUTION_PROPOSED", "desk-1"),
        ("RESOLVE", "RESOLVED", "u1"), ("CLOSE", "CLOSED", "u1")]
    assert [s["at"][11:16] for s in steps] == ["09:00", "09:00", "10:00", "11:00", "12:00", "12:00", "12:00", "12:00"]
    assert [s["promisedAt"] for s in steps][-3:] == [promised] * 3  # the promise is kept from then on
    answer = await desk.gql.data(CUSTOMER_COMPLAINTS, {"reps": [{"__typename": "Customer", "id": customer_id}]})
    assert answer["_entities"] == [{"id": customer_id, "complaints": [
        {"id": complaint["id"], "status": "CLOSED", "firstResponderId": "u1"}]}]


async def test_cmp_3_an_illegal_step_is_refused_naming_the_allowed_ones(desk: ComplaintsHarness) -> None:
    complaint = await file(desk)

    answer = await desk.gql(RESOLVE, {"id": complaint["id"]})

    assert error_codes(answer) == ["RULE_VIOLATION"]
    error = answer["errors"][0]
    assert error["extensions"]["rule"] == "CMP-3" and error["extensions"]["status"] == "RECEIVED"
    assert error["extensions"]["allowed"][0] == "ACKNOWLEDGE" and "ACKNOWLEDGE → ACKNOWLEDGED" in error["message"]


async def test_cmp_3_concession_refused_while_investigating_until_the_cause_is_known(
        desk: ComplaintsHarness) -> None:
    complaint = await investigating(desk)

    answer = await desk.gql(PROPOSE, {"id": complaint["id"], "input": {"remedy": "MONEY", "amountFen": 50_000, "noReplacementAvailable": True}},
                            as_token=SERVICE_DESK)
    assert error_codes(answer) == ["RULE_VIOLATION"] and answer["errors"][0]["extensions"]["rule"] == "CMP-3"

    await step(desk, FINDING, complaint["id"], input={"responsibility": "COMPANY", "summary": "漏检"})
    money = {"remedy": "MONEY", "amountFen": 50_000, "noReplacementAvailable": True}
    by_the_handler = await desk.gql(PROPOSE, {"id": complaint["id"], "input": money})  # u1, a salesperson
    assert error_codes(by_the_handler) == ["FORBIDDEN"]  # access.md: money is for SERVICE and the managers
    proposed = await step(desk, PROPOSE, complaint["id"], input=money, as_token=SERVICE_DESK)
    assert proposed["resolution"] == {"remedy": "MONEY", "amountFen": 50_000, "promisedAt": None}


async def test_cmp_3_a_reopened_complaint_goes_back_into_investigation(desk: ComplaintsHarness) -> None:
    complaint = await found(desk)
    await step(desk, PROPOSE, complaint["id"], input={"remedy": "APOLOGY"})
    await step(desk, RESOLVE, complaint["id"])
    await step(desk, CLOSE, complaint["id"])

    reopened = await step(desk, REOPEN, complaint["id"], reason="换货后客户再次投诉")
    assert (reopened["status"], reopened["round"], reopened["finding"]) == ("REOPENED", 2, None)
    assert reopened["dueAt"] is not None  # a new resolution deadline runs
    assert (await step(desk, INVESTIGATE, complaint["id"]))["status"] == "INVESTIGATING"


async def test_cmp_5_closing_without_a_finding_is_a_rule_violation(desk: ComplaintsHarness) -> None:
    complaint = await investigating(desk)

    answer = await desk.gql(CLOSE, {"id": complaint["id"]})

    assert error_codes(answer) == ["RULE_VIOLATION"] and answer["errors"][0]["extensions"]["rule"] == "CMP-5"


async def test_cmp_5_a_disputed_finding_records_the_parties_that_met(desk: ComplaintsHarness) -> None:
    complaint = await investigating(desk)
    finding = {"responsibility": "CARRIER", "summary": "运输途中受潮"}
    answer = await desk.gql(FINDING, {"id": complaint["id"], "input": finding})
    assert error_codes(answer) == ["RULE_VIOLATION"] and answer["errors"][0]["extensions"]["rule"] == "CMP-5"

    meeting = {"heldAt": START.isoformat(), "parties": ["CUSTOMER", "CARRIER", "COMPANY"], "notes": "三方确认"}
    await step(desk, FINDING, complaint["id"], input={**finding, "meeting": meeting})
    query = """query($id: ID!) { complaint(id: $id) { finding { responsibility meeting { parties notes } } } }"""
    shown = (await desk.gql.data(query, {"id": complaint["id"]}))["complaint"]["finding"]
    assert shown == {"responsibility": "CARRIER",
                     "meeting": {"parties": ["CUSTOMER", "CARRIER", "COMPANY"], "notes": "三方确认"}}
    closed = await step(desk, CLOSE, complaint["id"])  # settled by the finding: nothing to offer
    assert closed["status"] == "CLOSED"


CLAIM = """query($id: ID!) { complaint(id: $id) {
  claim { supplier claimedFen recoveredFen outstandingFen status recoveries { amountFen by } } } }"""
RECOVER = """mutation($id: ID!, $amount: Fen!) { recordClaimRecovery(id: $id, amountFen: $amount) { id } }"""


async def test_cmp_6_a_supplier_at_fault_gets_a_claim_tracked_to_recovery(desk: ComplaintsHarness) -> None:
    meeting = {"heldAt": START.isoformat(), "parties": ["CUSTOMER", "SUPPLIER", "PROCESSING_PLANT"]}
    complaint = await found(desk, responsibility="SUPPLIER", supplier="宁波轴承厂", claimAmountFen=3_000_000_000,
                            meeting=meeting)
    claim = (await desk.gql.data(CLAIM, {"id": complaint["id"]}))["complaint"]["claim"]
    assert claim == {"supplier": "宁波轴承厂", "claimedFen": 3_000_000_000, "recoveredFen": 0,
                     "outstandingFen": 3_000_000_000, "status": "OPEN", "recoveries": []}  # beyond a 32-bit Int

    assert error_codes(await desk.gql(RECOVER, {"id": complaint["id"], "amount": 1})) == ["FORBIDDEN"]  # SALES
    finance = token("FINANCE", user="finance-1")
    await desk.gql.data(RECOVER, {"id": complaint["id"], "amount": 1_000_000_000}, as_token=finance)
    await desk.gql.data(RECOVER, {"id": complaint["id"], "amount": 2_000_000_000}, as_token=finance)

    claim = (await desk.gql.data(CLAIM, {"id": complaint["id"]}))["complaint"]["claim"]
    assert (claim["status"], claim["recoveredFen"], claim["outstandingFen"]) == ("RECOVERED", 3_000_000_000, 0)
    assert [r["by"] for r in claim["recoveries"]] == ["finance-1", "finance-1"]


async def test_cmp_2_anyone_signed_in_may_file_and_becomes_first_responder(desk: ComplaintsHarness) -> None:
    for role, user in [("FINANCE", "finance-7"), ("ADMIN", "admin-1"), ("REGION_ASSISTANT", "assistant-3")]:
        complaint = await file(desk, as_token=token(role, user=user), kind="SERVICE")
        assert (complaint["firstResponderId"], complaint["handlerId"]) == (user, user)


async def test_cmp_2_only_the_desk_managers_the_first_responder_or_handler_move_it_forward(
        desk: ComplaintsHarness) -> None:
    complaint = await file(desk)  # by u1, a salesperson
    colleague = token("SALES", user="u2")

    answer = await desk.gql(ACKNOWLEDGE, {"id": complaint["id"]}, as_token=colleague)
    assert error_codes(answer) == ["FORBIDDEN"] and "SERVICE" in answer["errors"][0]["extensions"]["allowed"]

    await desk.know_staff("u2", "SALES", department="SALES")
    handed = """mutation($id: ID!) { handOverComplaint(id: $id, department: SALES, handlerId: "u2",
      note: "u2 负责该产品线") { firstResponderId handlerId } }"""
    assert await step(desk, handed, complaint["id"]) == {"firstResponderId": "u1", "handlerId": "u2"}
    assert (await step(desk, ACKNOWLEDGE, complaint["id"], as_token=colleague))["status"] == "ACKNOWLEDGED"
    # after the first response the work is the handler's, the desk's and the managers' (access.md)
    assert error_codes(await desk.gql(INVESTIGATE, {"id": complaint["id"]})) == ["FORBIDDEN"]  # u1 handed it on
    regional = token("REGION_MANAGER", user="rm-east")
    assert error_codes(await desk.gql(INVESTIGATE, {"id": complaint["id"]}, as_token=regional)) == ["FORBIDDEN"]
    manager = token("SALES_MANAGER", user="sm-1", region=None)
    assert (await step(desk, INVESTIGATE, complaint["id"], as_token=manager))["status"] == "INVESTIGATING"


HAND_OVER = """mutation($id: ID!, $department: Department!, $handlerId: ID) {
  handOverComplaint(id: $id, department: $department, handlerId: $handlerId, note: "质量部检验批次") {
    handlerId department } }"""


async def test_cmp_2_handed_to_the_quality_department_its_head_answers_for_it_and_works_on_it(
        desk: ComplaintsHarness) -> None:
    await desk.know_staff("qa-head", region=None, department="QUALITY")  # people without a system role
    await desk.know_staff("qa-1", region=None, manager_id="qa-head", department="QUALITY")
    complaint = await file(desk)  # by u1, a salesperson, who tells the customer reason, plan and date

    nobody = await desk.gql(HAND_OVER, {"id": complaint["id"], "department": "LOGISTICS"})
    assert error_codes(nobody) == ["RULE_VIOLATION"] and nobody["errors"][0]["extensions"]["rule"] == "CMP-2"
    stranger = await desk.gql(HAND_OVER, {"id": complaint["id"], "department": "QUALITY", "handlerId": "u2"})
    assert stranger["errors"][0]["extensions"]["field"] == "handlerId"  # u2 does not work in quality
    handed = await step(desk, HAND_OVER, complaint["id"], department="QUALITY")
    assert handed == {"handlerId": "qa-head", "department": "QUALITY"}

    head = mint_token(DEV_JWT_SECRET, "qa-head", [], now=datetime.now(UTC), region=None)  # signs in, no role
    assert (await step(desk, ACKNOWLEDGE, complaint["id"], as_token=head))["status"] == "ACKNOWLEDGED"
    assert (await step(desk, INVESTIGATE, complaint["id"], as_token=head))["status"] == "INVESTIGATING"
    listed = await desk.gql.data("{ complaints(first: 10) { edges { node { id } } } }", as_token=head)
    assert [e["node"]["id"] for e in listed["complaints"]["edges"]] == [complaint["id"]]  # what they handle, only
    colleague = mint_token(DEV_JWT_SECRET, "qa-1", [], now=datetime.now(UTC), region=None)
    assert error_codes(await desk.gql(STEPS, {"id": complaint["id"]}, as_token=colleague)) == ["FORBIDDEN"]


async def test_cmp_2_reason_plan_and_expected_date_are_told_together(desk: ComplaintsHarness) -> None:
    customer_id = await desk.a_customer()
    expected = (START + timedelta(days=4)).isoformat()
    partial = {"customerId": customer_id, "kind": "TRANSPORT", "description": "少发两箱", "reason": "需核对出库单"}
    answer = await desk.gql(FILE, {"input": partial})
    assert error_codes(answer) == ["RULE_VIOLATION"]
    assert answer["errors"][0]["extensions"]["missing"] == ["plan", "expectedResolutionAt"]

    told = await file(desk, customer_id, reason="需核对出库单", plan="今天核对, 明天补发", expectedResolutionAt=expected)
    assert told["promisedAt"] == expected

    later = await file(desk, customer_id)
    record = """mutation($id: ID!, $input: FirstResponseInput!) { recordFirstResponse(id: $id, input: $input) {
      promisedAt awaitingFirstResponse firstResponse { reason plan by } } }"""
    answer = await step(desk, record, later["id"], input={"reason": "需检测", "plan": "送检",
                                                          "expectedResolutionAt": expected})
    assert answer == {"promisedAt": expected, "awaitingFirstResponse": False,
                      "firstResponse": {"reason": "需检测", "plan": "送检", "by": "u1"}}


async def test_cmp_1_the_four_kinds_and_nothing_else(desk: ComplaintsHarness) -> None:
    customer_id = await desk.a_customer()
    for kind in ["PRODUCT_QUALITY", "PURCHASE_CONTRACT", "TRANSPORT", "SERVICE"]:
        assert (await file(desk, customer_id, kind=kind))["kind"] == kind
    answer = await desk.gql(FILE, {"input": {"customerId": customer_id, "kind": "WEATHER", "description": "x"}})
    assert error_codes(answer) == ["VALIDATION"] and "kind" in answer["errors"][0]["message"]


async def test_a_complaint_for_a_customer_never_registered_is_not_found(desk: ComplaintsHarness) -> None:
    answer = await desk.gql(FILE, {"input": {"customerId": "nobody", "kind": "SERVICE", "description": "态度差"}})

    assert error_codes(answer) == ["NOT_FOUND"] and "nobody" in answer["errors"][0]["message"]


async def test_an_unknown_complaint_is_null_on_read_and_not_found_on_a_step(desk: ComplaintsHarness) -> None:
    assert (await desk.gql.data("""{ complaint(id: "nope") { id } }"""))["complaint"] is None
    assert error_codes(await desk.gql(ACKNOWLEDGE, {"id": "nope"})) == ["NOT_FOUND"]


async def test_no_or_invalid_token_is_unauthenticated(desk: ComplaintsHarness) -> None:
    assert error_codes(await desk.gql("{ complaints { totalCount } }", as_token=None)) == ["UNAUTHENTICATED"]
    customer_id = await desk.a_customer()
    answer = await desk.gql(FILE, {"input": {"customerId": customer_id, "kind": "SERVICE", "description": "x"}},
                            as_token="garbage")
    assert error_codes(answer) == ["UNAUTHENTICATED"]


async def test_a_date_without_a_time_zone_is_a_validation_error_naming_the_field(desk: ComplaintsHarness) -> None:
    complaint = await found(desk)

    answer = await desk.gql(PROPOSE, {"id": complaint["id"],
                                      "input": {"remedy": "APOLOGY", "promisedAt": "2026-03-09T10:00:00"}})

    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "promisedAt"


async def test_two_acknowledgements_at_once_exactly_one_is_recorded(desk: ComplaintsHarness) -> None:
    complaint = await file(desk)

    answers = await asyncio.gather(*[desk.gql(ACKNOWLEDGE, {"id": complaint["id"]}) for _ in range(4)])

    assert sum(error_codes(a) == [] for a in answers) == 1
    assert all(error_codes(a) in ([], ["CONFLICT"], ["RULE_VIOLATION"]) for a in answers)
    steps = (await desk.gql.data(STEPS, {"id": complaint["id"]}))["complaint"]["steps"]
    assert [s["action"] for s in steps] == ["FILE", "RECORD_FIRST_RESPONSE", "ACKNOWLEDGE"]


async def test_cmp_6_only_finance_or_the_general_manager_write_off_what_a_supplier_will_not_pay(
        desk: ComplaintsHarness) -> None:
    meeting = {"heldAt": START.isoformat(), "parties": ["CUSTOMER", "SUPPLIER"]}
    complaint = await found(desk, responsibility="SUPPLIER", supplier="宁波轴承厂", claimAmountFen=500_000,
                            meeting=meeting)
    write_off = """mutation($id: ID!) { writeOffClaim(id: $id, reason: "供应商已破产清算") {
      claim { status outstandingFen closingNote } } }"""

    for refused in (token("SALES"), SERVICE_DESK):
        assert error_codes(await desk.gql(write_off, {"id": complaint["id"]}, as_token=refused)) == ["FORBIDDEN"]
    written_off = await step(desk, write_off, complaint["id"], as_token=token("GENERAL_MANAGER", user="gm"))

    assert written_off == {"claim": {"status": "WRITTEN_OFF", "outstandingFen": 0, "closingNote": "供应商已破产清算"}}


SOLVE = f"""mutation($id: ID!, $summary: String!) {{
  solveOnTheSpot(id: $id, responsibility: COMPANY, summary: $summary) {{ {FIELDS} }} }}"""


async def test_cmp_2_not_solved_on_the_spot_the_customer_is_told_first_else_it_closes_on_the_spot(
        desk: ComplaintsHarness) -> None:
    untold = await file(desk, reason=None, plan=None, expectedResolutionAt=None)
    refused = await desk.gql(ACKNOWLEDGE, {"id": untold["id"]})
    assert refused["errors"][0]["extensions"]["rule"] == "CMP-2"
    solved = await step(desk, SOLVE, untold["id"], summary="当场更换了一箱轴承")
    assert (solved["status"], solved["dueAt"], solved["allowedActions"]) == ("CLOSED", None, ["REOPEN"])


async def test_a_complaint_linked_from_another_subgraph_shows_only_to_whoever_may_see_it(
        desk: ComplaintsHarness) -> None:
    complaint = await file(desk)  # by u1
    linked = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Complaint { id status } } }"""
    reps = {"reps": [{"__typename": "Complaint", "id": complaint["id"]}, {"__typename": "Complaint", "id": "none"}]}
    assert (await desk.gql.data(linked, reps))["_entities"] == [{"id": complaint["id"], "status": "RECEIVED"}, None]
    stranger = await desk.gql(linked, reps, as_token=token("SALES", user="someone-else", region="west"))
    assert stranger["data"]["_entities"] == [None, None] and error_codes(stranger) == ["FORBIDDEN"]
