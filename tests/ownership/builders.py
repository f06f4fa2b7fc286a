"""What the ownership tests are made of: events as other services put them on the wire, the GraphQL
operations a frontend sends, and a few steps that read like the domain."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from contracts import EVENT_TYPES
from contracts.envelope import Envelope
from tests.ownership.conftest import OwnershipHarness
from tests.support import START, token

ADMIN = token("ADMIN", user="admin-1", region=None)
EAST_MANAGER = token("REGION_MANAGER", user="manager-east", region="east")
WEST_MANAGER = token("REGION_MANAGER", user="manager-west", region="west")
SALES_MANAGER = token("SALES_MANAGER", user="sales-manager", region=None)

OWNERSHIP_FIELDS = """customerId ownerId basis since expiresAt inPool poolReason region version
  pendingReport { situation }
  history { from to basis when by reason note receivablesFen report { situation contacts progress by } }"""
OWNERSHIP = f"query($id: ID!) {{ ownership(customerId: $id) {{ {OWNERSHIP_FIELDS} }} }}"
CLAIM = f"mutation($id: ID!) {{ claimCustomer(customerId: $id) {{ {OWNERSHIP_FIELDS} }} }}"
RELEASE = f"""mutation($id: ID!, $report: ReleaseReportInput!) {{
  releaseCustomer(customerId: $id, report: $report) {{ {OWNERSHIP_FIELDS} }} }}"""
FILE_REPORT = f"""mutation($id: ID!, $report: ReleaseReportInput!) {{
  fileReturnReport(customerId: $id, report: $report) {{ {OWNERSHIP_FIELDS} }} }}"""
ASSIGN = f"""mutation($id: ID!, $to: ID!) {{ assignCustomer(customerId: $id, salespersonId: $to) {{
  {OWNERSHIP_FIELDS} }} }}"""
REFER = f"""mutation($id: ID!, $to: ID!, $note: String) {{ referCustomer(customerId: $id, salespersonId: $to,
  note: $note) {{ {OWNERSHIP_FIELDS} }} }}"""
SAVE_SALESPERSON = """mutation($input: SalespersonInput!) { saveSalesperson(input: $input) {
  id name region capacityWeight active version } }"""
SALESPERSON = """query($id: ID!) { salesperson(id: $id) { id active ownedCount loadRatio commissionHold
  recordComplete missingReports { customerId lapsedAt reason } customers { id } } }"""
POOL = """query($filter: PoolFilter, $first: Int, $after: String) {
  pool(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id ownership { inPool poolReason } } } pageInfo { endCursor hasNextPage } totalCount } }"""
A_REPORT = {"situation": "busy season, no budget until autumn", "contacts": "王经理 13800138000",
            "progress": "two visits, one quote"}


def sales(user: str, region: str | None = "east") -> str:
    return token("SALES", user=user, region=region)


def envelope(event_type: str, customer_id: str | None, at: datetime, data: dict[str, Any],
             source: str = "erp") -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"{source}-{uuid.uuid4()}", "source": source, "type": event_type,
            "time": at.isoformat(), "subject": customer_id, "datacontenttype": "application/json", "data": data}


def owes(customer_id: str, receivables_fen: int, *, seq: int = 1, at: datetime = START) -> dict[str, Any]:
    """What credit publishes when a customer's receivables change (OWN-7/8 take their figures from it)."""
    return envelope("credit.receivables_changed", customer_id, at, {
        "customerId": customer_id, "receivablesFen": receivables_fen, "seq": seq, "changedAt": at.isoformat()},
        source="credit")


def a_registration(customer_id: str, by: str, *, region: str | None = "east", at: datetime = START
                   ) -> dict[str, Any]:
    """customer.registered as the customer service publishes it (contracts/customer.py)."""
    return envelope("customer.registered", customer_id, at, {
        "customerId": customer_id, "code": "C000001", "name": "上海东方贸易有限公司", "kind": "COMPANY",
        "nature": "ORDINARY_COMPANY", "region": region, "registeredBy": by, "registeredAt": at.isoformat()},
        source="crm/customer")


def a_payment(customer_id: str, salesperson_id: str | None = None, *, at: datetime = START,
              amount_fen: int = 500_000) -> dict[str, Any]:
    """payment.received as finance publishes it: confirmed receipt."""
    data = {"paymentId": f"PAY-{uuid.uuid4().hex[:8]}", "customerId": customer_id, "amountFen": amount_fen,
            "receivedAt": at.isoformat()}
    return envelope("payment.received", customer_id, at, data | ({"salespersonId": salesperson_id}
                                                                 if salesperson_id else {}))


def an_invoice(customer_id: str, *, at: datetime = START) -> dict[str, Any]:
    return envelope("invoice.issued", customer_id, at, {
        "invoiceId": f"INV-{uuid.uuid4().hex[:8]}", "customerId": customer_id, "amountFen": 1_000_000,
        "issuedAt": at.isoformat(), "dueAt": (at + timedelta(days=30)).isoformat()})


def an_update(customer_id: str, region: str | None, *, at: datetime = START, version: int = 2) -> dict[str, Any]:
    return envelope("customer.updated", customer_id, at, {
        "customerId": customer_id, "version": version, "changedFields": ["region"], "updatedBy": "assistant",
        "updatedAt": at.isoformat(), "region": region, "lifecycle": "POTENTIAL"}, source="crm/customer")


def a_termination(customer_id: str, *, at: datetime = START) -> dict[str, Any]:
    return envelope("customer.terminated", customer_id, at, {
        "customerId": customer_id, "reason": "TERMINATION", "terminatedBy": "manager", "terminatedAt": at.isoformat()},
        source="crm/customer")


async def deliver(harness: OwnershipHarness, *envelopes: dict[str, Any]) -> None:
    """Hands each event to the service's consumer exactly as the bus does (inbox, commit), minus the broker."""
    for body in envelopes:
        event_type = EVENT_TYPES[body["type"]]
        handle = harness.service.deliver
        await handle(Envelope[event_type].model_validate(body))


async def add_salespeople(harness: OwnershipHarness, *ids: str, region: str = "east",
                          capacity: float = 1.0) -> None:
    for salesperson_id in ids:
        await harness.gql.data(SAVE_SALESPERSON, {"input": {
            "id": salesperson_id, "name": salesperson_id.title(), "region": region, "capacityWeight": capacity}},
            as_token=ADMIN)


async def ownership_of(harness: OwnershipHarness, customer_id: str) -> dict[str, Any]:
    """As the sales manager sees it (reports and notes are need-to-know)."""
    return (await harness.gql.data(OWNERSHIP, {"id": customer_id}, as_token=SALES_MANAGER))["ownership"]


async def salesperson(harness: OwnershipHarness, salesperson_id: str) -> dict[str, Any]:
    """The record as the sales manager sees it (commission and missing reports are need-to-know)."""
    return (await harness.gql.data(SALESPERSON, {"id": salesperson_id}, as_token=SALES_MANAGER))["salesperson"]


async def owned_by_first_contact(harness: OwnershipHarness, customer_id: str, salesperson_id: str,
                                 at: datetime = START) -> None:
    """A salesperson on record registers the customer (OWN-1)."""
    if not await salesperson(harness, salesperson_id):
        await add_salespeople(harness, salesperson_id)
    await deliver(harness, a_registration(customer_id, salesperson_id, at=at))


async def in_the_pool(harness: OwnershipHarness, customer_id: str, region: str | None = "east") -> None:
    """An assistant registers the customer: nobody owns it (OWN-1), it waits in the pool."""
    await deliver(harness, a_registration(customer_id, "assistant-1", region=region))


def days(n: int) -> timedelta:
    return timedelta(days=n)
