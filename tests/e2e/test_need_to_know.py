"""access.md, row by row: who sees which part of an east customer, through the gateway and straight at each
subgraph (`_entities` included), and which region-scoped actions a role of another region is refused.

All four services run as in production (own databases, RabbitMQ between them) behind the real gateway."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.federation import Federation, credit_heard_trading_open, federation
from tests.support import eventually, token

EDDIE = token("SALES", user="eddie", region="east")  # the owner: nobody entered him in the roster
WENDY = token("SALES", user="wendy", region="west")  # a salesperson of another region
COLUMNS = {
    "owner": EDDIE,
    "other SALES": WENDY,
    "REGION_ASSISTANT east": token("REGION_ASSISTANT", user="ra-east", region="east"),
    "REGION_MANAGER east": token("REGION_MANAGER", user="rm-east", region="east"),
    "REGION_MANAGER west": token("REGION_MANAGER", user="rm-west", region="west"),
    "SALES_MANAGER": token("SALES_MANAGER", user="sm", region=None),
    "GENERAL_MANAGER": token("GENERAL_MANAGER", user="gm", region=None),
    "FINANCE": token("FINANCE", user="fin", region=None),
    "SERVICE": token("SERVICE", user="svc", region=None),
    "ADMIN": token("ADMIN", user="admin", region=None),
}
EVERYONE = set(COLUMNS)
EAST_SIDE = {"owner", "REGION_ASSISTANT east", "REGION_MANAGER east", "SALES_MANAGER", "GENERAL_MANAGER", "ADMIN"}
REGISTER = """mutation { registerCustomer(input: {name: "华东精密机械有限公司", kind: COMPANY,
  nature: ORDINARY_COMPANY, region: "east", phone: "021-5888 0001", contacts: [{name: "王经理", phone: "13800138000"}]})
  { id } }"""
REPORT = """mutation($id: ID!) { fileReturnReport(customerId: $id, report: {situation: "在谈", contacts: "王经理 138…",
  progress: "报价中"}) { customerId } }"""
FILE = """mutation($id: ID!) { fileComplaint(input: {customerId: $id, kind: SERVICE, description: "送货晚了三天"})
  { id } }"""


@dataclass
class Scene:
    crm: Federation
    customer_id: str
    complaint_id: str  # filed by SERVICE
    wendys_complaint_id: str  # filed by the west salesperson: "those they filed"


@pytest.fixture
async def scene(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[Scene]:
    async with federation(mongo_url, amqp_url, unique) as crm:
        customer_id = (await crm.gateway.data(REGISTER, as_token=EDDIE))["registerCustomer"]["id"]

        async def everyone_heard_of_it() -> bool:
            seen = await crm.gateway.data("""query($id: ID!) { customer(id: $id) { ownership { ownerId }
              credit { limitFen } } }""", {"id": customer_id}, as_token=COLUMNS["ADMIN"])
            known = seen["customer"]["ownership"] and seen["customer"]["credit"] is not None
            return bool(known) and await crm.services["complaints"].store.find_customer(customer_id) is not None

        await eventually(everyone_heard_of_it)
        await crm.gateway.data(REPORT, {"id": customer_id}, as_token=EDDIE)
        complaint = (await crm.gateway.data(FILE, {"id": customer_id}, as_token=COLUMNS["SERVICE"]))
        wendys = (await crm.gateway.data(FILE, {"id": customer_id}, as_token=WENDY))
        yield Scene(crm, customer_id, complaint["fileComplaint"]["id"], wendys["fileComplaint"]["id"])


def entities(selection: str) -> str:
    return """query($id: ID!) { _entities(representations: [{__typename: "Customer", id: $id}]) {
      ... on Customer { SELECTION } } }""".replace("SELECTION", selection)


# access.md's read table: (row, [(where, query)], who may read it). `where` is "gateway" or a subgraph;
# the query's last selected leaf is what must be there for those allowed and FORBIDDEN for the others.
ROWS: list[tuple[str, list[tuple[str, str]], set[str]]] = [
    ("customer public part", [
        ("gateway", "query($id: ID!) { customer(id: $id) { name } }"),
        ("customer", entities("name"))], EVERYONE),
    ("customer full card", [
        ("gateway", "query($id: ID!) { customer(id: $id) { phone } }"),
        ("customer", "query($id: ID!) { customer(id: $id) { phone } }"),
        ("customer", entities("phone"))], EAST_SIDE | {"FINANCE"}),
    ("ownership basics", [
        ("gateway", "query($id: ID!) { customer(id: $id) { ownership { ownerId } } }"),
        ("ownership", entities("ownership { ownerId }"))], EVERYONE),
    ("release reports", [
        ("gateway", "query($id: ID!) { customer(id: $id) { ownership { pendingReport { contacts } } } }"),
        ("ownership", entities("ownership { pendingReport { contacts } }")),
        ("ownership", "query($id: ID!) { ownership(customerId: $id) { pendingReport { contacts } } }")], EAST_SIDE),
    ("a salesperson's commission hold", [
        ("gateway", 'query { salesperson(id: "eddie") { commissionHold } }'),
        ("ownership", 'query { salesperson(id: "eddie") { commissionHold } }')], EAST_SIDE | {"FINANCE"}),
    ("credit profile", [
        ("gateway", "query($id: ID!) { customer(id: $id) { credit { limitFen } } }"),
        ("credit", entities("credit { limitFen }")),
        ("credit", "query($id: ID!) { creditProfile(customerId: $id) { exposureFen } }"),
        ("credit", "query($id: ID!) { creditCheck(customerId: $id, amountFen: 100) { allowed } }")],
     EAST_SIDE | {"FINANCE"}),
    ("complaint details", [
        ("gateway", "query($c: ID!) { complaint(id: $c) { description } }"),
        ("complaints", "query($c: ID!) { complaint(id: $c) { description } }")],
     EAST_SIDE | {"FINANCE", "SERVICE"}),
    ("statistics: complaints (CMP-7)", [("gateway", "{ complaintStatistics { total } }")],
     EVERYONE - {"owner", "other SALES"}),
    ("statistics: sales analyses (CUS-11)", [("gateway", "{ salesShare(by: REGION) { totalFen } }")],
     EVERYONE - {"owner", "other SALES", "SERVICE"}),
    ("statistics: ageing lists", [("gateway", "{ creditAgeing { totalFen } }")],
     EVERYONE - {"owner", "other SALES", "SERVICE"}),
    ("access log", [("gateway", "{ accessLog { edges { node { userId } } } }")], {"ADMIN"}),
]


def _leaf(data: Any) -> Any:
    """The innermost value of a one-path answer (through lists of one)."""
    while isinstance(data, (dict, list)) and data:
        data = next(iter(data.values())) if isinstance(data, dict) else data[0]
    return data


@pytest.mark.parametrize(("row", "asked", "allowed"), ROWS, ids=[r[0] for r in ROWS])
async def test_cus_9_access_md_read_row_for_every_role_through_the_gateway_and_at_each_subgraph(
        scene: Scene, row: str, asked: list[tuple[str, str]], allowed: set[str]) -> None:
    variables = {"id": scene.customer_id, "c": scene.complaint_id}
    seen: dict[tuple[str, str], bool] = {}
    for where, query in asked:
        client = scene.crm.gateway if where == "gateway" else scene.crm.subgraphs[where]
        used = {k: v for k, v in variables.items() if f"${k}" in query}
        for column, bearer in COLUMNS.items():
            answer = await client(query, used, as_token=bearer)
            codes = {e["extensions"]["code"] for e in answer.get("errors") or []}
            refused = codes == {"FORBIDDEN"}
            assert refused or not codes, (row, where, column, answer)
            if refused:  # null at its path, nothing else of it
                assert answer["data"] is None or _leaf(answer["data"]) is None, (row, where, column, answer)
            else:
                assert _leaf(answer["data"]) is not None, (row, where, column, answer)
            seen[(where, column)] = not refused
    expected = {(where, column): column in allowed for where, _ in asked for column in COLUMNS}
    assert seen == expected


async def test_cus_9_lists_leave_out_what_the_caller_may_not_see(scene: Scene) -> None:
    gateway = scene.crm.gateway
    listed = await gateway.data("{ customers { totalCount } }", as_token=WENDY)
    assert listed["customers"]["totalCount"] == 0  # neither hers nor in the pool
    assert (await gateway.data("{ customers { totalCount } }", as_token=EDDIE))["customers"]["totalCount"] == 1
    complaints = await gateway.data("{ complaints { totalCount edges { node { id } } } }", as_token=WENDY)
    assert [e["node"]["id"] for e in complaints["complaints"]["edges"]] == [scene.wendys_complaint_id]
    on_card = await gateway.data("query($id: ID!) { customer(id: $id) { complaints { id } } }",
                                 {"id": scene.customer_id}, as_token=WENDY)
    assert on_card["customer"]["complaints"] == [{"id": scene.wendys_complaint_id}]  # those she filed
    everything = await gateway.data("query($id: ID!) { customer(id: $id) { complaints { id } } }",
                                    {"id": scene.customer_id}, as_token=EDDIE)
    assert len(everything["customer"]["complaints"]) == 2


WEST_EYES = """query($id: ID!) { customer(id: $id) { name phone creditCode address contacts { phone } history { action }
  visits { progress } credit { limitFen exposureFen receivables { balanceFen } }
  ownership { ownerId pendingReport { contacts } history { note report { contacts } receivablesFen } }
  complaints { id description } } }"""


async def test_cus_9_a_west_salesperson_gets_nothing_confidential_of_an_east_customer_anywhere(
        scene: Scene) -> None:
    crm = scene.crm
    answer = await crm.gateway(WEST_EYES, {"id": scene.customer_id}, as_token=WENDY)
    card = answer["data"]["customer"]
    assert card["name"] == "华东精密机械有限公司" and card["ownership"]["ownerId"] == "eddie"
    assert (card["phone"], card["creditCode"], card["address"], card["credit"]) == (None, None, None, None)
    assert (card["contacts"], card["history"], card["visits"]) == ([], [], [])
    assert card["ownership"]["pendingReport"] is None
    assert [c["id"] for c in card["complaints"]] == [scene.wendys_complaint_id]
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    for subgraph, selection in [("customer", "phone contacts { phone } history { action }"),
                                ("credit", "credit { limitFen }"),
                                ("ownership", "ownership { pendingReport { contacts } }"),
                                ("complaints", "complaints { id description }")]:
        direct = await crm.subgraphs[subgraph](entities(selection), {"id": scene.customer_id}, as_token=WENDY)
        found = direct["data"]["_entities"][0]
        assert all(v in (None, []) for k, v in found.items() if k not in ("ownership", "complaints")), found
        assert found.get("ownership", {"pendingReport": None})["pendingReport"] is None
        assert [c["id"] for c in found.get("complaints", [])] in ([], [scene.wendys_complaint_id])


async def test_cus_9_reads_of_confidential_data_by_non_owners_reach_the_one_access_log(scene: Scene) -> None:
    """Full cards, release reports and credit profiles: every service reports its reads; the archive keeps them."""
    crm = scene.crm
    await crm.gateway.data("""query($id: ID!) { customer(id: $id) { phone credit { limitFen }
      ownership { pendingReport { situation } } } }""", {"id": scene.customer_id},
                           as_token=COLUMNS["SALES_MANAGER"])
    await crm.gateway.data("query($id: ID!) { customer(id: $id) { phone credit { limitFen } } }",
                           {"id": scene.customer_id}, as_token=EDDIE)  # the owner: nothing to log

    async def logged() -> set[tuple[str, str, str]] | None:
        log = await crm.gateway.data("""query($id: ID!) { accessLog(customerId: $id) { edges { node {
          userId service what } } } }""", {"id": scene.customer_id}, as_token=COLUMNS["ADMIN"])
        found = {(e["node"]["userId"], e["node"]["service"], e["node"]["what"]) for e in log["accessLog"]["edges"]
                 if e["node"]["userId"] in ("sm", "eddie")}
        return found if len(found) >= 3 else None

    assert await eventually(logged) == {("sm", "customer", "customer card"), ("sm", "credit", "credit profile"),
                                        ("sm", "ownership", "release report")}


async def test_own_1_a_salesperson_nobody_entered_registers_through_the_gateway_and_owns_the_customer(
        scene: Scene) -> None:
    found = await scene.crm.gateway.data("""query($id: ID!) { customer(id: $id) { ownership { ownerId basis
      owner { id name region active } } } }""", {"id": scene.customer_id}, as_token=EDDIE)
    assert found["customer"]["ownership"] == {"ownerId": "eddie", "basis": "FIRST_CONTACT", "owner": {
        "id": "eddie", "name": "eddie", "region": "east", "active": True}}


async def _refused_then_done(crm: Federation, mutation: str, variables: dict[str, Any], outsider: str,
                             insider: str) -> dict[str, Any]:
    """The role of another region (or another salesperson) is refused and nothing changes; the right one acts."""
    refused = await crm.gateway(mutation, variables, as_token=outsider)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"], refused
    return await crm.gateway.data(mutation, variables, as_token=insider)


async def test_access_md_actions_are_region_scoped_and_credit_is_the_owners_to_request(scene: Scene) -> None:
    crm, customer_id = scene.crm, scene.customer_id
    west, east = COLUMNS["REGION_MANAGER west"], COLUMNS["REGION_MANAGER east"]
    ids = {"id": customer_id}

    version = (await crm.gateway.data("query($id: ID!) { customer(id: $id) { version } }", ids))["customer"]["version"]
    written = await _refused_then_done(crm, """mutation($id: ID!, $v: Int!) { submitTradingSurvey(id: $id,
      expectedVersion: $v, survey: "资信良好") { version } }""", ids | {"v": version}, WENDY, EDDIE)  # CUS-8
    decide = """mutation($id: ID!, $v: Int!) { decideTradingSurvey(id: $id, expectedVersion: $v, approve: true) {
      version } }"""
    head = await _refused_then_done(crm, decide, ids | {"v": written["submitTradingSurvey"]["version"]}, west, east)
    await crm.gateway.data(decide, ids | {"v": head["decideTradingSurvey"]["version"]},
                           as_token=COLUMNS["GENERAL_MANAGER"])
    await eventually(lambda: credit_heard_trading_open(crm, customer_id))
    ended = await crm.gateway("""mutation($id: ID!) { endTrading(id: $id, expectedVersion: 99,
      input: {reason: TERMINATION, note: "x"}) { id } }""", ids, as_token=west)
    assert [e["extensions"]["code"] for e in ended["errors"]] == ["FORBIDDEN"]

    asked = await _refused_then_done(crm, """mutation($id: ID!) { requestCreditChange(input: {customerId: $id,
      limitFen: 5000000, justification: "稳定客户"}) { id } }""", ids, WENDY, EDDIE)  # CRD-7: another's is refused
    await _refused_then_done(crm, """mutation($r: ID!) { decideCreditRequest(id: $r, approve: true) { step } }""",
                             {"r": asked["requestCreditChange"]["id"]}, west, east)
    await _refused_then_done(crm, """mutation($id: ID!) { recordInvestigationReport(customerId: $id,
      summary: "走访: 经营正常") { id } }""", ids, west, east)  # CRD-9
    reported = await _refused_then_done(crm, """mutation($id: ID!) { reportCreditEmergency(input: {customerId: $id,
      kind: BANKRUPTCY_RUMOUR, description: "传闻资金链断裂"}) { id } }""", ids, WENDY, EDDIE)  # CRD-10
    lifted = await _refused_then_done(crm, """mutation($id: ID!, $e: ID!) { decideCountermeasures(input: {
      customerId: $id, emergencyId: $e, measures: [GUARANTOR]}) { status } }""",
                                      ids | {"e": reported["reportCreditEmergency"]["id"]}, west, east)
    assert lifted["decideCountermeasures"]["status"] == "RESOLVED"

    admin = COLUMNS["ADMIN"]
    await crm.gateway.data("""mutation { saveSalesperson(input: {id: "erin", name: "Erin", region: "east"}) { id } }""",
                           as_token=admin)
    transfer = await crm.gateway.data("""mutation($id: ID!) { requestTransfer(input: {customerId: $id,
      toSalespersonId: "erin", reason: JOB_CHANGE, summary: "月结客户", receivablesFen: 0}) { id } }""", ids,
                                      as_token=EDDIE)
    case = {"case": transfer["requestTransfer"]["id"]}
    approve = await crm.gateway("mutation($case: ID!) { approveHandover(caseId: $case) { status } }", case,
                                as_token=west)
    assert [e["extensions"]["code"] for e in approve["errors"]] == ["FORBIDDEN"]  # OWN-8
    await _refused_then_done(crm, """mutation($case: ID!) { rejectHandover(caseId: $case, note: "留在原销售")
      { status } }""", case, west, east)

    pooled = (await crm.gateway.data("""mutation { registerCustomer(input: {name: "无主客户", kind: COMPANY,
      nature: ORDINARY_COMPANY, region: "east"}) { id } }""", as_token=admin))["registerCustomer"]["id"]

    async def in_pool() -> bool:
        seen = await crm.gateway.data("query($id: ID!) { customer(id: $id) { ownership { inPool } } }",
                                      {"id": pooled}, as_token=admin)
        return bool(seen["customer"]["ownership"] and seen["customer"]["ownership"]["inPool"])

    await eventually(in_pool)
    for mutation in ("assignCustomer(customerId: $id, salespersonId: \"erin\")",
                     "referCustomer(customerId: $id, salespersonId: \"erin\")"):  # OWN-9, OWN-4
        answer = await crm.gateway(f"mutation($id: ID!) {{ {mutation} {{ ownerId }} }}", {"id": pooled},
                                   as_token=west)
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assigned = await crm.gateway.data("""mutation($id: ID!) { assignCustomer(customerId: $id, salespersonId: "erin")
      { ownerId } }""", {"id": pooled}, as_token=east)
    assert assigned["assignCustomer"]["ownerId"] == "erin"
