"""CRD-6 信用限度确定方法: the five limit methods, computed exactly and explained."""

from decimal import Decimal

import pytest

from chassis.errors import Invalid
from services.credit.limits import LimitInputs, LimitMethod, calculate, calculate_all

YUAN = 100


def test_crd_6_sales_method_annual_purchases_times_share_times_term_over_365() -> None:
    result = calculate(LimitMethod.SALES, LimitInputs(annual_purchases_fen=3_650_000 * YUAN,
                                                      supply_share_percent=Decimal(30), term_days=60))
    assert result.limit_fen == 180_000 * YUAN  # 3,650,000 × 30 % × 60 / 365
    assert "3,650,000.00 CNY × 30% × 60/365 days = 180,000.00 CNY" in result.explanation
    assert result.inputs == {"annualPurchasesFen": 365_000_000, "supplySharePercent": "30", "termDays": 60}


def test_crd_6_results_are_rounded_down_to_the_fen_never_up() -> None:
    result = calculate(LimitMethod.SALES, LimitInputs(annual_purchases_fen=100, supply_share_percent=Decimal("33.3"),
                                                      term_days=100))
    assert result.limit_fen == 9  # 100 × 0.333 × 100 / 365 = 9.12…


def test_crd_6_working_capital_split() -> None:
    result = calculate(LimitMethod.WORKING_CAPITAL, LimitInputs(current_assets_fen=900_000 * YUAN,
                                                                current_liabilities_fen=300_000 * YUAN,
                                                                supplier_count=4))
    assert result.limit_fen == 150_000 * YUAN


def test_crd_6_current_ratio_method_scales_a_base_limit_by_ratio_against_the_industry_norm() -> None:
    result = calculate(LimitMethod.CURRENT_RATIO, LimitInputs(base_limit_fen=100_000 * YUAN,
                                                              current_assets_fen=300_000 * YUAN,
                                                              current_liabilities_fen=100_000 * YUAN,
                                                              industry_current_ratio=Decimal(2)))
    assert result.limit_fen == 150_000 * YUAN  # ratio 3 against a norm of 2
    assert "current ratio" in result.explanation and "3.00" in result.explanation


def test_crd_6_net_asset_split_and_nothing_to_lend_against() -> None:
    result = calculate(LimitMethod.NET_ASSETS, LimitInputs(total_assets_fen=1_000_000 * YUAN,
                                                           total_liabilities_fen=400_000 * YUAN, supplier_count=3))
    assert result.limit_fen == 200_000 * YUAN
    broke = calculate(LimitMethod.NET_ASSETS, LimitInputs(total_assets_fen=1, total_liabilities_fen=5,
                                                          supplier_count=3))
    assert broke.limit_fen == 0 and "cash only" in broke.explanation


def test_crd_6_comprehensive_judgement_needs_a_written_justification() -> None:
    result = calculate(LimitMethod.COMPREHENSIVE, LimitInputs(amount_fen=80_000 * YUAN,
                                                              justification="ten years without a late payment"))
    assert result.limit_fen == 8_000_000 and "ten years" in result.explanation
    with pytest.raises(Invalid) as refused:
        calculate(LimitMethod.COMPREHENSIVE, LimitInputs(amount_fen=80_000 * YUAN))
    assert refused.value.extensions["field"] == "justification"


def test_crd_6_every_method_is_offered_with_its_inputs_and_computed_when_they_are_given() -> None:
    results = {spec.method: (calculation, missing) for spec, calculation, missing in calculate_all(
        LimitInputs(current_assets_fen=900, current_liabilities_fen=300, supplier_count=2))}
    assert set(results) == set(LimitMethod)
    assert results[LimitMethod.WORKING_CAPITAL][0].limit_fen == 300
    assert results[LimitMethod.SALES] == (None, ["annualPurchasesFen", "supplySharePercent", "termDays"])
    assert results[LimitMethod.NET_ASSETS][1] == ["totalAssetsFen", "totalLiabilitiesFen"]


@pytest.mark.parametrize(("inputs", "field"), [
    (LimitInputs(supplier_count=0), "supplierCount"),
    (LimitInputs(supply_share_percent=Decimal(120)), "supplySharePercent"),
    (LimitInputs(current_assets_fen=-1), "currentAssetsFen"),
    (LimitInputs(industry_current_ratio=Decimal(0)), "industryCurrentRatio"),
])
def test_crd_6_impossible_inputs_are_validation_errors_naming_the_input(inputs: LimitInputs, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        calculate_all(inputs)
    assert refused.value.extensions["field"] == field
