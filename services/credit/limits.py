"""CRD-6 信用限度确定方法: the five ways to size a credit limit, each computed and explained.

Exact arithmetic: amounts are integer fen, ratios and shares `Decimal`; a result is rounded down
to the fen (a limit is never rounded up).
"""

from dataclasses import dataclass, fields
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from chassis.errors import Invalid
from chassis.scalars import MAX_FEN, fen


class LimitMethod(StrEnum):
    SALES = "SALES"  # 销售额测定法
    WORKING_CAPITAL = "WORKING_CAPITAL"  # 周转资产分割法
    CURRENT_RATIO = "CURRENT_RATIO"  # 流动比率法
    NET_ASSETS = "NET_ASSETS"  # 净资产分割法
    COMPREHENSIVE = "COMPREHENSIVE"  # 综合判断法


@dataclass(frozen=True)
class LimitInputs:
    """Everything a method may need; each method reads only its own (named as on the API)."""

    annual_purchases_fen: int | None = None  # the customer's purchases from all suppliers per year
    supply_share_percent: Decimal | None = None  # our share of them
    term_days: int | None = None  # the credit term the limit is for
    current_assets_fen: int | None = None
    current_liabilities_fen: int | None = None
    supplier_count: int | None = None
    base_limit_fen: int | None = None  # what a customer with the industry's current ratio gets
    industry_current_ratio: Decimal | None = None
    total_assets_fen: int | None = None
    total_liabilities_fen: int | None = None
    amount_fen: int | None = None  # comprehensive judgement: the amount decided
    justification: str | None = None  # and why

    def given(self) -> dict[str, object]:
        return {_camel(f.name): getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class MethodSpec:
    method: LimitMethod
    name: str
    formula: str
    inputs: tuple[str, ...]  # API names of the inputs it needs


METHODS = {
    spec.method: spec for spec in (
        MethodSpec(LimitMethod.SALES, "销售额测定法 sales method",
                   "annual purchases × our supply share × term / 365",
                   ("annualPurchasesFen", "supplySharePercent", "termDays")),
        MethodSpec(LimitMethod.WORKING_CAPITAL, "周转资产分割法 working-capital split",
                   "(current assets − current liabilities) ÷ number of suppliers",
                   ("currentAssetsFen", "currentLiabilitiesFen", "supplierCount")),
        MethodSpec(LimitMethod.CURRENT_RATIO, "流动比率法 current-ratio method",
                   "base limit × (current assets ÷ current liabilities) ÷ industry current ratio",
                   ("baseLimitFen", "currentAssetsFen", "currentLiabilitiesFen", "industryCurrentRatio")),
        MethodSpec(LimitMethod.NET_ASSETS, "净资产分割法 net-asset split",
                   "(assets − liabilities) ÷ number of suppliers",
                   ("totalAssetsFen", "totalLiabilitiesFen", "supplierCount")),
        MethodSpec(LimitMethod.COMPREHENSIVE, "综合判断法 comprehensive judgement",
                   "an amount decided from profitability, safety, liquidity, sales and purchasing, "
                   "with a written justification",
                   ("amountFen", "justification")),
    )
}


@dataclass(frozen=True)
class LimitCalculation:
    """CRD-6: the figure a method gives, how it was reached, and from what (kept with a request)."""

    method: LimitMethod
    limit_fen: int
    explanation: str
    inputs: dict[str, object]


def missing_inputs(method: LimitMethod, inputs: LimitInputs) -> list[str]:
    given = inputs.given()
    return [name for name in METHODS[method].inputs if given.get(name) in (None, "")]


def calculate(method: LimitMethod, inputs: LimitInputs) -> LimitCalculation:
    """CRD-6: compute one method; an input it needs that is missing or impossible is a VALIDATION error."""
    missing = missing_inputs(method, inputs)
    if missing:
        raise Invalid(missing[0], f"the {METHODS[method].name} needs {', '.join(missing)}")
    _validate(inputs)
    used = {name: _shown(inputs.given()[name]) for name in METHODS[method].inputs}
    i = inputs
    match method:
        case LimitMethod.SALES:
            limit = _floor(Decimal(i.annual_purchases_fen) * i.supply_share_percent / 100 * i.term_days / 365)
            why = f"{fen(i.annual_purchases_fen)} × {i.supply_share_percent}% × {i.term_days}/365 days = {fen(limit)}"
        case LimitMethod.WORKING_CAPITAL:
            limit = max(0, _floor(Decimal(i.current_assets_fen - i.current_liabilities_fen) / i.supplier_count))
            why = (f"({fen(i.current_assets_fen)} − {fen(i.current_liabilities_fen)}) ÷ {i.supplier_count} "
                   f"suppliers = {fen(limit)}")
        case LimitMethod.CURRENT_RATIO:
            if i.current_liabilities_fen == 0:
                raise Invalid("currentLiabilitiesFen", "must be positive: the current ratio divides by it")
            ratio = Decimal(i.current_assets_fen) / Decimal(i.current_liabilities_fen)
            norm = i.industry_current_ratio
            limit = _floor(Decimal(i.base_limit_fen) * ratio / norm)
            why = (f"current ratio {fen(i.current_assets_fen)} ÷ {fen(i.current_liabilities_fen)} = {ratio:.2f} "
                   f"against the industry's {norm}: {fen(i.base_limit_fen)} × {ratio:.4f} ÷ {norm} = {fen(limit)}")
        case LimitMethod.NET_ASSETS:
            limit = max(0, _floor(Decimal(i.total_assets_fen - i.total_liabilities_fen) / i.supplier_count))
            why = (f"({fen(i.total_assets_fen)} − {fen(i.total_liabilities_fen)}) ÷ {i.supplier_count} "
                   f"suppliers = {fen(limit)}")
        case LimitMethod.COMPREHENSIVE:
            limit = i.amount_fen
            why = f"{fen(limit)} by comprehensive judgement: {i.justification.strip()}"
    if limit >= MAX_FEN:  # e.g. a current ratio of 1e-300 in the industry
        raise Invalid(METHODS[method].inputs[-1], f"these inputs give {limit} fen, beyond any limit (2^53 fen)")
    if limit == 0 and method is not LimitMethod.COMPREHENSIVE:
        why += " (nothing to lend against: cash only)"
    return LimitCalculation(method, limit, f"{METHODS[method].name}: {why}", used)


def calculate_all(inputs: LimitInputs) -> list[tuple[MethodSpec, LimitCalculation | None, list[str]]]:
    """Every method with what it gives from these inputs, or which inputs it still needs."""
    _validate(inputs)
    results = []
    for method, spec in METHODS.items():
        missing = missing_inputs(method, inputs)
        results.append((spec, None if missing else calculate(method, inputs), missing))
    return results


def _validate(inputs: LimitInputs) -> None:
    for name, value in inputs.given().items():
        if name.endswith("Fen") and value < 0:
            raise Invalid(name, "must not be negative")
    if inputs.supplier_count is not None and inputs.supplier_count < 1:
        raise Invalid("supplierCount", "must be at least 1")
    if inputs.term_days is not None and not 1 <= inputs.term_days <= 3650:
        raise Invalid("termDays", "must be between 1 and 3650 days")
    if inputs.supply_share_percent is not None and not 0 < inputs.supply_share_percent <= 100:
        raise Invalid("supplySharePercent", "must be more than 0 and at most 100")
    if inputs.industry_current_ratio is not None and not Decimal("0.01") <= inputs.industry_current_ratio <= 100:
        raise Invalid("industryCurrentRatio", "must be between 0.01 and 100")
    if inputs.justification is not None and not inputs.justification.strip():
        raise Invalid("justification", "must not be empty")


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _shown(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
