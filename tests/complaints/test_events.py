"""What the complaints desk hears (customer.registered) and says (complaint.filed / resolved)."""

import asyncio
import json

from contracts.customer import CustomerRegistered
from contracts.envelope import Envelope
from tests.complaints.conftest import ComplaintsHarness, customer_registered
from tests.complaints.test_flow import CLOSE, FILE, PROPOSE, REOPEN, RESOLVE, SERVICE_DESK, file, found, step
from tests.support import START, error_codes, eventually, listening, publish_as_outsider


def test_the_customer_services_registration_json_parses_into_what_complaints_consumes() -> None:
    """Contract: the producer's JSON (camelCase, CloudEvents) is the consumer's model."""
    wire = json.dumps(customer_registered("cust-9", region="north")).encode()

    envelope = Envelope[CustomerRegistered].model_validate_json(wire)

    assert (envelope.data.customer_id, envelope.data.region, envelope.data.code) == ("cust-9", "north", "C000042")
    produced = Envelope.wrap(envelope.data, source="customer", time=START).to_json()  # as the customer outbox does
    assert Envelope[CustomerRegistered].model_validate_json(produced).data == envelope.data


async def test_a_customer_registered_on_the_bus_may_then_complain(desk: ComplaintsHarness, amqp_url: str) -> None:
    event = customer_registered(region="south")
    customer_id = event["data"]["customerId"]
    complaint = {"customerId": customer_id, "kind": "SERVICE", "description": "送货司机态度差"}
    assert error_codes(await desk.gql(FILE, {"input": complaint})) == ["NOT_FOUND"]  # not heard of yet

    await publish_as_outsider(amqp_url, event, "customer.registered")

    async def filed() -> dict | None:
        answer = await desk.gql(FILE, {"input": complaint})
        return None if answer.get("errors") else answer["data"]["fileComplaint"]

    created = await eventually(filed)
    region = """query($id: ID!) { complaint(id: $id) { region } }"""
    assert (await desk.gql.data(region, {"id": created["id"]}))["complaint"]["region"] == "south"


async def test_the_same_customer_registered_event_twice_changes_nothing_the_second_time(
        desk: ComplaintsHarness) -> None:
    envelope = Envelope[CustomerRegistered].model_validate(customer_registered(region="east"))
    handle = desk.service.deliver
    customers = desk.service.store.customers

    await handle(envelope)
    before = await customers.find({}).to_list(None)
    await handle(envelope)
    await asyncio.gather(handle(envelope), handle(envelope))

    assert await customers.find({}).to_list(None) == before
    assert await desk.app.state.crm["service"].database.inbox.count_documents({"_id": envelope.id}) == 1


async def test_filed_and_resolved_are_published_after_commit(desk: ComplaintsHarness, amqp_url: str) -> None:
    async with listening(amqp_url, "complaint.filed", "complaint.resolved") as received:
        complaint = await found(desk, responsibility="COMPANY")
        await step(desk, PROPOSE, complaint["id"], input={"remedy": "MONEY", "amountFen": 88_000, "noReplacementAvailable": True},
                   as_token=SERVICE_DESK)
        await step(desk, RESOLVE, complaint["id"])

        async def both() -> list[dict] | None:
            mine = [e for e in received if e["data"]["complaintId"] == complaint["id"]]
            return mine if len(mine) == 2 else None

        filed, resolved = sorted(await eventually(both), key=lambda e: e["type"])
    assert filed["type"] == "complaint.filed" and filed["subject"] == complaint["customerId"]
    assert (filed["data"]["firstResponderId"], filed["data"]["kind"], filed["data"]["reference"]) == (
        "u1", "PRODUCT_QUALITY", complaint["reference"])
    assert resolved["type"] == "complaint.resolved"
    assert (resolved["data"]["responsibility"], resolved["data"]["remedy"], resolved["data"]["amountFen"]) == (
        "COMPANY", "MONEY", 88_000)


async def test_closing_on_the_finding_alone_resolves_and_reopening_is_published(
        desk: ComplaintsHarness, amqp_url: str) -> None:
    meeting = {"heldAt": START.isoformat(), "parties": ["CUSTOMER", "PROCESSING_PLANT"]}
    async with listening(amqp_url, "complaint.resolved", "complaint.reopened") as received:
        complaint = await found(desk, responsibility="CUSTOMER", summary="客户仓库受潮", meeting=meeting)
        await step(desk, CLOSE, complaint["id"])
        await step(desk, REOPEN, complaint["id"], reason="客户不认可结论")

        async def both() -> list[dict] | None:
            mine = [e for e in received if e["data"]["complaintId"] == complaint["id"]]
            return mine if len(mine) == 2 else None

        reopened, resolved = sorted(await eventually(both), key=lambda e: e["type"])
    assert (resolved["data"]["responsibility"], resolved["data"]["remedy"]) == ("CUSTOMER", None)
    assert (reopened["type"], reopened["data"]["reason"], reopened["data"]["reopenedBy"]) == (
        "complaint.reopened", "客户不认可结论", "u1")


async def test_a_refused_filing_publishes_nothing(desk: ComplaintsHarness) -> None:
    customer_id = await desk.a_customer()
    answer = await desk.gql(FILE, {"input": {"customerId": customer_id, "kind": "SERVICE", "description": " "}})

    assert error_codes(answer) == ["VALIDATION"] and answer["errors"][0]["extensions"]["field"] == "description"
    assert await desk.outbox.count_documents({"type": "complaint.filed"}) == 0
    assert await file(desk, customer_id)  # the customer is fine; only that filing was refused
