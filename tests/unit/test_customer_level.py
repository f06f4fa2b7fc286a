"""CUS-3 level by the trailing 12-month amount and the payment record: pure rules, time as datetimes."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.clock import add_months
from services.customer.domain import (
    Customer,
    CustomerKind,
    CustomerLevel,
    CustomerNature,
    LevelPolicy,
    TradingRecord,
    level_for,
)
from services.customer.settings import CustomerSettings

T0 = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YUAN = 100
POLICY = LevelPolicy()


def sold(*amounts_yuan: int, at: datetime = NOW - timedelta(days=30)) -> TradingRecord:
    return TradingRecord(tuple((at, a * YUAN) for a in amounts_yuan))


@pytest.mark.parametrize(("yuan", "first_sale", "level"), [
    (100_000, T0, CustomerLevel.VIP),  # ≥ 100,000, good payment, trading ≥ 12 months
    (100_000, NOW - timedelta(days=60), CustomerLevel.SPECIAL_VIP),  # the same, short-term (promotional) buying
    (99_999, T0, CustomerLevel.A),
    (50_000, T0, CustomerLevel.A),
    (49_999, T0, CustomerLevel.B),
    (30_000, T0, CustomerLevel.B),
    (29_999, T0, CustomerLevel.C),
])
def test_cus_3_level_by_trailing_12_month_amount(yuan: int, first_sale: datetime, level: CustomerLevel) -> None:
    assert level_for(sold(yuan), POLICY, first_sale_at=first_sale, now=NOW) is level


def test_cus_3_a_customer_who_never_bought_has_no_level() -> None:
    assert level_for(TradingRecord(), POLICY, first_sale_at=None, now=NOW) is None


def test_cus_3_only_the_trailing_12_months_count() -> None:
    record = TradingRecord(((add_months(NOW, -12), 80_000 * YUAN),  # exactly 12 months ago: out of the window
                            (add_months(NOW, -12) + timedelta(seconds=1), 40_000 * YUAN)))
    assert record.amount_in_window(POLICY, NOW) == 40_000 * YUAN
    assert level_for(record, POLICY, first_sale_at=T0, now=NOW) is CustomerLevel.B


@pytest.mark.parametrize("yuan", [150_000, 60_000, 40_000, 10_000], ids=["VIP", "A", "B", "C"])
def test_cus_3_every_level_asks_good_payment_a_bad_payer_is_served_as_c(yuan: int) -> None:
    spoiled = TradingRecord(sold(yuan).sales, ((NOW - timedelta(days=100), NOW - timedelta(days=50)),))
    assert level_for(spoiled, POLICY, first_sale_at=T0, now=NOW) is CustomerLevel.C


def test_cus_3_an_invoice_paid_more_than_12_months_ago_is_forgiven() -> None:
    long_ago = TradingRecord(sold(150_000).sales, ((add_months(NOW, -20), add_months(NOW, -13)),))
    assert level_for(long_ago, POLICY, first_sale_at=T0, now=NOW) is CustomerLevel.VIP
    paid_in_window = TradingRecord(sold(150_000).sales, ((add_months(NOW, -20), add_months(NOW, -11)),))
    assert level_for(paid_in_window, POLICY, first_sale_at=T0, now=NOW) is CustomerLevel.C


def test_cus_3_a_chronic_non_payer_is_never_vip_however_long_ago_the_invoice_spoiled() -> None:
    unpaid_400_days = TradingRecord(sold(150_000).sales, ((NOW - timedelta(days=400), None),))
    assert not unpaid_400_days.good_payment(POLICY, NOW)
    assert level_for(unpaid_400_days, POLICY, first_sale_at=T0, now=NOW) is CustomerLevel.C


def test_cus_3_the_level_is_due_again_12_months_after_a_spoiled_invoice_was_paid() -> None:
    paid = NOW - timedelta(days=10)
    record = TradingRecord((), ((NOW - timedelta(days=100), paid),))
    assert record.level_due_at(POLICY, first_sale_at=None, now=NOW) == add_months(paid, 12)
    assert TradingRecord((), ((NOW - timedelta(days=100), None),)).level_due_at(
        POLICY, first_sale_at=None, now=NOW) is None  # unpaid: only a payment can change it


def test_cus_3_the_level_is_due_again_when_a_sale_leaves_the_window_or_cooperation_becomes_long_term() -> None:
    first = NOW - timedelta(days=60)
    record = sold(120_000, at=first)
    assert record.level_due_at(POLICY, first_sale_at=first, now=NOW) == add_months(first, 12)
    assert level_for(record, POLICY, first_sale_at=first, now=add_months(first, 12)) is CustomerLevel.C


def test_cus_3_a_level_change_is_kept_in_the_history_with_old_and_new() -> None:
    card = Customer.register(id="c1", code="C000001", by="alice", now=T0, name="华东机电",
                             kind=CustomerKind.COMPANY, nature=CustomerNature.ORDINARY_COMPANY)
    card.record_sale(T0, now=T0)
    assert card.reassess_level(sold(60_000, at=T0), POLICY, T0) == (None, CustomerLevel.A)
    assert card.reassess_level(sold(60_000, at=T0), POLICY, T0) is None
    # the same event moved lifecycle and level: one revision holds both
    assert [(c.field, c.old, c.new) for c in card.revisions[-1].changes] == [
        ("lifecycle", "POTENTIAL", "NEW"), ("level", None, "A")]


def test_cus_3_thresholds_are_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOMER_LEVEL_VIP_FEN", str(200_000 * YUAN))
    monkeypatch.setenv("CUSTOMER_LEVEL_LONG_TERM_MONTHS", "24")
    policy = CustomerSettings().level_policy
    assert (policy.vip_fen, policy.a_fen, policy.long_term_months) == (200_000 * YUAN, 50_000 * YUAN, 24)
    assert level_for(sold(150_000), policy, first_sale_at=T0, now=NOW) is CustomerLevel.A
    monkeypatch.setenv("CUSTOMER_LEVEL_B_FEN", str(300_000 * YUAN))
    with pytest.raises(ValueError, match="CUSTOMER_LEVEL_B_FEN"):
        CustomerSettings()
