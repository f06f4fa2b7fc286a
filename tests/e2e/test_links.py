"""The rules that cross a service border, proven end to end: the services run as in production (own
databases, RabbitMQ between them) behind the real gateway, and a user's action in one service changes
what another decides."""

from datetime import timedelta

from contracts.envelope import Envelope
from contracts.sales import InvoiceIssued
from services.complaints.jobs import sweep_deadlines
from services.credit.review import unpaid_for_two_months
from tests.credit.conftest import REQUEST
from tests.federation import federation, open_trading
from tests.support import START, eventually, token

REP = token("SALES", user="rep-links", region="east")
REGISTER = """mutation { registerCustomer(input: {name: "苏州轴承贸易有限公司", kind: COMPANY,
  nature: ORDINARY_COMPANY, region: "east"}) { id } }"""
FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline { dealing } } }"""
STEPS = [
    ("mutation($id: ID!) { acknowledgeComplaint(id: $id) { status } }", {}),
    ("mutation($id: ID!) { startInvestigation(id: $id) { status } }", {}),
    ("mutation($id: ID!, $input: FindingInput!) { recordFinding(id: $id, input: $input) { status } }",
     {"input": {"responsibility": "COMPANY", "summary": "热处理不合格"}}),
    ("mutation($id: ID!, $input: ResolutionInput!) { proposeResolution(id: $id, input: $input) { status } }",
     {"input": {"remedy": "REPLACEMENT", "withApology": True}}),
    ("mutation($id: ID!) { resolveComplaint(id: $id) { status } }", {}),
]


def an_invoice(customer_id: str, invoice_id: str, days_ago: int) -> Envelope[InvoiceIssued]:
    issued = START - timedelta(days=days_ago)
    return Envelope[InvoiceIssued].model_validate({
        "specversion": "1.0", "id": f"erp-{invoice_id}", "source": "erp", "type": "invoice.issued",
        "time": issued.isoformat(), "subject": customer_id, "datacontenttype": "application/json",
        "data": {"invoiceId": invoice_id, "customerId": customer_id, "amountFen": 2_000_000,
                 "issuedAt": issued.isoformat()}})


async def test_crd_8_a_quality_complaint_about_an_invoice_holds_it_out_of_the_downgrade_until_resolved_and_is_on_the_card(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, default_token=REP) as crm:
        credit = crm.services["credit"]
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        await eventually(lambda: credit.store.profiles.count_documents({"_id": customer_id}))
        invoice_id = f"INV-{unique}"
        await credit.deliver(an_invoice(customer_id, invoice_id, days_ago=100))  # cash only: due at once

        async def excused() -> bool:
            _, held = unpaid_for_two_months(await credit.store.get(customer_id), crm.clock.now())
            return [i.invoice_id for i in held] == [invoice_id]

        assert not await excused()  # two months unpaid: it counts for a downgrade
        await eventually(lambda: crm.services["complaints"].store.find_customer(customer_id))
        complaint_id = (await crm.gateway.data(FILE, {"input": {
            "customerId": customer_id, "kind": "PRODUCT_QUALITY", "description": "轴承表面有裂纹",
            "invoiceIds": [invoice_id], "reason": "待检测", "plan": "取样送检",
            "expectedResolutionAt": (START + timedelta(days=5)).isoformat()}}))["fileComplaint"]["id"]
        await eventually(excused)  # complaint.filed crossed the bus: the invoice is disputed

        for mutation, variables in STEPS:
            await crm.gateway.data(mutation, {"id": complaint_id, **variables})

        async def counts_again() -> bool:
            return not await excused()

        await eventually(counts_again)  # complaint.resolved crossed the bus: the dispute is over

        async def told_on_the_card() -> bool:
            card = await crm.gateway.data(TIMELINE, {"id": customer_id})
            return [entry["dealing"] for entry in card["customer"]["timeline"]] == [
                "COMPLAINT_RESOLVED", "COMPLAINT_FILED"]

        await eventually(told_on_the_card)  # and the customer's history tells of both


HANDOVER = """mutation($who: ID!) { startHandover(salespersonId: $who) { id } }"""
RECORD = """mutation($case: ID!, $input: HandoverItemInput!) { recordHandoverItem(caseId: $case, input: $input) {
  items { customerId receivablesFen complete } } }"""


async def test_own_7_a_handover_states_what_each_customer_owes_as_credits_ledger_says(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    leaver = token("SALES", user=f"leaver-{unique}", region="east")
    manager = token("REGION_MANAGER", user="rm-east", region="east")
    async with federation(mongo_url, amqp_url, unique, default_token=leaver) as crm:
        credit, ownership = crm.services["credit"], crm.services["ownership"]
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        await eventually(lambda: credit.store.profiles.count_documents({"_id": customer_id}))
        await credit.deliver(an_invoice(customer_id, f"INV-H-{unique}", days_ago=10))  # 20,000.00 CNY

        async def ownership_knows() -> bool:
            return (await ownership.store.receivables_of([customer_id]))[customer_id] == 2_000_000

        await eventually(ownership_knows)  # credit.receivables_changed crossed the bus
        case_id = (await crm.gateway.data(HANDOVER, {"who": f"leaver-{unique}"}, as_token=manager))[
            "startHandover"]["id"]
        recorded = await crm.gateway.data(RECORD, {"case": case_id, "input": {
            "customerId": customer_id, "toPool": True, "summary": "在谈, 王经理"}}, as_token=manager)
        assert recorded["recordHandoverItem"]["items"] == [
            {"customerId": customer_id, "receivablesFen": 2_000_000, "complete": True}]


SAVE_STAFF = """mutation($input: StaffMemberInput!) { saveStaffMember(input: $input) { id version } }"""


async def test_cmp_4_an_overdue_complaint_goes_to_the_regional_manager_the_staff_directory_names(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    admin = token("ADMIN", user="admin", region=None)
    async with federation(mongo_url, amqp_url, unique, default_token=REP) as crm:
        desk = crm.services["complaints"]
        await crm.gateway.data(SAVE_STAFF, {"input": {"id": f"rm-{unique}", "name": "东区经理",
                                                      "roles": ["REGION_MANAGER"], "region": "east"}},
                               as_token=admin)
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        await eventually(lambda: desk.store.find_customer(customer_id))
        await eventually(lambda: desk.store.directory.version(f"rm-{unique}"))  # staff.changed crossed the bus
        complaint_id = (await crm.gateway.data(FILE, {"input": {
            "customerId": customer_id, "kind": "SERVICE", "description": "电话没人接", "reason": "人手不足",
            "plan": "回电", "expectedResolutionAt": (START + timedelta(days=3)).isoformat()}}))["fileComplaint"]["id"]
        crm.clock.advance(timedelta(days=5))  # past the acknowledgement deadline
        assert await sweep_deadlines(desk) >= 1
        shown = await crm.gateway.data("query($id: ID!) { complaint(id: $id) { escalatedTo } }",
                                       {"id": complaint_id})
        assert shown["complaint"]["escalatedTo"] == [f"rm-{unique}"]  # the rep has no manager on record


async def test_crd_3_a_credit_alert_names_the_finance_people_the_staff_directory_names(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    admin = token("ADMIN", user="admin", region=None)
    async with federation(mongo_url, amqp_url, unique, default_token=REP) as crm:
        credit = crm.services["credit"]
        await crm.gateway.data(SAVE_STAFF, {"input": {"id": f"fin-{unique}", "name": "出纳", "roles": ["FINANCE"]}},
                               as_token=admin)
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        await eventually(lambda: credit.store.profiles.count_documents({"_id": customer_id}))
        await eventually(lambda: credit.store.directory.version(f"fin-{unique}"))  # staff.changed crossed the bus
        enrolled = await eventually(lambda: credit.store.directory.person("rep-links"))  # OWN-1 enrolment told
        assert (enrolled.roles, enrolled.region, enrolled.department) == (("SALES",), "east", "SALES")

        await credit.deliver(an_invoice(customer_id, f"INV-A-{unique}", days_ago=1))  # cash only: every level
        alerts = (await credit.store.alerts_of([customer_id]))[customer_id]
        assert all(f"fin-{unique}" in a.alert.recipients and "FINANCE" not in a.alert.recipients for a in alerts)
        assert len(alerts) == 3


async def test_cus_8_credit_is_refused_until_the_start_of_trading_survey_is_approved_in_the_archive(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    async with federation(mongo_url, amqp_url, unique, default_token=REP) as crm:
        credit = crm.services["credit"]
        customer_id = (await crm.gateway.data(REGISTER))["registerCustomer"]["id"]
        await eventually(lambda: credit.store.profiles.count_documents({"_id": customer_id}))
        request = {"input": {"customerId": customer_id, "limitFen": 1_000_000, "rating": "B", "termDays": 30,
                             "justification": "首批订单"}}
        refused = await crm.gateway(REQUEST, request)
        assert [e["extensions"].get("rule") for e in refused["errors"]] == ["CUS-8"]

        await open_trading(crm, customer_id, REP)  # survey approved in customer; customer.updated crossed the bus
        asked = (await crm.gateway.data(REQUEST, request))["requestCreditChange"]
        assert asked["status"] == "PENDING"
