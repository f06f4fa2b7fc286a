"""Demo data for `crm dev`: a handful of customers a sales rep would recognise, seeded once."""

from datetime import timedelta

from contracts.sales import InvoiceIssued
from services.customer.app import CustomerService
from services.customer.domain import (
    CompanyCard,
    CompanyType,
    Contact,
    CustomerKind,
    CustomerNature,
    MarketPosition,
    PersonCard,
    credit_code_check_char,
)
from services.customer.handlers import on_invoice_issued, register_customer
from services.customer.store import CustomerFilter


def _credit_code(serial: int) -> str:
    first17 = f"91310000MA1K{serial:05d}"
    return first17 + credit_code_check_char(first17)


COMPANY, PERSON = CustomerKind.COMPANY, CustomerKind.INDIVIDUAL

# (registered by, card, has bought)
DEMO = [
    ("demo-sales-east", dict(
        name="上海东方贸易有限公司", kind=COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region="east",
        phone="021-6888 0101", credit_code=_credit_code(1), market_position=MarketPosition.KEY,
        address="上海市浦东新区世纪大道 100 号",
        contacts=(Contact("王敏", "采购经理", "13800138001", "wangmin@example.cn"),),
        company=CompanyCard(legal_representative="陈东", company_type=CompanyType.PRIVATE,
                            registered_capital_fen=500_000_000, payment_terms="月结 30 天")), True),
    ("demo-sales-east", dict(
        name="杭州西湖电子有限公司", kind=COMPANY, nature=CustomerNature.ORDINARY_COMPANY, region="east",
        phone="0571-8777 0202", credit_code=_credit_code(2), market_position=MarketPosition.GENERAL,
        contacts=(Contact("李娜", "总经理", "13900139002"),)), True),
    ("demo-sales-north", dict(
        name="北京市政设施管理处", kind=COMPANY, nature=CustomerNature.GOVERNMENT, region="north",
        phone="010-6555 0303"), False),
    ("demo-sales-south", dict(
        name="Acme Trading (Shenzhen) Co., Ltd.", kind=COMPANY, nature=CustomerNature.PARTNER, region="south",
        phone="0755-2666 0404", credit_code=_credit_code(4),
        company=CompanyCard(company_type=CompanyType.FOREIGN, export_sales=True)), False),
    ("demo-sales-east", dict(
        name="张伟", kind=PERSON, nature=CustomerNature.INDIVIDUAL, region="east", phone="13700137005",
        person=PersonCard(occupation="个体经营", preferred_payment_method="转账")), False),
]


async def seed_once(service: CustomerService) -> int:
    """Registers the demo customers unless the archive already has any; returns how many were added."""
    if (await service.store.search(CustomerFilter(), 1, None)).total_count:
        return 0
    now = service.clock.now()
    for i, (salesperson, card, has_bought) in enumerate(DEMO):
        customer = await register_customer(card, salesperson, service.uow())
        if has_bought:
            await on_invoice_issued(InvoiceIssued(
                invoice_id=f"demo-inv-{i}", customer_id=customer.id, amount_fen=1_250_000 * (i + 1),
                issued_at=now - timedelta(days=10 * (i + 1)), due_at=now + timedelta(days=20),
                salesperson_id=salesperson), service.uow())
    return len(DEMO)
