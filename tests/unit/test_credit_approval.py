"""CRD-7 the approval chain of credit changes, and CRD-8 the quarterly review that feeds it."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import Role
from chassis.errors import Forbidden, Invalid, RuleViolation
from services.credit.approval import CreditRequest, Decision, Origin, RequestStatus, Step, Terms
from services.credit.domain import CreditProfile, CreditRating
from services.credit.limits import LimitInputs, LimitMethod, calculate
from services.credit.review import Direction, Quarter, ReviewPolicy, quarter_to_review, review

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
YUAN = 100
POLICY = ReviewPolicy(increase_cap_percent=20, cut_percent=25)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def a_request(**overrides) -> CreditRequest:
    fields = {"id": "req-1", "customer_id": "cust-1", "region": "east", "requested": Terms(limit_fen=5_000_000),
              "justification": "steady buyer", "by": "rep-1", "now": T0, **overrides}
    return CreditRequest.apply(**fields)


def decide(request: CreditRequest, role: Role, approve: bool = True, *, region: str | None = "east",
           proposal: Terms | None = None, by: str | None = None) -> bool:
    return request.decide(approve=approve, by=by or role.value.lower(), roles=frozenset({role}), region=region,
                          comment=f"{role.value} says {'yes' if approve else 'no'}", now=T0 + days(1),
                          proposal=proposal)


# -- CRD-7 ----------------------------------------------------------------------------------------------------


def test_crd_7_the_chain_region_manager_sales_manager_finance_general_manager() -> None:
    request = a_request()
    assert request.step is Step.REGION_MANAGER_REVIEW and request.status is RequestStatus.PENDING
    assert not decide(request, Role.REGION_MANAGER)
    assert not decide(request, Role.SALES_MANAGER)
    assert not decide(request, Role.FINANCE, proposal=Terms(CreditRating.B, 4_000_000, 45))
    assert request.step is Step.GENERAL_MANAGER_DECISION and request.terms == Terms(CreditRating.B, 4_000_000, 45)
    assert decide(request, Role.GENERAL_MANAGER)  # the final approval
    assert request.status is RequestStatus.APPROVED and request.step is None
    assert [(h.step, h.by, h.decision) for h in request.history] == [
        ("APPLICATION", "rep-1", Decision.APPLIED),
        ("REGION_MANAGER_REVIEW", "region_manager", Decision.APPROVED),
        ("SALES_MANAGER_REVIEW", "sales_manager", Decision.APPROVED),
        ("FINANCE_PROPOSAL", "finance", Decision.APPROVED),
        ("GENERAL_MANAGER_DECISION", "general_manager", Decision.APPROVED)]
    assert all(h.comment for h in request.history) and request.history[3].terms.term_days == 45


def test_crd_7_a_wrong_role_is_forbidden_naming_the_expected_role() -> None:
    request = a_request()
    with pytest.raises(Forbidden) as refused:
        decide(request, Role.GENERAL_MANAGER)
    assert refused.value.extensions["expectedRole"] == "REGION_MANAGER"
    assert refused.value.extensions["step"] == "REGION_MANAGER_REVIEW"
    assert request.step is Step.REGION_MANAGER_REVIEW and len(request.history) == 1


def test_crd_7_the_regional_manager_of_another_region_may_not_review() -> None:
    request = a_request()
    with pytest.raises(Forbidden) as refused:
        decide(request, Role.REGION_MANAGER, region="west")
    assert refused.value.extensions["expectedRegion"] == "east"


@pytest.mark.parametrize("rejecting_at", list(Step))
def test_crd_7_any_step_can_reject_and_nothing_follows(rejecting_at: Step) -> None:
    request = a_request()
    for step in Step:
        if step is rejecting_at:
            assert not decide(request, step.role, approve=False)
            break
        decide(request, step.role)
    assert request.status is RequestStatus.REJECTED and request.step is None
    with pytest.raises(RuleViolation):
        decide(request, Role.GENERAL_MANAGER)


def test_crd_7_only_finance_proposes_terms() -> None:
    request = a_request()
    with pytest.raises(Invalid):
        decide(request, Role.REGION_MANAGER, proposal=Terms(limit_fen=1))


def test_crd_7_a_request_asks_for_something_and_says_why() -> None:
    with pytest.raises(Invalid):
        a_request(requested=Terms())
    with pytest.raises(Invalid):
        a_request(justification="  ")
    with pytest.raises(Invalid):
        a_request(requested=Terms(term_days=400))


def test_crd_6_a_request_keeps_the_method_and_takes_its_figure() -> None:
    calculation = calculate(LimitMethod.WORKING_CAPITAL, LimitInputs(current_assets_fen=900, current_liabilities_fen=300,
                                                                     supplier_count=2))
    request = a_request(requested=Terms(term_days=30), calculation=calculation)
    assert request.requested == Terms(None, 300, 30) and request.calculation is calculation


# -- CRD-8 ---------------------------------------------------------------------------------------------------


def a_customer_with_credit(rating: CreditRating = CreditRating.B, limit_yuan: int = 100_000) -> CreditProfile:
    profile = CreditProfile.open("cust-1", "east", "rep-1", T0 - days(400))
    profile.change_terms(rating, limit_yuan * YUAN, 30, "req-0", T0 - days(400))
    return profile


def test_crd_8_the_review_in_april_looks_at_the_first_quarter() -> None:
    assert quarter_to_review(datetime(2026, 4, 10, tzinfo=UTC)) == Quarter(2026, 1)
    assert quarter_to_review(datetime(2026, 1, 2, tzinfo=UTC)) == Quarter(2025, 4)
    assert str(Quarter(2026, 1)) == "2026Q1" and Quarter.parse("2026q1") == Quarter(2026, 1)
    assert Quarter(2026, 1).end == Quarter(2026, 2).start


def test_crd_8_two_consecutive_months_unpaid_proposes_a_step_down() -> None:
    profile = a_customer_with_credit(CreditRating.B)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)  # due 4 Feb
    before = review(profile, Quarter(2026, 1), datetime(2026, 4, 1, 0, tzinfo=UTC), POLICY)
    assert before.direction is Direction.NONE  # unpaid, but not yet for two months after the due date
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY)
    assert outcome.direction is Direction.DOWN and outcome.proposal == Terms(rating=CreditRating.C)
    assert "INV-1" in outcome.findings[0]


def test_crd_8_rated_c_already_the_downgrade_is_a_cut_of_the_configured_share() -> None:
    profile = a_customer_with_credit(CreditRating.C, limit_yuan=100_000)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY)
    assert outcome.proposal == Terms(limit_fen=75_000 * YUAN)


def test_crd_8_an_overdue_reason_accepted_by_finance_suppresses_the_downgrade() -> None:
    profile = a_customer_with_credit(CreditRating.B)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)
    profile.accept_overdue_reason(["INV-1"], "quality dispute under investigation", "fin-1", T0 + days(40))
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY)
    assert outcome.direction is not Direction.DOWN and outcome.proposal is None
    assert any("quality dispute" in f for f in outcome.findings)


def test_crd_8_an_open_quality_complaint_about_the_invoice_suppresses_the_downgrade_until_resolved() -> None:
    profile = a_customer_with_credit(CreditRating.B)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)
    assert not profile.open_dispute("cmp-0", "TRANSPORT", ["INV-1"], T0 + days(5))  # not a reason to pay late
    assert profile.open_dispute("cmp-1", "PRODUCT_QUALITY", ["INV-1"], T0 + days(5))
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY)
    assert outcome.direction is not Direction.DOWN and outcome.proposal is None
    assert any("disputed by complaint cmp-1" in f for f in outcome.findings)
    assert profile.close_dispute("cmp-1", T0 + days(50))
    after = review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY)
    assert after.direction is Direction.DOWN
    assert profile.reopen_dispute("cmp-1", T0 + days(60))
    assert review(profile, Quarter(2026, 1), datetime(2026, 4, 10, tzinfo=UTC), POLICY).proposal is None


def test_crd_8_a_good_payment_record_all_quarter_proposes_a_step_up() -> None:
    profile = a_customer_with_credit(CreditRating.B)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)
    profile.apply_payment("P-1", 10_000 * YUAN, T0 + days(20), None, T0 + days(20))
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 2, tzinfo=UTC), POLICY)
    assert outcome.direction is Direction.UP and outcome.proposal == Terms(rating=CreditRating.A)


def test_crd_8_rated_a_already_the_upgrade_is_a_limit_increase_of_at_most_the_cap() -> None:
    profile = a_customer_with_credit(CreditRating.A, limit_yuan=100_000)
    profile.apply_invoice("INV-1", 10_000 * YUAN, T0, None, T0)
    profile.apply_payment("P-1", 10_000 * YUAN, T0 + days(20), None, T0 + days(20))
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 2, tzinfo=UTC), POLICY)
    assert outcome.proposal == Terms(limit_fen=120_000 * YUAN)
    capped = review(profile, Quarter(2026, 1), datetime(2026, 4, 2, tzinfo=UTC), ReviewPolicy(5, 20))
    assert capped.proposal == Terms(limit_fen=105_000 * YUAN)


def test_crd_8_a_late_payment_in_the_quarter_is_not_a_good_record_but_growing_business_is_enough() -> None:
    profile = a_customer_with_credit(CreditRating.C)
    profile.apply_invoice("Q4", 1_000 * YUAN, T0 - days(60), None, T0)
    profile.apply_invoice("Q1", 5_000 * YUAN, T0, None, T0)
    profile.apply_payment("P-1", 6_000 * YUAN, T0 + days(50), None, T0 + days(50))  # Q1 paid 20 days late
    outcome = review(profile, Quarter(2026, 1), datetime(2026, 4, 2, tzinfo=UTC), POLICY)
    assert not any("payment record good" in f for f in outcome.findings)
    assert outcome.direction is Direction.UP and any("business growing" in f for f in outcome.findings)


def test_crd_8_no_business_and_no_trouble_proposes_nothing() -> None:
    outcome = review(a_customer_with_credit(), Quarter(2026, 1), datetime(2026, 4, 2, tzinfo=UTC), POLICY)
    assert outcome.direction is Direction.NONE and outcome.proposal is None


def test_crd_8_a_review_proposal_enters_the_chain_at_the_first_review() -> None:
    request = a_request(origin=Origin.QUARTERLY_REVIEW, by="system", requested=Terms(rating=CreditRating.C))
    assert request.step is Step.REGION_MANAGER_REVIEW and request.history[0].decision is Decision.PROPOSED


def test_crd_8_the_percentages_are_configuration_not_code(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.credit.settings import CreditSettings

    assert CreditSettings().review_policy == ReviewPolicy(increase_cap_percent=20, cut_percent=20)  # the defaults
    monkeypatch.setenv("CREDIT_REVIEW_INCREASE_CAP_PERCENT", "15")
    monkeypatch.setenv("CREDIT_REVIEW_CUT_PERCENT", "30")
    assert CreditSettings().review_policy == ReviewPolicy(increase_cap_percent=15, cut_percent=30)


def test_crd_7_nobody_approves_their_own_application_or_two_steps() -> None:
    request = CreditRequest.apply(id="r1", customer_id="c1", region="east", requested=Terms(limit_fen=100_000),
                                  justification="grows", by="boss", now=T0)
    both = frozenset({Role.REGION_MANAGER, Role.SALES_MANAGER})
    with pytest.raises(RuleViolation, match="already acted"):
        request.decide(approve=True, by="boss", roles=both, region="east", comment=None, now=T0)
    request.decide(approve=True, by="manager", roles=both, region="east", comment=None, now=T0)
    with pytest.raises(RuleViolation, match="already acted"):
        request.decide(approve=True, by="manager", roles=both, region="east", comment=None, now=T0)
