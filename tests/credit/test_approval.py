"""CRD-6 limit methods and CRD-7 the approval chain, through the subgraph."""

import asyncio

from tests.credit.conftest import (
    DECIDE,
    FINANCE,
    GENERAL_MANAGER,
    REGION_MANAGER,
    REQUEST,
    SALES,
    SALES_MANAGER,
    CreditHarness,
)
from tests.support import error_codes, eventually, listening, token

YUAN = 100
METHODS = """query($inputs: LimitInputs) { creditLimitMethods(inputs: $inputs) { method name formula inputs
  missingInputs calculation { limitFen explanation inputs } } }"""
REQUESTS = """query($awaitingMe: Boolean) { creditRequests(awaitingMe: $awaitingMe) { id step } }"""


async def apply(credit: CreditHarness, customer_id: str, **asked: object) -> dict:
    answer = await credit.gql.data(REQUEST, {"input": {"customerId": customer_id, "justification": "growing orders",
                                                       **asked}}, as_token=SALES)
    return answer["requestCreditChange"]


async def decide(credit: CreditHarness, request_id: str, bearer: str, approve: bool = True, **more: object) -> dict:
    answer = await credit.gql(DECIDE, {"id": request_id, "approve": approve, "comment": "seen", **more},
                              as_token=bearer)
    return answer


async def test_crd_6_the_five_methods_computed_and_explained(credit: CreditHarness) -> None:
    inputs = {"annualPurchasesFen": 3_650_000 * YUAN, "supplySharePercent": 30.0, "termDays": 60,
              "currentAssetsFen": 900_000 * YUAN, "currentLiabilitiesFen": 300_000 * YUAN, "supplierCount": 4}
    methods = {m["method"]: m for m in (await credit.gql.data(METHODS, {"inputs": inputs}))["creditLimitMethods"]}
    assert list(methods) == ["SALES", "WORKING_CAPITAL", "CURRENT_RATIO", "NET_ASSETS", "COMPREHENSIVE"]
    assert methods["SALES"]["calculation"]["limitFen"] == 18_000_000
    assert methods["SALES"]["calculation"]["inputs"]["supplySharePercent"] == "30.0"
    assert methods["WORKING_CAPITAL"]["calculation"]["limitFen"] == 15_000_000
    assert "÷ 4 suppliers" in methods["WORKING_CAPITAL"]["calculation"]["explanation"]
    assert methods["CURRENT_RATIO"]["missingInputs"] == ["baseLimitFen", "industryCurrentRatio"]
    assert methods["COMPREHENSIVE"]["calculation"] is None
    refused = await credit.gql(METHODS, {"inputs": {"supplierCount": 0}})
    assert error_codes(refused) == ["VALIDATION"] and refused["errors"][0]["extensions"]["field"] == "supplierCount"


async def test_crd_6_a_request_keeps_the_calculation_and_asks_for_its_figure(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    request = await apply(credit, customer_id, termDays=30, calculation={
        "method": "NET_ASSETS", "inputs": {"totalAssetsFen": 600_000 * YUAN, "totalLiabilitiesFen": 0,
                                           "supplierCount": 3}})
    assert request["requested"]["limitFen"] == 20_000_000
    assert request["calculation"]["method"] == "NET_ASSETS" and "÷ 3 suppliers" in request["calculation"][
        "explanation"]


async def test_crd_7_the_chain_step_by_step_and_only_the_final_approval_changes_the_profile(
        credit: CreditHarness) -> None:
    customer_id = await credit.register()
    request = await apply(credit, customer_id, limitFen=50_000 * YUAN, termDays=30, rating="B")
    assert (request["status"], request["step"], request["expectedRole"]) == (
        "PENDING", "REGION_MANAGER_REVIEW", "REGION_MANAGER")
    async with listening(credit.amqp_url, "credit.limit_changed") as published:
        for bearer, next_step in [(REGION_MANAGER, "SALES_MANAGER_REVIEW"), (SALES_MANAGER, "FINANCE_PROPOSAL")]:
            answer = await decide(credit, request["id"], bearer)
            assert answer["data"]["decideCreditRequest"]["step"] == next_step
        proposal = {"limitFen": 40_000 * YUAN, "termDays": 45, "rating": "B"}
        answer = await decide(credit, request["id"], FINANCE, proposal=proposal)
        assert answer["data"]["decideCreditRequest"]["expectedRole"] == "GENERAL_MANAGER"
        profile = await credit.profile(customer_id)
        assert (profile["limitFen"], profile["rating"]) == (0, None)  # nothing changes until the final approval
        assert [e for e in published if e["subject"] == customer_id] == []
        final = (await decide(credit, request["id"], GENERAL_MANAGER))["data"]["decideCreditRequest"]
        await eventually(lambda: [e for e in published if e["subject"] == customer_id])
    assert (final["status"], final["step"]) == ("APPROVED", None)
    assert [(h["step"], h["by"], h["decision"]) for h in final["history"]] == [
        ("APPLICATION", "rep-1", "APPLIED"), ("REGION_MANAGER_REVIEW", "rm-east", "APPROVED"),
        ("SALES_MANAGER_REVIEW", "sm-1", "APPROVED"), ("FINANCE_PROPOSAL", "fin-1", "APPROVED"),
        ("GENERAL_MANAGER_DECISION", "gm-1", "APPROVED")]
    profile = await credit.profile(customer_id)
    assert (profile["limitFen"], profile["termDays"], profile["rating"]) == (4_000_000, 45, "B")  # finance's terms
    [changed] = [e["data"] for e in published if e["subject"] == customer_id]
    assert (changed["customerId"], changed["limitFen"], changed["termDays"], changed["requestId"]) == (
        customer_id, 4_000_000, 45, request["id"])


async def test_crd_7_the_chain_refuses_a_wrong_role_naming_the_expected_one(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    request = await apply(credit, customer_id, limitFen=1_000 * YUAN)
    for bearer in (GENERAL_MANAGER, FINANCE, SALES, token("REGION_MANAGER", user="rm-west", region="west")):
        refused = await decide(credit, request["id"], bearer)
        assert error_codes(refused) == ["FORBIDDEN"]
        assert refused["errors"][0]["extensions"]["expectedRole"] == "REGION_MANAGER"
    await decide(credit, request["id"], REGION_MANAGER)
    refused = await decide(credit, request["id"], GENERAL_MANAGER)
    assert refused["errors"][0]["extensions"]["expectedRole"] == "SALES_MANAGER"
    assert "SALES_MANAGER" in refused["errors"][0]["message"]
    proposal_too_early = await decide(credit, request["id"], SALES_MANAGER, proposal={"limitFen": 1})
    assert error_codes(proposal_too_early) == ["VALIDATION"]


async def test_crd_7_only_a_salesperson_applies(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    answer = await credit.gql(REQUEST, {"input": {"customerId": customer_id, "limitFen": 1, "justification": "x"}},
                              as_token=FINANCE)
    assert error_codes(answer) == ["FORBIDDEN"]
    answer = await credit.gql(REQUEST, {"input": {"customerId": customer_id, "justification": "nothing asked"}},
                              as_token=SALES)
    assert error_codes(answer) == ["VALIDATION"]


async def test_crd_7_a_rejection_ends_the_request_and_changes_nothing(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    request = await apply(credit, customer_id, limitFen=1_000 * YUAN)
    await decide(credit, request["id"], REGION_MANAGER)
    rejected = (await decide(credit, request["id"], SALES_MANAGER, approve=False))["data"]["decideCreditRequest"]
    assert (rejected["status"], rejected["step"]) == ("REJECTED", None)
    assert rejected["history"][-1] == {"step": "SALES_MANAGER_REVIEW", "role": "SALES_MANAGER", "by": "sm-1",
                                       "decision": "REJECTED", "comment": "seen"}
    assert error_codes(await decide(credit, request["id"], FINANCE)) == ["RULE_VIOLATION"]
    assert (await credit.profile(customer_id))["limitFen"] == 0
    await apply(credit, customer_id, limitFen=500 * YUAN)  # a new request may follow


async def test_crd_7_one_request_at_a_time_per_customer(credit: CreditHarness) -> None:
    customer_id = await credit.register()
    first, second = await asyncio.gather(
        credit.gql(REQUEST, {"input": {"customerId": customer_id, "limitFen": 1, "justification": "a"}},
                   as_token=SALES),
        credit.gql(REQUEST, {"input": {"customerId": customer_id, "limitFen": 2, "justification": "b"}},
                   as_token=SALES))
    assert sorted(error_codes(first) + error_codes(second)) == ["RULE_VIOLATION"]
    waiting = (await credit.gql.data(REQUESTS, {"awaitingMe": True}, as_token=REGION_MANAGER))["creditRequests"]
    assert len(waiting) == 1 and waiting[0]["step"] == "REGION_MANAGER_REVIEW"
    assert (await credit.gql.data(REQUESTS, {"awaitingMe": True}, as_token=FINANCE))["creditRequests"] == []
