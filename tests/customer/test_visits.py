"""CUS-4 prospect grades, CUS-5 visit plans, CUS-6 visit log and reports, through the subgraph."""

from datetime import datetime, timedelta

from chassis.clock import BUSINESS_TZ
from contracts.envelope import Envelope
from contracts.ownership import StaffChanged
from services.customer.jobs import remind_of_overdue_visits
from tests.customer.conftest import CustomerHarness
from tests.customer.test_access import ALICE, BOB, register_as
from tests.support import START, error_codes, eventually, listening, staff_changed, token

GRADE = """mutation($id: ID!, $v: Int!, $g: ProspectGrade!) {
  setProspectGrade(id: $id, expectedVersion: $v, grade: $g) { version prospectGrade } }"""
LOG = """mutation($input: LogVisitInput!) { logVisit(input: $input) {
  id customerId by visitedAt channel progress achievements problems nextSteps } }"""
PLAN = """query($u: ID, $r: VisitPlanRole, $d: Int) { visitPlan(userId: $u, role: $r, withinDays: $d) {
  customer { id name cardAccess } role cadence lastVisitAt dueAt status } }"""
REPORT = """query($p: VisitReportPeriod!, $d: Date!, $s: ID) { visitReport(period: $p, date: $d, salespersonId: $s) {
  salespersonId start end visitCount customersVisited byChannel { channel count } visits { id progress }
  openProblems { id problems } } }"""


async def plan(archive: CustomerHarness, as_token: str = ALICE, **variables: object) -> list[dict[str, object]]:
    return (await archive.gql.data(PLAN, variables, as_token=as_token))["visitPlan"]


async def test_cus_4_the_owner_grades_a_prospect_and_the_plan_follows_its_cadence(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "准客户甲")
    graded = await archive.gql.data(GRADE, {"id": card["id"], "v": 1, "g": "A"}, as_token=ALICE)
    assert graded["setProspectGrade"] == {"version": 2, "prospectGrade": "A"}
    assert error_codes(await archive.gql(GRADE, {"id": card["id"], "v": 2, "g": "B"}, as_token=BOB)) == ["FORBIDDEN"]

    assert await plan(archive, d=6) == []  # 1–2×/week: due a week after grading
    [due] = await plan(archive)
    assert (due["customer"]["name"], due["role"], due["cadence"], due["status"]) == ("准客户甲", "SALES", "1–2×/week",
                                                                                    "DUE")
    assert due["dueAt"].startswith((START + timedelta(days=7)).isoformat()[:19])
    archive.clock.advance(timedelta(days=8))
    assert [p["status"] for p in await plan(archive)] == ["OVERDUE"]
    await archive.gql.data(LOG, {"input": {"customerId": card["id"], "channel": "ON_SITE", "progress": "需求确认"}},
                           as_token=ALICE)
    assert await plan(archive, d=3) == []  # visited: next due in a week
    [again] = await plan(archive)
    assert again["lastVisitAt"].startswith((START + timedelta(days=8)).isoformat()[:19])


async def test_cus_4_a_customer_who_has_bought_cannot_be_graded(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "已成交客户")
    await archive.service.store.customers.update_one({"_id": card["id"]}, {"$set": {"first_sale_at": START}})
    answer = await archive.gql(GRADE, {"id": card["id"], "v": 1, "g": "A"}, as_token=ALICE)
    assert error_codes(answer) == ["RULE_VIOLATION"] and "CUS-4" in answer["errors"][0]["message"]


async def test_cus_5_visits_due_and_overdue_per_person_and_role_by_the_level_table(archive: CustomerHarness) -> None:
    a = await register_as(archive, ALICE, "A级客户")
    c = await register_as(archive, ALICE, "C级客户")
    for card, level in ((a, "A"), (c, "C")):  # as the level recomputation (CUS-3) leaves them
        await archive.service.store.customers.update_one(
            {"_id": card["id"]}, {"$set": {"level": level, "first_sale_at": START, "lifecycle": "NEW"}})
    archive.clock.advance(timedelta(days=20))

    mine = await plan(archive, d=0)
    assert [(p["customer"]["name"], p["cadence"], p["status"]) for p in mine] == [
        ("A级客户", "3×/month", "OVERDUE")]  # due 10 days after entering the plan; C is monthly, not yet due
    assert [p["customer"]["name"] for p in await plan(archive, d=14)] == ["A级客户", "C级客户"]

    manager = token("SALES_MANAGER", user="sm-1", region=None)
    assert [(p["customer"]["name"], p["role"], p["cadence"]) for p in await plan(archive, manager, d=60)] == [
        ("A级客户", "SALES_MANAGER", "every 1–2 months")]  # C: as needed
    chief = token("REGION_MANAGER", user="rm-east", region="east")
    assert [p["cadence"] for p in await plan(archive, chief, d=30)] == ["1×/month"]
    # someone else's plan: a manager sees it; a regional manager only for their region; a salesperson not at all
    assert len(await plan(archive, manager, u="alice", r="SALES", d=14)) == 2
    west = token("REGION_MANAGER", user="rm-west", region="west")
    assert await plan(archive, west, u="alice", r="SALES", d=14) == []
    assert error_codes(await archive.gql(PLAN, {"u": "alice"}, as_token=BOB)) == ["FORBIDDEN"]


async def test_cus_5_someone_elses_plan_follows_their_roles_region_and_team_in_the_staff_directory(
        archive: CustomerHarness) -> None:
    for person in (staff_changed("alice", "SALES", region="east", manager_id="lead-east"),
                   staff_changed("lead-east", "REGION_ASSISTANT", region="east"),
                   staff_changed("chief-north", "REGION_MANAGER", region="north")):
        await archive.service.deliver(Envelope[StaffChanged].model_validate(person))
    ours = await register_as(archive, ALICE, "组内客户")
    theirs = await register_as(archive, BOB, "组外客户")  # bob is in nobody's team
    north = await register_as(archive, token("SALES", user="carol", region="north"), "北区客户", region="north")
    for card in (ours, theirs, north):  # level A, as the level recomputation (CUS-3) leaves it
        await archive.service.store.customers.update_one(
            {"_id": card["id"]}, {"$set": {"level": "A", "first_sale_at": START, "lifecycle": "NEW"}})
    manager = token("SALES_MANAGER", user="sm-1", region=None)

    lead = await plan(archive, manager, u="lead-east", d=30)  # no role named: the directory's
    assert [(p["customer"]["name"], p["role"], p["cadence"]) for p in lead] == [
        ("组内客户", "REGION_ASSISTANT", "2–3×/month")]  # the team lead visits the team's customers
    chief = await plan(archive, manager, u="chief-north", d=45)  # the region is the chief's, not the caller's
    assert [(p["customer"]["name"], p["role"]) for p in chief] == [("北区客户", "REGION_MANAGER")]


async def test_cus_6_a_logged_visit_feeds_the_daily_and_weekly_report(archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "回访客户")
    other = await register_as(archive, ALICE, "另一个回访客户")
    logged = (await archive.gql.data(LOG, {"input": {
        "customerId": card["id"], "channel": "PHONE", "progress": "报价已发", "achievements": "确认预算",
        "problems": "交期太长", "nextSteps": "周五再联系"}}, as_token=ALICE))["logVisit"]
    assert logged | {"id": None} == {"id": None, "customerId": card["id"], "by": "alice",
                                     "visitedAt": START.isoformat(), "channel": "PHONE", "progress": "报价已发",
                                     "achievements": "确认预算", "problems": "交期太长", "nextSteps": "周五再联系"}
    archive.clock.advance(timedelta(days=2))
    await archive.gql.data(LOG, {"input": {"customerId": other["id"], "channel": "ON_SITE", "progress": "拜访"}},
                           as_token=ALICE)

    day = (await archive.gql.data(REPORT, {"p": "DAY", "d": "2026-03-02"}, as_token=ALICE))["visitReport"]
    assert (day["visitCount"], [v["progress"] for v in day["visits"]]) == (1, ["报价已发"])
    week = (await archive.gql.data(REPORT, {"p": "WEEK", "d": "2026-03-04"}, as_token=ALICE))["visitReport"]
    assert (week["visitCount"], week["customersVisited"]) == (2, 2)
    assert {c["channel"]: c["count"] for c in week["byChannel"]} == {"ON_SITE": 1, "PHONE": 1, "ONLINE": 0}
    assert [v["problems"] for v in week["openProblems"]] == ["交期太长"]
    assert week["start"] == "2026-03-02T00:00:00+08:00"

    manager = token("SALES_MANAGER", user="sm-1", region=None)
    assert (await archive.gql.data(REPORT, {"p": "WEEK", "d": "2026-03-04", "s": "alice"},
                                   as_token=manager))["visitReport"]["visitCount"] == 2
    assert error_codes(await archive.gql(REPORT, {"p": "DAY", "d": "2026-03-02", "s": "alice"}, as_token=BOB)) == [
        "FORBIDDEN"]
    # the card shows its visits to who may see it in full
    visits = """query($id: ID!) { customer(id: $id) { visits { by progress } } }"""
    assert (await archive.gql.data(visits, {"id": card["id"]}, as_token=ALICE))["customer"]["visits"] == [
        {"by": "alice", "progress": "报价已发"}]
    assert (await archive.gql.data(visits, {"id": card["id"]}, as_token=BOB))["customer"]["visits"] == []


async def test_cus_6_a_visit_to_a_card_one_may_not_see_is_refused(archive: CustomerHarness) -> None:
    card = await register_as(archive, BOB, "乙的回访客户")
    answer = await archive.gql(LOG, {"input": {"customerId": card["id"], "channel": "ONLINE", "progress": "x"}},
                               as_token=ALICE)
    assert error_codes(answer) == ["FORBIDDEN"]
    answer = await archive.gql(LOG, {"input": {"customerId": card["id"], "channel": "ONLINE", "progress": "x",
                                               "visitedAt": (START + timedelta(days=1)).isoformat()}}, as_token=BOB)
    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "visitedAt"


async def test_cus_5_an_owner_with_overdue_visits_hears_of_them_once_a_day_from_eight(
        archive: CustomerHarness, amqp_url: str) -> None:
    graded = []
    for name in ("准客户甲", "准客户乙"):
        card = await register_as(archive, ALICE, name)
        await archive.gql.data(GRADE, {"id": card["id"], "v": 1, "g": "A"}, as_token=ALICE)  # weekly visits
        graded.append(card["id"])
    await register_as(archive, BOB, "另一位的客户")  # nothing overdue for its owner: no message
    service = archive.service
    async with listening(amqp_url, "customer.visits_overdue") as told:
        archive.clock.set(datetime(2026, 3, 10, 7, 59, tzinfo=BUSINESS_TZ))  # 8 days on, before eight
        assert await remind_of_overdue_visits(service) == 0
        archive.clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=BUSINESS_TZ))
        assert await remind_of_overdue_visits(service) == 2
        archive.clock.advance(timedelta(hours=3))
        assert await remind_of_overdue_visits(service) == 0  # once a day
        [digest] = await eventually(lambda: told)
        archive.clock.advance(timedelta(days=1))
        assert await remind_of_overdue_visits(service) == 2  # the next day, still not visited
    assert digest["data"]["salespersonId"] == "alice" and digest["data"]["count"] == 2
    assert sorted(digest["data"]["customerIds"]) == sorted(graded) and digest["data"]["day"] == "2026-03-10"
