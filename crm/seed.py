"""Demo data for `crm dev`, seeded once, through the same use cases and events as real work:
salespeople, customers (their registration reaches every service over the bus), one credit limit
taken through the whole approval chain, and ERP invoices and a payment published on the bus.
Every step is a command run like any other (`Service.run`: again on a version conflict, as when an
event about the same customer is being consumed at that moment)."""

import asyncio
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from chassis.auth import Principal, Role
from chassis.bus import Bus
from chassis.errors import NotFound
from contracts.envelope import Envelope, Event
from contracts.sales import InvoiceIssued, PaymentReceived
from services.credit.approval import Terms
from services.credit.domain import CreditRating
from services.credit.handlers import (
    DecideCreditRequest,
    RequestCreditChange,
    decide_credit_request,
    request_credit_change,
)
from services.customer.domain import (
    CompanyCard,
    CompanyType,
    Contact,
    CustomerKind,
    CustomerNature,
    MarketPosition,
    PersonCard,
)
from services.customer.handlers import decide_trading_survey, register_customer, submit_trading_survey
from services.customer.identity import credit_code_check_char
from services.customer.store import CustomerFilter
from services.ownership.domain import Salesperson
from services.ownership.handlers import save_salesperson

YUAN = 100  # fen


def _credit_code(serial: int) -> str:
    first17 = f"91310000MA1K{serial:05d}"
    return first17 + credit_code_check_char(first17)


SALESPEOPLE = [
    Salesperson("demo-sales-east", "王小明", "east", capacity_weight=1.5),
    Salesperson("demo-sales-north", "李强", "north"),
    Salesperson("demo-sales-south", "陈芳", "south"),
]
COMPANY, PERSON = CustomerKind.COMPANY, CustomerKind.INDIVIDUAL

# (registered by, card, invoiced yuan)
DEMO: list[tuple[str, dict[str, Any], int]] = [
    ("demo-sales-east", dict(
        name="上海东方贸易有限公司", kind=COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region="east",
        phone="021-6888 0101", credit_code=_credit_code(1), market_position=MarketPosition.KEY,
        address="上海市浦东新区世纪大道 100 号",
        contacts=(Contact("王敏", "采购经理", "13800138001", "wangmin@example.cn"),),
        company=CompanyCard(legal_representative="陈东", company_type=CompanyType.PRIVATE,
                            registered_capital_fen=5_000_000 * YUAN, payment_terms="月结 30 天")), 85_000),
    ("demo-sales-east", dict(
        name="杭州西湖电子有限公司", kind=COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region="east",
        phone="0571-8777 0202", credit_code=_credit_code(2), market_position=MarketPosition.GENERAL,
        contacts=(Contact("李娜", "总经理", "13900139002"),)), 12_500),
    ("demo-sales-north", dict(
        name="北京市政设施管理处", kind=COMPANY, nature=CustomerNature.GOVERNMENT, region="north",
        phone="010-6555 0303"), 0),
    ("demo-sales-south", dict(
        name="Acme Trading (Shenzhen) Co., Ltd.", kind=COMPANY, nature=CustomerNature.PARTNER, region="south",
        phone="0755-2666 0404", credit_code=_credit_code(4),
        company=CompanyCard(company_type=CompanyType.FOREIGN, export_sales=True)), 0),
    ("demo-admin", dict(
        name="张伟", kind=PERSON, nature=CustomerNature.INDIVIDUAL, region="east", phone="13700137005",
        person=PersonCard(occupation="个体经营", preferred_payment_method="转账")), 0),  # registered by admin: pool
]

ADMIN = Principal("demo-admin", "Demo Admin", frozenset({Role.ADMIN}))
# CRD-7: who decides each step of the demo limit's approval.
CHAIN = [
    Principal("demo-manager-east", "区域经理", frozenset({Role.REGION_MANAGER}), "east"),
    Principal("demo-sales-manager", "销售部经理", frozenset({Role.SALES_MANAGER})),
    Principal("demo-finance", "财务部", frozenset({Role.FINANCE})),
    Principal("demo-gm", "总经理", frozenset({Role.GENERAL_MANAGER})),
]


async def seed_once(services: dict[str, Any], bus: Bus) -> int:
    """Seeds unless the archive has customers already; returns how many customers were added.
    `services`: each service's wired object (`uow()`, `clock`), by name."""
    customers, credit, ownership = services["customer"], services["credit"], services["ownership"]
    if (await customers.store.search(CustomerFilter(), [{}], 1, None))[0]:
        return 0
    for salesperson in SALESPEOPLE:
        await ownership.run(partial(save_salesperson, salesperson, ADMIN))
    registered = [(await customers.run(partial(register_customer, card, _registrant(by))), by, yuan)
                  for by, card, yuan in DEMO]

    key_account = registered[0][0]
    await _open_trading(customers, key_account.id, registered[0][1])
    await _when_known(lambda: _trading_known(credit, key_account.id))  # the approval travels by the bus
    await _approve_limit(credit, key_account.id, limit_fen=100_000 * YUAN)

    now = customers.clock.now()
    for i, (customer, salesperson, yuan) in enumerate(registered):
        if yuan:
            await _publish(bus, InvoiceIssued(
                invoice_id=f"DEMO-INV-{i}", customer_id=customer.id, amount_fen=yuan * YUAN,
                issued_at=now - timedelta(days=40 - 10 * i), due_at=now - timedelta(days=10 - 10 * i),
                salesperson_id=salesperson), now)
    await _publish(bus, PaymentReceived(
        payment_id="DEMO-PAY-1", customer_id=registered[1][0].id, amount_fen=5_000 * YUAN, received_at=now,
        salesperson_id=registered[1][1]), now)
    return len(registered)


def _registrant(user_id: str) -> Principal:
    """Who registers a demo card: a salesperson of the roster, or the admin."""
    seller = next((s for s in SALESPEOPLE if s.id == user_id), None)
    return Principal(seller.id, seller.name, frozenset({Role.SALES}), seller.region) if seller else ADMIN


async def _open_trading(customers: Any, customer_id: str, writer: str) -> None:
    """CUS-8: the salesperson writes the start-of-trading survey, the unit head and the general manager approve."""
    written = await customers.run(partial(submit_trading_survey, customer_id, 1, "资信良好, 年采购约 120 万",
                                          _registrant(writer)))
    version = written.version
    for person in (CHAIN[0], CHAIN[3]):  # the regional manager, then the general manager
        version = (await customers.run(partial(decide_trading_survey, customer_id, version, True, "同意",
                                               person))).version


async def _trading_known(credit: Any, customer_id: str) -> bool:
    if not (await credit.store.get(customer_id)).trading_open:
        raise NotFound(f"credit has not heard that trading with {customer_id} is open")
    return True


async def _approve_limit(credit: Any, customer_id: str, *, limit_fen: int) -> None:
    applied = RequestCreditChange(customer_id, Terms(CreditRating.B, limit_fen, 30), "年采购约 120 万, 付款记录良好",
                                  _registrant("demo-sales-east"))
    request = await credit.run(partial(request_credit_change, applied))
    for person in CHAIN:
        await credit.run(partial(decide_credit_request, DecideCreditRequest(request.id, True, "同意", person)))


async def _publish(bus: Bus, event: Event, now: datetime) -> None:
    """As finance / ERP would: a CloudEvent on the bus (the in-process one, or RabbitMQ)."""
    envelope = Envelope.wrap(event, source="demo-erp", time=now)
    await bus.publish(envelope.to_json(), event_type=event.type, message_id=envelope.id)


async def _when_known(read: Any, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                return await read()
            except NotFound:
                await asyncio.sleep(0.05)
