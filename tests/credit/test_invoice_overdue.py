"""CUS-3's input from credit: `credit.invoice_overdue` once an invoice passes 30 days overdue (once per invoice)."""

from datetime import timedelta

from services.credit.jobs import sweep_long_overdue
from tests.credit.conftest import CreditHarness, invoice, payment
from tests.support import START, eventually, listening

YUAN = 100


async def test_cus_3_an_invoice_passing_30_days_overdue_is_published_once(credit: CreditHarness) -> None:
    customer = await credit.register()
    await credit.grant(customer, 100_000 * YUAN, term_days=30)
    await credit.deliver(invoice(customer, "INV-LATE", 10_000 * YUAN))  # due START + 30 days
    await credit.deliver(invoice(customer, "INV-LATER", 5_000 * YUAN, issued=START + timedelta(days=10)))
    async with listening(credit.amqp_url, "credit.invoice_overdue") as published:
        credit.clock.advance(timedelta(days=60))  # 30 days overdue: not more than 30 yet
        assert await sweep_long_overdue(credit.service) == 0
        credit.clock.advance(timedelta(days=1))
        assert await sweep_long_overdue(credit.service) == 1
        assert await sweep_long_overdue(credit.service) == 0  # told once
        mine = await eventually(lambda: [e["data"] for e in published if e["subject"] == customer])
        assert [(e["invoiceId"], e["daysOverdue"]) for e in mine] == [("INV-LATE", 31)]
        assert mine[0]["dueAt"].startswith((START + timedelta(days=30)).date().isoformat())
        credit.clock.advance(timedelta(days=10))
        assert await sweep_long_overdue(credit.service) == 1
        await eventually(lambda: len([e for e in published if e["subject"] == customer]) == 2)


async def test_cus_3_an_announced_invoice_is_told_again_once_paid_with_the_day_it_was_paid(
        credit: CreditHarness) -> None:
    customer = await credit.register()
    await credit.grant(customer, 100_000 * YUAN, term_days=30)
    await credit.deliver(invoice(customer, "INV-SLOW", 1_000 * YUAN))
    async with listening(credit.amqp_url, "credit.invoice_overdue") as published:
        credit.clock.advance(timedelta(days=70))
        assert await sweep_long_overdue(credit.service) == 1
        paid = START + timedelta(days=80)
        credit.clock.set(paid)
        await credit.deliver(payment(customer, "PAY-SLOW", 1_000 * YUAN, received=paid))
        await credit.deliver(payment(customer, "PAY-SLOW", 1_000 * YUAN, received=paid))  # redelivered: no news
        mine = await eventually(lambda: [e["data"] for e in published if e["subject"] == customer][1:])
        assert [(e["invoiceId"], e["daysOverdue"], e["settledAt"]) for e in mine] == [
            ("INV-SLOW", 50, paid.isoformat().replace("+00:00", "Z"))]
        assert await sweep_long_overdue(credit.service) == 0
        assert len([e for e in published if e["subject"] == customer]) == 2


async def test_cus_3_a_payment_that_settles_an_invoice_already_over_30_days_late_still_tells(
        credit: CreditHarness) -> None:
    customer = await credit.register()
    await credit.grant(customer, 100_000 * YUAN, term_days=30)
    await credit.deliver(invoice(customer, "INV-PAID-LATE", 1_000 * YUAN))
    async with listening(credit.amqp_url, "credit.invoice_overdue") as published:
        credit.clock.advance(timedelta(days=75))  # 45 days overdue, and the sweep has not run
        await credit.deliver(payment(customer, "PAY-1", 1_000 * YUAN, received=START + timedelta(days=75),
                                     invoices=["INV-PAID-LATE"]))
        mine = await eventually(lambda: [e["data"] for e in published if e["subject"] == customer])
        assert [(e["invoiceId"], e["daysOverdue"], e["settledAt"] is not None) for e in mine] == [
            ("INV-PAID-LATE", 45, True)]  # told once, paid
        assert await sweep_long_overdue(credit.service) == 0  # announced already, nothing open left


async def test_cus_3_an_invoice_paid_on_time_is_never_announced(credit: CreditHarness) -> None:
    customer = await credit.register()
    await credit.grant(customer, 100_000 * YUAN, term_days=30)
    await credit.deliver(invoice(customer, "INV-OK", 1_000 * YUAN))
    await credit.deliver(payment(customer, "PAY-OK", 1_000 * YUAN, received=START + timedelta(days=20)))
    credit.clock.advance(timedelta(days=400))
    assert await sweep_long_overdue(credit.service) == 0
