"""客户池 through GraphQL: claims (OWN-5), releases and reports (OWN-6), referral (OWN-4), assignment (OWN-9)."""

import asyncio
from datetime import datetime

from services.ownership.jobs import sweep_lapses, sweep_recall_warnings
from tests.ownership.builders import (
    A_REPORT,
    ADMIN,
    ASSIGN,
    CLAIM,
    EAST_MANAGER,
    FILE_REPORT,
    OWNERSHIP,
    POOL,
    REFER,
    RELEASE,
    SALES_MANAGER,
    SAVE_SALESPERSON,
    WEST_MANAGER,
    a_registration,
    add_salespeople,
    days,
    deliver,
    in_the_pool,
    owned_by_first_contact,
    ownership_of,
    sales,
    salesperson,
)
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, error_codes, eventually, listening, token

CANDIDATES = """query($id: ID!) { assignmentCandidates(customerId: $id) {
  salesperson { id } ownedCount loadRatio } }"""


# -- OWN-5 claims --------------------------------------------------------------------------------------


async def test_own_5_twenty_salespeople_claim_the_same_pool_customer_at_once_exactly_one_wins(
        ownership: OwnershipHarness) -> None:
    people = [f"seller-{i:02d}" for i in range(20)]
    await asyncio.gather(*[add_salespeople(ownership, p) for p in people])
    await in_the_pool(ownership, "c-contested")
    answers = await asyncio.gather(*[ownership.gql(CLAIM, {"id": "c-contested"}, as_token=sales(p))
                                     for p in people])
    winners = [a["data"]["claimCustomer"]["ownerId"] for a in answers if not a.get("errors")]
    refusals = [a["errors"][0] for a in answers if a.get("errors")]
    assert len(winners) == 1 and len(refusals) == 19
    assert all(r["extensions"]["code"] == "RULE_VIOLATION" and r["extensions"]["rule"] == "OWN-5"
               and r["extensions"]["ownerId"] == winners[0] for r in refusals)
    assert all(winners[0] in r["message"] and "CLAIM" in r["message"] for r in refusals)
    found = await ownership_of(ownership, "c-contested")
    assert found["ownerId"] == winners[0]
    assert [(h["from"], h["to"], h["basis"]) for h in found["history"]] == [(None, winners[0], "CLAIM")]


async def test_own_5_a_salesperson_claims_at_most_ten_pool_customers_a_company_day(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "quick")
    for n in range(12):
        await in_the_pool(ownership, f"c-daily-{n}")
    ownership.clock.set(START.replace(hour=15))  # 23:00 in Shanghai: the company day ends in an hour
    for n in range(10):
        await ownership.gql.data(CLAIM, {"id": f"c-daily-{n}"}, as_token=sales("quick"))
    eleventh = await ownership.gql(CLAIM, {"id": "c-daily-10"}, as_token=sales("quick"))
    assert error_codes(eleventh) == ["RULE_VIOLATION"]
    assert (eleventh["errors"][0]["extensions"]["rule"], eleventh["errors"][0]["extensions"]["dailyLimit"]) == (
        "OWN-5", 10)
    ownership.clock.set(START.replace(hour=16))  # midnight in Shanghai: a new day
    assert (await ownership.gql.data(CLAIM, {"id": "c-daily-10"}, as_token=sales("quick")))["claimCustomer"][
        "ownerId"] == "quick"


async def test_own_5_claiming_an_owned_customer_names_the_owners_basis_and_expiry(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-taken", "alice")
    await add_salespeople(ownership, "bob")
    answer = await ownership.gql(CLAIM, {"id": "c-taken"}, as_token=sales("bob"))
    assert error_codes(answer) == ["RULE_VIOLATION"]
    error = answer["errors"][0]
    assert (error["extensions"]["rule"], error["extensions"]["basis"], error["extensions"]["ownerId"]) == (
        "OWN-5", "FIRST_CONTACT", "alice")
    assert error["extensions"]["expiresAt"] == (START + days(61)).isoformat()
    assert "FIRST_CONTACT" in error["message"] and "2026-05-02" in error["message"]


async def test_own_5_claiming_an_unknown_customer_is_not_found(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob")
    answer = await ownership.gql(CLAIM, {"id": "nobody-knows"}, as_token=sales("bob"))
    assert error_codes(answer) == ["NOT_FOUND"]


async def test_own_5_only_active_salespeople_claim(ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-pool")
    assert error_codes(await ownership.gql(CLAIM, {"id": "c-pool"}, as_token=sales("no-region", region=None))) == [
        "FORBIDDEN"]  # a salesperson token that names no region is nobody the roster can enrol
    assert error_codes(await ownership.gql(CLAIM, {"id": "c-pool"}, as_token=EAST_MANAGER)) == ["FORBIDDEN"]
    await add_salespeople(ownership, "gone")
    await ownership.gql.data(SAVE_SALESPERSON, {"input": {"id": "gone", "name": "gone", "region": "east",
                                                          "active": False}}, as_token=ADMIN)
    assert error_codes(await ownership.gql(CLAIM, {"id": "c-pool"}, as_token=sales("gone"))) == ["FORBIDDEN"]


async def test_own_5_a_salesperson_nobody_entered_is_enrolled_from_their_token_and_claims(
        ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-pool")
    claimed = await ownership.gql.data(CLAIM, {"id": "c-pool"}, as_token=sales("new-hire"))
    assert claimed["claimCustomer"]["ownerId"] == "new-hire"
    enrolled = await salesperson(ownership, "new-hire")
    assert (enrolled["active"], enrolled["ownedCount"]) == (True, 1)


async def test_own_5_the_previous_owner_waits_out_the_cooldown(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-back", "alice")
    await ownership.gql.data(RELEASE, {"id": "c-back", "report": A_REPORT}, as_token=sales("alice"))
    ownership.clock.advance(days(29))
    answer = await ownership.gql(CLAIM, {"id": "c-back"}, as_token=sales("alice"))
    assert error_codes(answer) == ["RULE_VIOLATION"]
    assert answer["errors"][0]["extensions"]["liftsAt"] == (START + days(30)).isoformat()
    assert answer["errors"][0]["extensions"]["cooldownDays"] == 30
    ownership.clock.advance(days(1))
    claimed = (await ownership.gql.data(CLAIM, {"id": "c-back"}, as_token=sales("alice")))["claimCustomer"]
    assert (claimed["ownerId"], claimed["basis"]) == ("alice", "CLAIM")


async def test_own_5_the_pool_pages_with_stable_cursors_oldest_first(ownership: OwnershipHarness) -> None:
    for i, customer_id in enumerate(["p-a", "p-b", "p-c", "p-d"]):
        await deliver(ownership, a_registration(customer_id, "assistant", at=START + days(i)))
    ownership.clock.advance(days(5))
    first = (await ownership.gql.data(POOL, {"first": 2}))["pool"]
    assert [e["node"]["id"] for e in first["edges"]] == ["p-a", "p-b"] and first["totalCount"] == 4
    await add_salespeople(ownership, "bob")
    await ownership.gql.data(CLAIM, {"id": "p-a"}, as_token=sales("bob"))  # leaves before the cursor
    await deliver(ownership, a_registration("p-e", "assistant", at=START + days(5)))  # joins at the end
    rest = (await ownership.gql.data(POOL, {"first": 10, "after": first["pageInfo"]["endCursor"]}))["pool"]
    assert [e["node"]["id"] for e in rest["edges"]] == ["p-c", "p-d", "p-e"]  # nothing repeated, nothing skipped
    assert rest["pageInfo"]["hasNextPage"] is False and rest["totalCount"] == 4
    bad = await ownership.gql(POOL, {"after": "not-a-cursor"})
    assert error_codes(bad) == ["VALIDATION"]


async def test_own_5_a_claim_that_ran_out_shows_in_the_pool_before_any_sweep(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-due", "alice")
    await add_salespeople(ownership, "bob")
    ownership.clock.advance(days(62))
    pool = (await ownership.gql.data(POOL, {"filter": {"reason": "NO_DEAL"}}))["pool"]
    assert [(e["node"]["id"], e["node"]["ownership"]["inPool"]) for e in pool["edges"]] == [("c-due", True)]
    claimed = (await ownership.gql.data(CLAIM, {"id": "c-due"}, as_token=sales("bob")))["claimCustomer"]
    assert [(h["from"], h["to"], h["basis"]) for h in claimed["history"]] == [
        (None, "alice", "FIRST_CONTACT"), ("alice", None, "LAPSE"), (None, "bob", "CLAIM")]
    assert (await salesperson(ownership, "alice"))["recordComplete"] is False  # OWN-6: no report was filed


# -- OWN-6 releases and reports ----------------------------------------------------------------------------


async def test_own_6_a_release_needs_the_report_and_keeps_it(ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-rel", "alice")
    answer = await ownership.gql(RELEASE, {"id": "c-rel", "report": A_REPORT | {"progress": "  "}},
                                 as_token=sales("alice"))
    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "report.progress"
    released = (await ownership.gql.data(RELEASE, {"id": "c-rel", "report": A_REPORT},
                                         as_token=sales("alice")))["releaseCustomer"]
    assert (released["inPool"], released["poolReason"]) == (True, "RELEASED")
    assert released["history"][-1]["report"] == {**{k: A_REPORT[k] for k in A_REPORT}, "by": "alice"}


async def test_own_6_a_salesperson_cannot_release_someone_elses_customer_a_manager_can(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-theirs", "alice")
    answer = await ownership.gql(RELEASE, {"id": "c-theirs", "report": A_REPORT}, as_token=sales("bob"))
    assert error_codes(answer) == ["FORBIDDEN"]
    answer = await ownership.gql(RELEASE, {"id": "c-theirs", "report": A_REPORT}, as_token=WEST_MANAGER)
    assert error_codes(answer) == ["FORBIDDEN"]  # another region's manager
    released = (await ownership.gql.data(RELEASE, {"id": "c-theirs", "report": A_REPORT},
                                         as_token=EAST_MANAGER))["releaseCustomer"]
    assert released["history"][-1]["by"] == "manager-east"


async def test_own_6_an_automatic_return_without_a_report_flags_the_salespersons_record(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-noreport", "alice")
    await owned_by_first_contact(ownership, "c-reported", "alice")
    ownership.clock.advance(days(50))
    await ownership.gql.data(FILE_REPORT, {"id": "c-reported", "report": A_REPORT}, as_token=sales("alice"))
    ownership.clock.advance(days(11))
    assert await sweep_lapses(ownership.service) == 2
    record = await salesperson(ownership, "alice")
    assert record["recordComplete"] is False
    assert record["missingReports"] == [{"customerId": "c-noreport", "lapsedAt": (START + days(61)).isoformat(),
                                         "reason": "NO_DEAL"}]
    reported = await ownership_of(ownership, "c-reported")
    assert reported["history"][-1]["report"]["situation"] == A_REPORT["situation"]
    # the missing report filed late completes the record
    await ownership.gql.data(FILE_REPORT, {"id": "c-noreport", "report": A_REPORT}, as_token=sales("alice"))
    assert (await salesperson(ownership, "alice"))["recordComplete"] is True
    assert (await ownership_of(ownership, "c-noreport"))["history"][-1]["report"]["by"] == "alice"
    answer = await ownership.gql(FILE_REPORT, {"id": "c-noreport", "report": A_REPORT}, as_token=sales("alice"))
    assert error_codes(answer) == ["RULE_VIOLATION"]  # nothing is missing any more


async def test_own_6_sweeps_in_every_replica_at_once_return_each_customer_once(ownership: OwnershipHarness) -> None:
    for customer_id in ("c-r1", "c-r2", "c-r3"):
        await owned_by_first_contact(ownership, customer_id, "alice")
    ownership.clock.advance(days(61))
    returned = await asyncio.gather(*[sweep_lapses(ownership.service) for _ in range(3)])
    assert sum(returned) == 3
    for customer_id in ("c-r1", "c-r2", "c-r3"):
        history = (await ownership_of(ownership, customer_id))["history"]
        assert [h["basis"] for h in history] == ["FIRST_CONTACT", "LAPSE"]
    assert len((await salesperson(ownership, "alice"))["missingReports"]) == 3


# -- OWN-4 referral, OWN-9 assignment ------------------------------------------------------------------------


async def test_own_4_management_hands_a_customer_it_brought_to_a_salesperson_as_a_referral(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "bob")
    await in_the_pool(ownership, "c-friend")
    answer = await ownership.gql(REFER, {"id": "c-friend", "to": "bob"}, as_token=sales("alice"))
    assert error_codes(answer) == ["FORBIDDEN"]
    referred = (await ownership.gql.data(REFER, {"id": "c-friend", "to": "bob", "note": "总经理的老同学"},
                                         as_token=SALES_MANAGER))["referCustomer"]
    assert (referred["ownerId"], referred["basis"]) == ("bob", "REFERRAL")
    assert (referred["history"][-1]["by"], referred["history"][-1]["note"]) == ("sales-manager", "总经理的老同学")


async def test_own_9_the_suggestion_is_the_lowest_load_relative_to_capacity_in_the_region(
        ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "ann", "cat")
    await add_salespeople(ownership, "ben", capacity=3.0)
    await add_salespeople(ownership, "dan", region="west")
    for i in range(2):
        await owned_by_first_contact(ownership, f"ann-{i}", "ann")
    for i in range(3):
        await owned_by_first_contact(ownership, f"ben-{i}", "ben")
    await owned_by_first_contact(ownership, "cat-0", "cat")
    await in_the_pool(ownership, "c-new")
    ranked = (await ownership.gql.data(CANDIDATES, {"id": "c-new"}, as_token=EAST_MANAGER))["assignmentCandidates"]
    assert [(c["salesperson"]["id"], c["ownedCount"], c["loadRatio"]) for c in ranked] == [
        ("cat", 1, 1.0), ("ben", 3, 1.0), ("ann", 2, 2.0)]  # equal ratio: the lighter load first
    assigned = (await ownership.gql.data(ASSIGN, {"id": "c-new", "to": "ben"},
                                         as_token=EAST_MANAGER))["assignCustomer"]
    assert (assigned["ownerId"], assigned["basis"], assigned["history"][-1]["by"]) == (
        "ben", "ASSIGNMENT", "manager-east")


async def test_own_9_only_the_regional_manager_of_the_region_assigns(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "ann")
    await in_the_pool(ownership, "c-new")
    assert error_codes(await ownership.gql(ASSIGN, {"id": "c-new", "to": "ann"}, as_token=sales("ann"))) == [
        "FORBIDDEN"]
    assert error_codes(await ownership.gql(ASSIGN, {"id": "c-new", "to": "ann"}, as_token=WEST_MANAGER)) == [
        "FORBIDDEN"]
    assert error_codes(await ownership.gql(CANDIDATES, {"id": "c-new"}, as_token=sales("ann"))) == ["FORBIDDEN"]
    await owned_by_first_contact(ownership, "c-owned", "ann")
    answer = await ownership.gql(ASSIGN, {"id": "c-owned", "to": "ann"}, as_token=EAST_MANAGER)
    assert error_codes(answer) == ["RULE_VIOLATION"] and answer["errors"][0]["extensions"]["rule"] == "OWN-9"


async def test_salesperson_records_are_kept_by_admin_and_the_regional_manager_of_their_region(
        ownership: OwnershipHarness) -> None:
    person = {"id": "eve", "name": "Eve", "region": "east", "capacityWeight": 1.5}
    assert error_codes(await ownership.gql(SAVE_SALESPERSON, {"input": person}, as_token=sales("eve"))) == [
        "FORBIDDEN"]
    assert error_codes(await ownership.gql(SAVE_SALESPERSON, {"input": person}, as_token=WEST_MANAGER)) == [
        "FORBIDDEN"]
    saved = (await ownership.gql.data(SAVE_SALESPERSON, {"input": person}, as_token=EAST_MANAGER))["saveSalesperson"]
    assert (saved["capacityWeight"], saved["active"], saved["version"]) == (1.5, True, 1)
    changed = (await ownership.gql.data(SAVE_SALESPERSON, {"input": person | {"active": False}},
                                        as_token=ADMIN))["saveSalesperson"]
    assert (changed["active"], changed["version"]) == (False, 2)
    bad = await ownership.gql(SAVE_SALESPERSON, {"input": person | {"capacityWeight": 0}}, as_token=ADMIN)
    assert error_codes(bad) == ["VALIDATION"] and bad["errors"][0]["extensions"]["field"] == "capacityWeight"


async def test_reading_ownership_needs_a_valid_token(ownership: OwnershipHarness) -> None:
    await in_the_pool(ownership, "c-1")
    assert error_codes(await ownership.gql(OWNERSHIP, {"id": "c-1"}, as_token=None)) == ["UNAUTHENTICATED"]
    assert error_codes(await ownership.gql(POOL, {}, as_token=token("SALES") + "x")) == ["UNAUTHENTICATED"]


# -- OWN-5 problem customers ---------------------------------------------------------------------------

MARK_PROBLEM = """mutation($id: ID!, $reason: String!) { markProblemCustomer(customerId: $id, reason: $reason) {
  ownerId inPool poolReason history { from to reason note } } }"""


async def test_own_5_a_problem_customer_goes_to_the_pool_with_the_managers_reason_and_the_owner_owes_a_report(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-problem", "alice")
    why = "三次拒收货物, 拖欠货款"
    assert error_codes(await ownership.gql(MARK_PROBLEM, {"id": "c-problem", "reason": why},
                                           as_token=sales("alice"))) == ["FORBIDDEN"]
    assert error_codes(await ownership.gql(MARK_PROBLEM, {"id": "c-problem", "reason": why},
                                           as_token=WEST_MANAGER)) == ["FORBIDDEN"]
    marked = (await ownership.gql.data(MARK_PROBLEM, {"id": "c-problem", "reason": why},
                                       as_token=EAST_MANAGER))["markProblemCustomer"]
    assert (marked["ownerId"], marked["inPool"], marked["poolReason"]) == (None, True, "PROBLEM")
    assert marked["history"][-1] == {"from": "alice", "to": None, "reason": "PROBLEM", "note": why}
    assert [m["customerId"] for m in (await salesperson(ownership, "alice"))["missingReports"]] == ["c-problem"]
    again = await ownership.gql(MARK_PROBLEM, {"id": "c-problem", "reason": why}, as_token=EAST_MANAGER)
    assert again["errors"][0]["extensions"]["rule"] == "OWN-5"
    blank = await ownership.gql(MARK_PROBLEM, {"id": "c-problem", "reason": " "}, as_token=SALES_MANAGER)
    assert error_codes(blank) == ["VALIDATION"]


# -- protected customers (issue 16) ---------------------------------------------------------------------

PROTECT = """mutation($id: ID!, $reason: String!) { protectCustomer(customerId: $id, reason: $reason) {
  ownerId protected expiresAt } }"""
LIFT = "mutation($id: ID!) { liftProtection(customerId: $id) { ownerId protected expiresAt } }"
PROTECTIONS = """query($id: ID!) { salesperson(id: $id) { protectedCustomers { customerId reason by at } } }"""


async def test_a_protected_customer_stays_with_its_owner_past_recall_until_the_regions_manager_lifts_it(
        ownership: OwnershipHarness) -> None:
    await owned_by_first_contact(ownership, "c-kept", "alice")
    protected = await ownership.gql.data(PROTECT, {"id": "c-kept", "reason": "年底签约"}, as_token=sales("alice"))
    assert protected["protectCustomer"] == {"ownerId": "alice", "protected": True, "expiresAt": None}
    assert error_codes(await ownership.gql(PROTECT, {"id": "c-kept", "reason": "抢"}, as_token=sales("bob"))) == [
        "RULE_VIOLATION"]  # only its owner

    ownership.clock.advance(days(100))  # OWN-1 would have sent it back after 2 months
    assert await sweep_lapses(ownership.service) == 0
    assert (await ownership_of(ownership, "c-kept"))["ownerId"] == "alice"
    seen = await ownership.gql.data(PROTECTIONS, {"id": "alice"}, as_token=EAST_MANAGER)
    assert [(p["customerId"], p["reason"]) for p in seen["salesperson"]["protectedCustomers"]] == [("c-kept", "年底签约")]
    assert error_codes(await ownership.gql(PROTECTIONS, {"id": "alice"}, as_token=sales("bob"))) == ["FORBIDDEN"]

    assert error_codes(await ownership.gql(LIFT, {"id": "c-kept"}, as_token=WEST_MANAGER)) == ["FORBIDDEN"]
    lifted = await ownership.gql.data(LIFT, {"id": "c-kept"}, as_token=EAST_MANAGER)
    assert lifted["liftProtection"]["protected"] is False
    assert await sweep_lapses(ownership.service) == 1  # ran out at the lift: back to the pool now
    assert (await ownership_of(ownership, "c-kept"))["inPool"] is True


async def test_an_owner_protects_at_most_five_customers_at_once(ownership: OwnershipHarness) -> None:
    for n in range(6):
        await owned_by_first_contact(ownership, f"c-many-{n}", "alice")
    for n in range(5):
        await ownership.gql.data(PROTECT, {"id": f"c-many-{n}", "reason": "重点"}, as_token=sales("alice"))
    sixth = await ownership.gql(PROTECT, {"id": "c-many-5", "reason": "重点"}, as_token=sales("alice"))
    assert error_codes(sixth) == ["RULE_VIOLATION"] and sixth["errors"][0]["extensions"]["limit"] == 5
    await ownership.gql.data(LIFT, {"id": "c-many-0"}, as_token=sales("alice"))  # the owner lifts their own
    assert (await ownership.gql.data(PROTECT, {"id": "c-many-5", "reason": "重点"}, as_token=sales("alice")))[
        "protectCustomer"]["protected"] is True


# -- recall warnings (issue 16) -------------------------------------------------------------------------


async def test_seven_days_before_recall_the_owner_is_warned_once_over_the_bus(
        ownership: OwnershipHarness, amqp_url: str) -> None:
    await owned_by_first_contact(ownership, "c-soon", "alice")  # OWN-1: runs out 2 months after START
    expires = (await ownership_of(ownership, "c-soon"))["expiresAt"]
    async with listening(amqp_url, "ownership.recall_warning") as told:
        ownership.clock.advance(days(53))  # 8 days before (March and April have 61 days)
        assert await sweep_recall_warnings(ownership.service) == 0
        ownership.clock.advance(days(1))
        assert await sweep_recall_warnings(ownership.service) == 1
        assert await sweep_recall_warnings(ownership.service) == 0  # once
        [warning] = await eventually(lambda: [e for e in told if e["subject"] == "c-soon"])
    assert warning["data"]["ownerId"] == "alice"
    assert datetime.fromisoformat(warning["data"]["expiresAt"]) == datetime.fromisoformat(expires)


# -- absences (issue 16): OWN-9 suggestions skip the salespeople who are away -----------------------------

AWAY = """mutation($id: ID!, $from: DateTime!, $until: DateTime!) {
  recordAbsence(salespersonId: $id, from: $from, until: $until, reason: "年假") { id absentNow } }"""


async def test_own_9_a_salesperson_away_is_not_suggested_until_they_are_back(ownership: OwnershipHarness) -> None:
    await add_salespeople(ownership, "ann", "ben")
    await in_the_pool(ownership, "c-open")

    async def suggested() -> list[str]:
        found = await ownership.gql.data(CANDIDATES, {"id": "c-open"}, as_token=EAST_MANAGER)
        return [c["salesperson"]["id"] for c in found["assignmentCandidates"]]

    assert await suggested() == ["ann", "ben"]
    week = {"id": "ann", "from": START.isoformat(), "until": (START + days(7)).isoformat()}
    assert error_codes(await ownership.gql(AWAY, week, as_token=WEST_MANAGER)) == ["FORBIDDEN"]
    away = await ownership.gql.data(AWAY, week, as_token=EAST_MANAGER)
    assert away["recordAbsence"] == {"id": "ann", "absentNow": True}
    assert await suggested() == ["ben"]
    await ownership.gql.data(SAVE_SALESPERSON, {"input": {"id": "ann", "name": "Ann", "region": "east",
                                                          "capacityWeight": 2.0}}, as_token=ADMIN)
    assert await suggested() == ["ben"]  # an edit of the record keeps the absence
    ownership.clock.advance(days(7))
    assert await suggested() == ["ann", "ben"]
