"""The credit service on real Mongo wire protocol and real RabbitMQ, at a fixed time, with builders
for what outsiders put on the wire (the contracts' camelCase JSON)."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from chassis.clock import FixedClock
from contracts import EVENT_TYPES, Envelope
from services.credit.app import create_app
from services.credit.handlers import CreditService
from services.credit.settings import CreditSettings
from tests.support import START, GraphQL, delete_services, serving, settings_for, token

REGION = "east"
SALES = token("SALES", user="rep-1", region=REGION)
REGION_MANAGER = token("REGION_MANAGER", user="rm-east", region=REGION)
SALES_MANAGER = token("SALES_MANAGER", user="sm-1", region=None)
FINANCE = token("FINANCE", user="fin-1", region=None)
GENERAL_MANAGER = token("GENERAL_MANAGER", user="gm-1", region=None)
CHAIN = [REGION_MANAGER, SALES_MANAGER, FINANCE, GENERAL_MANAGER]

PROFILE = """query($id: ID!) { creditProfile(customerId: $id) { customerId rating limitFen termDays exposureFen
  receivablesFen notesFen creditBalanceFen availableFen utilization onHold status salespersonId version
  alerts { level at recipients } receivables { invoiceId balanceFen daysOverdue } } }"""
REQUEST = """mutation($input: CreditChangeInput!) { requestCreditChange(input: $input) {
  id status step expectedRole requested { rating limitFen termDays } calculation { method limitFen explanation } } }"""
DECIDE = """mutation($id: ID!, $approve: Boolean!, $comment: String, $proposal: CreditTermsInput) {
  decideCreditRequest(id: $id, approve: $approve, comment: $comment, proposal: $proposal) {
    id status step expectedRole history { step role by decision comment } } }"""


@dataclass
class CreditHarness:
    gql: GraphQL
    clock: FixedClock
    app: FastAPI
    amqp_url: str
    instance: str

    @property
    def service(self) -> CreditService:
        return self.app.state.crm["service"]

    async def deliver(self, envelope: dict[str, Any]) -> None:
        """Hands one outsider's event to the service's consumer, as the bus would (inbox, commit, retries)."""
        event_type = EVENT_TYPES[envelope["type"]]
        await self.service.deliver(Envelope[event_type].model_validate(envelope))

    async def profile(self, customer_id: str) -> dict[str, Any]:
        """The profile as finance sees it (every customer's)."""
        return (await self.gql.data(PROFILE, {"id": customer_id}, as_token=FINANCE))["creditProfile"]

    async def register(self, customer_id: str | None = None, *, region: str | None = REGION,
                       by: str = "rep-1", trading: bool = True) -> str:
        """A customer the archive registered and (`trading`) whose start-of-trading survey it approved (CUS-8)."""
        customer_id = customer_id or f"cust-{uuid.uuid4().hex[:8]}"
        await self.deliver(registered(customer_id, region=region, by=by))
        if trading:
            await self.deliver(customer_updated(customer_id, region=region, version=2))
        return customer_id

    async def grant(self, customer_id: str, limit_fen: int, *, rating: str = "B", term_days: int = 30,
                    region: str = REGION) -> str:
        """CRD-7 the whole chain, as the people in it would click: the region's assistant applies (access.md:
        the owner, a region role of the region or a manager may), its regional manager reviews first."""
        assistant = token("REGION_ASSISTANT", user=f"ra-{region}", region=region)
        asked = await self.gql.data(REQUEST, {"input": {"customerId": customer_id, "limitFen": limit_fen,
                                                        "rating": rating, "termDays": term_days,
                                                        "justification": "steady buyer"}}, as_token=assistant)
        request_id = asked["requestCreditChange"]["id"]
        regional = token("REGION_MANAGER", user=f"rm-{region}", region=region)
        for step_token in [regional, *CHAIN[1:]]:
            await self.gql.data(DECIDE, {"id": request_id, "approve": True}, as_token=step_token)
        return request_id


@pytest.fixture
async def credit(mongo_url: str, amqp_url: str, unique: str) -> AsyncIterator[CreditHarness]:
    clock = FixedClock(START)
    app = create_app(settings_for(mongo_url, amqp_url, unique), clock=clock,
                     service_settings=CreditSettings(review_every_s=3600))
    async with serving(app, SALES) as gql:
        yield CreditHarness(gql, clock, app, amqp_url, unique)
    await delete_services(amqp_url, f"credit.{unique}")


# -- what outsiders put on the wire -----------------------------------------------------------------------


def envelope(event_type: str, data: dict[str, Any], *, at: datetime = START, subject: str | None = None,
             envelope_id: str | None = None) -> dict[str, Any]:
    return {"specversion": "1.0", "id": envelope_id or f"{event_type}-{uuid.uuid4()}", "source": "erp",
            "type": event_type, "time": at.isoformat(), "subject": subject or data.get("customerId"),
            "datacontenttype": "application/json", "data": data}


def registered(customer_id: str, *, region: str | None = REGION, by: str = "rep-1") -> dict[str, Any]:
    return envelope("customer.registered", {
        "customerId": customer_id, "code": "C000001", "name": "华东机电有限公司", "kind": "COMPANY",
        "nature": "ORDINARY_COMPANY", "region": region, "registeredBy": by, "registeredAt": START.isoformat()})


def customer_updated(customer_id: str, *, region: str | None, version: int = 2, trading_open: bool = True
                     ) -> dict[str, Any]:
    return envelope("customer.updated", {
        "customerId": customer_id, "version": version, "changedFields": ["region"], "updatedBy": "assistant-1",
        "updatedAt": START.isoformat(), "region": region, "lifecycle": "POTENTIAL", "tradingOpen": trading_open})


def owner_changed(customer_id: str, owner: str | None, *, at: datetime = START) -> dict[str, Any]:
    return envelope("ownership.changed", {"customerId": customer_id, "previousOwnerId": None, "ownerId": owner,
                                          "basis": "FIRST_CONTACT", "region": REGION, "changedAt": at.isoformat()})


def invoice(customer_id: str, invoice_id: str, amount_fen: int, *, issued: datetime = START,
            erp_term_days: int = 30, salesperson: str | None = None, **overrides: Any) -> dict[str, Any]:
    """`erp_term_days`: the due date ERP prints (credit follows the approved term instead, CRD-5)."""
    return envelope("invoice.issued", {
        "invoiceId": invoice_id, "customerId": customer_id, "amountFen": amount_fen, "issuedAt": issued.isoformat(),
        "dueAt": (issued + timedelta(days=erp_term_days)).isoformat(), "salespersonId": salesperson, **overrides})


def payment(customer_id: str, payment_id: str, amount_fen: int, *, received: datetime = START,
            invoices: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    return envelope("payment.received", {
        "paymentId": payment_id, "customerId": customer_id, "amountFen": amount_fen,
        "receivedAt": received.isoformat(), "invoiceIds": invoices, **overrides})


def note(customer_id: str, note_id: str, amount_fen: int, *, matures: datetime | None = None) -> dict[str, Any]:
    return envelope("note.received", {"noteId": note_id, "customerId": customer_id, "amountFen": amount_fen,
                                      "maturesAt": (matures or START + timedelta(days=90)).isoformat()})


def note_settled(note_id: str, customer_id: str | None = None) -> dict[str, Any]:
    """`customer_id`: what ERP may send along (CRD-11); credit finds the note's customer without it."""
    return envelope("note.settled", {"noteId": note_id, "customerId": customer_id}, subject=customer_id)


def note_dishonoured(note_id: str, customer_id: str | None = None) -> dict[str, Any]:
    return envelope("note.dishonoured", {"noteId": note_id, "customerId": customer_id}, subject=customer_id)


def again(event: dict[str, Any]) -> dict[str, Any]:
    """The same event re-sent under another envelope id (a publisher retrying after a lost confirm)."""
    return {**event, "id": f"{event['id']}-resent"}
