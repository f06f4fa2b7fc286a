"""信用管理: the credit profile, its ledger and the rules on it (CRD-1 … CRD-5, CRD-9 … CRD-11).

Pure unit tests of services/credit/domain.py: no I/O, time is passed in as datetimes.
"""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import Principal, Role
from chassis.clock import add_months, business_date
from chassis.errors import Invalid, RuleViolation
from chassis.scalars import fen
from services.credit.alerts import Alert, AlertLevel, addressed, alert_recipients, role_of
from services.credit.domain import CreditProfile, CreditRating, ReasonCode, Standing, TermsChanged
from services.credit.emergency import Countermeasure, EmergencyKind, EmergencyStatus, HoldChanged
from services.credit.ledger import Ageing, Bucket, NoteStatus

# -- builders ------------------------------------------------------------------------------------

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
YUAN = 100  # fen


def days(n: int) -> timedelta:
    return timedelta(days=n)


def a_profile(*, limit_yuan: int = 0, rating: CreditRating | None = None, term_days: int = 30,
              region: str | None = "east", registered_by: str = "rep-reg") -> CreditProfile:
    profile = CreditProfile.open("cust-1", region, registered_by, T0)
    if limit_yuan or rating:
        profile.change_terms(rating, limit_yuan * YUAN, term_days, "req-0", T0)
        profile.events.clear()
    return profile


def invoice(profile: CreditProfile, invoice_id: str, yuan: int, *, issued: datetime = T0,
            salesperson: str | None = None, now: datetime | None = None) -> bool:
    return profile.apply_invoice(invoice_id, yuan * YUAN, issued, salesperson, now or issued)


def pay(profile: CreditProfile, payment_id: str, yuan: int, *, at: datetime = T0,
        invoices: list[str] | None = None):
    return profile.apply_payment(payment_id, yuan * YUAN, at, invoices, at)


def alerts(profile: CreditProfile) -> list[Alert]:
    raised = [e for e in profile.events if isinstance(e, Alert)]
    profile.events.clear()
    return raised


def levels(profile: CreditProfile) -> list[int]:
    return [a.level.value for a in alerts(profile)]


# -- CRD-1 ---------------------------------------------------------------------------------------


def test_crd_1_a_new_customer_has_no_rating_no_limit_no_term_cash_only() -> None:
    profile = a_profile()
    assert (profile.rating, profile.limit_fen, profile.term_days) == (None, 0, 0)
    assert not profile.has_credit and profile.standing is Standing.CASH_ONLY
    assert profile.utilization is None
    decision = profile.check(1 * YUAN, T0)
    assert not decision.allowed and [r.code for r in decision.reasons] == [ReasonCode.NO_CREDIT]


def test_crd_1_approved_terms_set_rating_limit_and_term_and_are_announced() -> None:
    profile = a_profile()
    profile.change_terms(CreditRating.B, 50_000 * YUAN, 45, "req-9", T0)
    assert (profile.rating, profile.limit_fen, profile.term_days, profile.rated_at) == (
        CreditRating.B, 5_000_000, 45, T0)
    assert profile.events == [TermsChanged("cust-1", CreditRating.B, 5_000_000, 45, "req-9", T0)]


# -- CRD-2 ---------------------------------------------------------------------------------------


def test_crd_2_a_dishonoured_note_counts_once_owed_again_no_longer_a_note() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 1_000)
    profile.receive_note("N-1", 3_000 * YUAN, T0 + days(60), T0)
    profile.dishonour_note("N-1", "em-1", T0 + days(61))
    assert (profile.receivables_fen, profile.notes_fen, profile.exposure_fen) == (400_000, 0, 400_000)


def test_crd_2_exposure_is_open_receivables_plus_unsettled_notes_in_exact_fen() -> None:
    profile = a_profile(limit_yuan=100_000)
    profile.apply_invoice("INV-1", 1_000_001, T0, None, T0)  # 10,000.01 CNY
    profile.apply_invoice("INV-2", 2_000_002, T0, None, T0)
    profile.receive_note("N-1", 300_003, T0 + days(90), T0)
    assert (profile.receivables_fen, profile.notes_fen, profile.exposure_fen) == (3_000_003, 300_003, 3_300_006)
    pay(profile, "P-1", 10_000, invoices=["INV-1"])
    assert profile.exposure_fen == 3_300_006 - 1_000_000
    assert fen(profile.exposure_fen) == "23,000.06 CNY"


def test_crd_2_a_settled_note_no_longer_counts() -> None:
    profile = a_profile(limit_yuan=100_000)
    profile.receive_note("N-1", 5_000 * YUAN, T0 + days(90), T0)
    assert profile.exposure_fen == 500_000
    assert profile.settle_note("N-1", T0 + days(90))
    assert profile.exposure_fen == 0 and profile.note("N-1").status is NoteStatus.SETTLED


def test_crd_2_payment_goes_to_listed_invoices_first_then_the_oldest() -> None:
    profile = a_profile(limit_yuan=100_000)
    invoice(profile, "OLD", 1_000, issued=T0)
    invoice(profile, "MID", 1_000, issued=T0 + days(1))
    invoice(profile, "NEW", 1_000, issued=T0 + days(2))
    payment = pay(profile, "P-1", 1_500, at=T0 + days(3), invoices=["NEW"])
    assert [(a.invoice_id, a.amount_fen) for a in payment.allocations] == [("NEW", 100_000), ("OLD", 50_000)]
    assert [(i.invoice_id, i.balance_fen) for i in profile.open_invoices()] == [("OLD", 50_000), ("MID", 100_000)]


def test_crd_2_payment_without_invoices_settles_the_oldest_open_invoices_first() -> None:
    profile = a_profile(limit_yuan=100_000)
    invoice(profile, "B", 700, issued=T0 + days(1))
    invoice(profile, "A", 500, issued=T0)
    invoice(profile, "C", 900, issued=T0 + days(2))
    payment = pay(profile, "P-1", 1_000, at=T0 + days(5))
    assert [(a.invoice_id, a.amount_fen) for a in payment.allocations] == [("A", 50_000), ("B", 50_000)]
    assert profile.invoice("A").settled_at == T0 + days(5) and profile.invoice("B").balance_fen == 20_000


def test_crd_2_overpayment_is_kept_as_credit_balance_and_pays_the_next_invoice() -> None:
    profile = a_profile(limit_yuan=100_000)
    invoice(profile, "INV-1", 1_000)
    payment = pay(profile, "P-1", 1_300, at=T0 + days(1))
    assert payment.to_balance_fen == 30_000 and profile.credit_balance_fen == 30_000
    assert profile.exposure_fen == 0  # never negative
    invoice(profile, "INV-2", 500, issued=T0 + days(2))
    assert profile.credit_balance_fen == 0 and profile.invoice("INV-2").balance_fen == 20_000
    assert profile.exposure_fen == 20_000


def test_crd_2_negative_or_zero_amounts_are_refused() -> None:
    profile = a_profile()
    with pytest.raises(Invalid) as refused:
        profile.apply_invoice("INV-1", 0, T0, None, T0)
    assert refused.value.extensions["field"] == "amountFen"
    with pytest.raises(Invalid):
        profile.apply_payment("P-1", -5, T0, None, T0)


# -- CRD-11 ----------------------------------------------------------------------------------------


def test_crd_11_the_same_invoice_payment_and_note_again_change_nothing() -> None:
    profile = a_profile(limit_yuan=10_000)
    assert invoice(profile, "INV-1", 9_000)
    assert pay(profile, "P-1", 1_000) is not None
    assert profile.receive_note("N-1", 500 * YUAN, T0 + days(60), T0)
    alerts(profile)
    before = (profile.exposure_fen, profile.credit_balance_fen, len(profile.invoices), len(profile.payments))
    assert not invoice(profile, "INV-1", 9_000)
    assert pay(profile, "P-1", 1_000) is None
    assert not profile.receive_note("N-1", 500 * YUAN, T0 + days(60), T0)
    assert profile.settle_note("N-1", T0) and not profile.settle_note("N-1", T0)
    after = (profile.exposure_fen + 50_000, profile.credit_balance_fen, len(profile.invoices), len(profile.payments))
    assert after == before and alerts(profile) == []


def test_crd_11_the_same_id_with_another_amount_is_refused_not_applied() -> None:
    profile = a_profile()
    invoice(profile, "INV-1", 1_000)
    with pytest.raises(RuleViolation) as refused:
        invoice(profile, "INV-1", 2_000)
    assert refused.value.extensions["rule"] == "CRD-11"
    assert profile.exposure_fen == 100_000


def test_crd_11_a_payment_naming_unknown_invoices_is_refused_with_their_ids() -> None:
    profile = a_profile()
    invoice(profile, "INV-1", 1_000)
    with pytest.raises(RuleViolation) as refused:
        pay(profile, "P-1", 500, invoices=["INV-1", "INV-404"])
    assert refused.value.extensions["unknownInvoiceIds"] == ["INV-404"]
    assert profile.payments == [] and profile.exposure_fen == 100_000


# -- CRD-3 -------------------------------------------------------------------------------------------


def test_crd_3_alert_fires_once_per_upward_crossing() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 7_999)
    assert levels(profile) == []
    invoice(profile, "INV-2", 1)  # exactly 80 %
    assert levels(profile) == [80]
    invoice(profile, "INV-3", 500)  # 85 %: still above 80, no new crossing
    assert levels(profile) == []


def test_crd_3_falling_back_below_and_crossing_again_fires_again() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 8_500)
    assert levels(profile) == [80]
    pay(profile, "P-1", 1_000, invoices=["INV-1"])  # 75 %
    assert levels(profile) == []
    invoice(profile, "INV-2", 600)  # 81 %
    assert levels(profile) == [80]


def test_crd_3_a_jump_past_several_levels_raises_each_of_them() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 10_500)
    raised = alerts(profile)
    assert [a.level for a in raised] == [AlertLevel.WARNING, AlertLevel.HIGH, AlertLevel.OVER_LIMIT]
    assert raised[0].exposure_fen == 1_050_000 and raised[0].limit_fen == 1_000_000
    assert profile.standing is Standing.OVER_LIMIT


def test_crd_3_recipients_at_80_salesperson_region_manager_finance_at_90_also_sales_manager_product_centre(
) -> None:
    assert alert_recipients(AlertLevel.WARNING, "rep-1", "east") == ["rep-1", "REGION_MANAGER:east", "FINANCE"]
    assert alert_recipients(AlertLevel.HIGH, "rep-1", "east") == [
        "rep-1", "REGION_MANAGER:east", "FINANCE", "SALES_MANAGER", "PRODUCT_CENTRE"]
    assert alert_recipients(AlertLevel.OVER_LIMIT, None, None) == [
        "REGION_MANAGER", "FINANCE", "SALES_MANAGER", "PRODUCT_CENTRE"]


def test_crd_3_the_salesperson_is_the_owner_else_the_invoices_else_the_registrar() -> None:
    profile = a_profile(limit_yuan=10_000, registered_by="rep-reg")
    assert profile.salesperson_id == "rep-reg"
    invoice(profile, "INV-1", 100, salesperson="rep-inv")
    assert profile.salesperson_id == "rep-inv"
    assert profile.change_owner("rep-owner", T0 + days(1))
    assert not profile.change_owner("rep-stale", T0)  # an older announcement arriving late
    invoice(profile, "INV-2", 8_000, salesperson="rep-inv", issued=T0 + days(2))
    assert alerts(profile)[0].recipients == ("rep-owner", "REGION_MANAGER:east", "FINANCE")
    profile.change_owner(None, T0 + days(3))  # back to the pool: nobody is the salesperson
    assert profile.salesperson_id is None


def test_crd_3_lowering_the_limit_is_an_upward_crossing_too() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 7_000)
    assert levels(profile) == []
    profile.change_terms(None, 7_500 * YUAN, None, "req-1", T0)
    assert levels(profile) == [80, 90]


def test_crd_3_credit_sales_to_a_cash_only_customer_alert_up_to_the_sales_manager() -> None:
    profile = a_profile()  # no limit: cash only
    assert levels(profile) == []
    invoice(profile, "INV-1", 20_000)
    raised = alerts(profile)
    assert [a.level for a in raised] == [80, 90, 100] and profile.standing is Standing.OVER_LIMIT
    assert "SALES_MANAGER" in raised[-1].recipients and raised[-1].limit_fen == 0
    pay(profile, "P-1", 20_000)
    invoice(profile, "INV-2", 1, issued=T0 + days(1))  # paid off and sold on credit again: told again
    assert levels(profile) == [80, 90, 100]


def test_crd_3_recipient_keys_match_a_person_their_roles_and_their_region() -> None:
    keys = Principal("u-9", "u-9", frozenset({Role.FINANCE, Role.REGION_MANAGER}), "east").addresses
    assert {"u-9", "FINANCE", "REGION_MANAGER", "REGION_MANAGER:east"} <= set(keys)


def test_crd_3_addressed_to_the_people_holding_each_role_never_to_nobody() -> None:
    named = ("rep-1", "REGION_MANAGER:east", "FINANCE", "SALES_MANAGER")
    people = {"REGION_MANAGER:east": ("rm-1", "rm-2"), "FINANCE": ("fin-1", "rep-1"), "SALES_MANAGER": ()}
    assert addressed(named, people) == ("rep-1", "rm-1", "rm-2", "fin-1", "SALES_MANAGER")
    assert role_of("REGION_MANAGER:east") == ("REGION_MANAGER", "east") and role_of("FINANCE") == ("FINANCE", None)


# -- CRD-4 --------------------------------------------------------------------------------------------


def test_crd_4_allowed_when_exposure_plus_amount_fits_the_limit_exactly() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 6_000)
    decision = profile.check(4_000 * YUAN, T0 + days(1))
    assert decision.allowed and decision.reasons == () and decision.available_fen == 400_000


def test_crd_4_over_limit_says_by_how_much() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 6_000)
    decision = profile.check(4_000 * YUAN + 1, T0 + days(1))
    assert not decision.allowed
    assert [(r.code, r.shortfall_fen) for r in decision.reasons] == [(ReasonCode.OVER_LIMIT, 1)]


def test_crd_4_overdue_invoices_refuse_and_are_named() -> None:
    profile = a_profile(limit_yuan=10_000)
    invoice(profile, "INV-1", 100)
    invoice(profile, "INV-2", 100, issued=T0 + days(30))
    decision = profile.check(100 * YUAN, T0 + days(31))
    assert [(r.code, r.invoice_ids) for r in decision.reasons] == [(ReasonCode.OVERDUE, ("INV-1",))]
    assert profile.check(100 * YUAN, T0 + days(30)).allowed  # on the due date itself: not yet overdue


def test_crd_4_a_hold_refuses_and_every_reason_is_given() -> None:
    profile = a_profile(limit_yuan=1_000, term_days=10)
    invoice(profile, "INV-1", 900)
    profile.report_emergency("em-1", EmergencyKind.FROZEN_ACCOUNT, "bank account frozen", "rep-1", T0)
    decision = profile.check(200 * YUAN, T0 + days(11))
    assert [r.code for r in decision.reasons] == [ReasonCode.OVER_LIMIT, ReasonCode.ON_HOLD, ReasonCode.OVERDUE]


def test_crd_4_amount_must_be_positive() -> None:
    with pytest.raises(Invalid):
        a_profile(limit_yuan=1).check(0, T0)


# -- CRD-5 ----------------------------------------------------------------------------------------------


def test_crd_5_overdue_is_the_day_after_the_due_date_in_the_company_calendar() -> None:
    profile = a_profile(limit_yuan=10_000)
    due = datetime(2026, 2, 4, 15, 0, tzinfo=UTC)  # 23:00 on 4 Feb in Shanghai
    profile.apply_invoice("INV-1", 100, due - days(30), None, T0)
    inv = profile.invoice("INV-1")
    assert business_date(due).isoformat() == "2026-02-04"
    assert not inv.is_overdue(datetime(2026, 2, 4, 15, 59, tzinfo=UTC))
    assert inv.is_overdue(datetime(2026, 2, 4, 16, 0, tzinfo=UTC))  # midnight in Shanghai: 5 Feb
    assert inv.days_overdue(datetime(2026, 2, 4, 16, 0, tzinfo=UTC)) == 1


@pytest.mark.parametrize(("days_overdue", "bucket"), [
    (-10, Bucket.CURRENT), (0, Bucket.CURRENT), (1, Bucket.DAYS_1_30), (30, Bucket.DAYS_1_30),
    (31, Bucket.DAYS_31_60), (60, Bucket.DAYS_31_60), (61, Bucket.DAYS_61_90), (90, Bucket.DAYS_61_90),
    (91, Bucket.OVER_90)])
def test_crd_5_ageing_buckets_current_1_30_31_60_61_90_over_90(days_overdue: int, bucket: Bucket) -> None:
    assert Bucket.of(days_overdue) is bucket


def test_crd_5_ageing_sums_open_balances_per_bucket() -> None:
    profile = a_profile(limit_yuan=100_000)
    now = T0 + days(100)
    for invoice_id, due_days_ago, yuan in [("a", -5, 100), ("b", 10, 200), ("c", 45, 300), ("d", 75, 400),
                                           ("e", 95, 500)]:
        due = now - days(due_days_ago)
        profile.apply_invoice(invoice_id, yuan * YUAN, due - days(30), None, T0)
    pay(profile, "P-1", 500, invoices=["e"])  # a settled invoice is not aged
    ageing = profile.ageing(now)
    assert ageing.buckets == {Bucket.CURRENT: 10_000, Bucket.DAYS_1_30: 20_000, Bucket.DAYS_31_60: 30_000,
                              Bucket.DAYS_61_90: 40_000, Bucket.OVER_90: 0}
    assert ageing.overdue_fen == 90_000 and (ageing + Ageing.of([], now)).total_fen == 100_000
    assert [i.invoice_id for i in profile.overdue_invoices(now)] == ["d", "c", "b"]


# -- CRD-9 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rating", "due"), [(CreditRating.A, datetime(2026, 7, 5, 2, 0, tzinfo=UTC)),
                                             (CreditRating.B, datetime(2026, 4, 5, 2, 0, tzinfo=UTC)),
                                             (CreditRating.C, datetime(2026, 2, 5, 2, 0, tzinfo=UTC))])
def test_crd_9_reports_due_every_6_months_for_a_3_for_b_monthly_for_c(rating: CreditRating, due: datetime
                                                                     ) -> None:
    profile = a_profile(rating=rating, limit_yuan=1_000)
    assert profile.investigation_due_at() == due
    profile.record_investigation(due)
    assert profile.investigation_due_at() > due


def test_crd_9_a_new_customer_not_rated_yet_is_investigated_monthly_like_c() -> None:
    profile = a_profile()  # registered at T0, no rating
    assert profile.investigation_due_at() == add_months(T0, 1)
    profile.record_investigation(T0 + days(10))
    assert profile.investigation_due_at() == add_months(T0 + days(10), 1)


# -- CRD-10 ------------------------------------------------------------------------------------------------


def test_crd_10_an_emergency_puts_the_customer_on_hold_at_once_until_a_manager_decides() -> None:
    profile = a_profile(limit_yuan=10_000)
    profile.report_emergency("em-1", EmergencyKind.BANKRUPTCY_RUMOUR, "rumour of bankruptcy", "rep-1", T0)
    assert profile.on_hold and profile.standing is Standing.ON_HOLD
    assert [type(e) for e in profile.events] == [HoldChanged] and profile.events[0].on_hold
    profile.events.clear()
    profile.decide_countermeasures("em-1", [Countermeasure.GUARANTOR, Countermeasure.HIGHER_DEPOSIT], "ok", "sm",
                                   T0 + days(1))
    assert not profile.on_hold
    lifted = profile.events[0]
    assert isinstance(lifted, HoldChanged) and not lifted.on_hold
    assert lifted.countermeasures == (Countermeasure.GUARANTOR, Countermeasure.HIGHER_DEPOSIT)
    with pytest.raises(RuleViolation):
        profile.decide_countermeasures("em-1", [Countermeasure.GUARANTOR], None, "sm", T0 + days(2))


def test_crd_10_stopped_shipments_keep_the_hold_until_a_later_decision() -> None:
    profile = a_profile(limit_yuan=10_000)
    profile.report_emergency("em-1", EmergencyKind.FROZEN_ACCOUNT, "frozen", "rep-1", T0)
    emergency = profile.decide_countermeasures("em-1", [Countermeasure.STOPPED_SHIPMENTS], None, "gm", T0)
    assert emergency.status is EmergencyStatus.SHIPMENTS_STOPPED and profile.on_hold
    profile.decide_countermeasures("em-1", [Countermeasure.THIRD_PARTY_REPAYMENT], None, "gm", T0 + days(9))
    assert not profile.on_hold


def test_crd_10_a_second_emergency_keeps_the_hold_after_the_first_is_decided() -> None:
    profile = a_profile(limit_yuan=10_000)
    profile.report_emergency("em-1", EmergencyKind.FROZEN_ACCOUNT, "frozen", "rep-1", T0)
    profile.report_emergency("em-2", EmergencyKind.OTHER, "owner fled", "rep-1", T0)
    assert len([e for e in profile.events if isinstance(e, HoldChanged)]) == 1  # on hold once
    profile.decide_countermeasures("em-1", [Countermeasure.GUARANTOR], None, "sm", T0)
    assert profile.on_hold


def test_crd_10_a_dishonoured_note_is_an_emergency_and_owed_again() -> None:
    profile = a_profile(limit_yuan=10_000)
    profile.receive_note("N-1", 3_000 * YUAN, T0 + days(60), T0)
    assert profile.exposure_fen == 300_000
    assert profile.dishonour_note("N-1", "em-9", T0 + days(61))
    assert profile.exposure_fen == 300_000 and profile.notes_fen == 0  # a receivable again, not a note
    assert profile.invoice("note:N-1").is_overdue(T0 + days(62))
    assert profile.on_hold and profile.emergencies[0].kind is EmergencyKind.DISHONOURED_NOTE
    assert not profile.dishonour_note("N-1", "em-10", T0 + days(62))  # heard before
    with pytest.raises(RuleViolation):
        profile.settle_note("N-1", T0 + days(63))
