"""The card's timeline: the complaints other services tell of (complaint.filed / .resolved / .reopened),
beside the card's own versions, shown with the full card only."""

import uuid
from datetime import timedelta
from typing import Any

from contracts.complaints import ComplaintFiled, ComplaintReopened, ComplaintResolved
from contracts.envelope import Envelope
from tests.customer.conftest import CustomerHarness
from tests.customer.test_access import ALICE, BOB, register_as
from tests.support import START

TIMELINE = """query($id: ID!) { customer(id: $id) { version timeline { dealing at complaintId summary } } }"""


def told(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "complaints", "type": event_type,
            "time": START.isoformat(), "subject": data["customerId"], "datacontenttype": "application/json",
            "data": data}


async def test_cus_7_a_customers_complaints_reach_its_timeline_once_each_beside_the_card_versions(
        archive: CustomerHarness) -> None:
    card = await register_as(archive, ALICE, "投诉客户")
    deliver, at = archive.service.deliver, START + timedelta(days=1)
    filed = told("complaint.filed", {"complaintId": "cp-1", "customerId": card["id"], "kind": "PRODUCT_QUALITY",
                                     "severity": "HIGH", "firstResponderId": "alice", "filedAt": at.isoformat(),
                                     "reference": "CP000001", "product": "轴承"})
    await deliver(Envelope[ComplaintFiled].model_validate(filed))
    await deliver(Envelope[ComplaintFiled].model_validate(filed | {"id": str(uuid.uuid4())}))  # told again
    await deliver(Envelope[ComplaintResolved].model_validate(told("complaint.resolved", {
        "complaintId": "cp-1", "customerId": card["id"], "responsibility": "COMPANY", "kind": "PRODUCT_QUALITY",
        "remedy": "REPLACEMENT", "resolvedAt": (at + timedelta(days=3)).isoformat()})))
    await deliver(Envelope[ComplaintReopened].model_validate(told("complaint.reopened", {
        "complaintId": "cp-1", "customerId": card["id"], "kind": "PRODUCT_QUALITY", "reason": "换货仍有裂纹",
        "reopenedBy": "alice", "reopenedAt": (at + timedelta(days=5)).isoformat()})))

    shown = (await archive.gql.data(TIMELINE, {"id": card["id"]}, as_token=ALICE))["customer"]
    assert [(e["dealing"], e["complaintId"], e["summary"]) for e in shown["timeline"]] == [
        ("COMPLAINT_REOPENED", "cp-1", "PRODUCT_QUALITY reopened"),
        ("COMPLAINT_RESOLVED", "cp-1", "PRODUCT_QUALITY responsibility COMPANY remedy REPLACEMENT"),
        ("COMPLAINT_FILED", "cp-1", "CP000001 PRODUCT_QUALITY (HIGH) 轴承")]
    assert shown["version"] == card["version"]  # no card version: an edit in progress does not conflict
    other = (await archive.gql.data(TIMELINE, {"id": card["id"]}, as_token=BOB))["customer"]
    assert other["timeline"] == []  # another salesperson sees the public part only (CUS-9)
