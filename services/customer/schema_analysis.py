"""The customer subgraph's CUS-11 sales analyses (share, Pareto, ABC): their types and resolvers."""

from datetime import datetime
from typing import Annotated

import strawberry

from chassis.clock import add_months
from chassis.errors import Invalid
from chassis.scalars import Fen
from services.customer import analysis, domain, policy
from services.customer.schema_cards import Customer, Info, shown
from services.customer.schema_types import AbcClass, ShareDimension


@strawberry.type(description="CUS-11: one slice of the sales (a level, a region or a product line)")
class SalesShareSlice:
    key: str = strawberry.field(description="the level, region or product line; UNSPECIFIED when none")
    amount_fen: Fen
    share: float = strawberry.field(description="percent of the total, 0–100")
    customer_count: int


@strawberry.type(description="CUS-11: sales share by level, region or product line, largest first")
class SalesShare:
    by: ShareDimension
    start: datetime
    end: datetime
    total_fen: Fen
    slices: list[SalesShareSlice]


@strawberry.type
class ParetoPoint:
    customer: Customer
    amount_fen: Fen
    share: float
    cumulative_share: float
    core: bool = strawberry.field(description="among the customers who make the first cutPercent of sales")


@strawberry.type(description="CUS-11: which customers make 80% of sales, largest first")
class ParetoAnalysis:
    start: datetime
    end: datetime
    total_fen: Fen
    cut_percent: float
    customer_count: int
    core_count: int
    points: list[ParetoPoint] = strawberry.field(description="the first `first` customers, largest first")


@strawberry.type
class AbcClassSummary:
    abc: AbcClass
    customer_count: int
    average_monthly_fen: Fen
    share: float


@strawberry.type
class AbcCustomer:
    customer: Customer
    average_monthly_fen: Fen
    cumulative_share: float
    abc: AbcClass


@strawberry.type(description="CUS-11: ABC by the average monthly sales of the 3 months up to asOf")
class AbcAnalysis:
    start: datetime
    end: datetime
    classes: list[AbcClassSummary]
    customers: list[AbcCustomer] = strawberry.field(description="the first `first` customers, largest first")


async def _sales(info: Info, start: datetime, end: datetime
                 ) -> tuple[list[tuple[str, str | None, int]], dict[str, domain.Customer]]:
    """CUS-11's input: the sales in (start, end] with their customers; a region role's: their region's."""
    scope = policy.statistics(info.context.caller)
    if end <= start:
        raise Invalid("to", "must be after from")
    store = info.context.service.store
    totals = await store.sales_totals(start, end)
    customers = await store.get_many(sorted({c for c, _, _ in totals}))
    totals = [t for t in totals if t[0] in customers and scope.covers(None, customers[t[0]].region)]
    return totals, customers


def _window(info: Info, start: datetime | None, end: datetime | None, months: int) -> tuple[datetime, datetime]:
    end = end or info.context.service.clock.now()
    return start or add_months(end, -months), end


def _per_customer(totals: list[tuple[str, str | None, int]]) -> dict[str, int]:
    amounts: dict[str, int] = {}
    for customer_id, _, fen in totals:
        amounts[customer_id] = amounts.get(customer_id, 0) + fen
    return amounts


@strawberry.field(description="CUS-11: sales share by level, region or product line in (from, to]; "
                              "default: the 12 months up to now")
async def sales_share(info: Info, by: ShareDimension, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None, to: datetime | None = None) -> SalesShare:
    start, end = _window(info, from_, to, 12)
    totals, customers = await _sales(info, start, end)

    def key(customer_id: str, product_line: str | None) -> str | None:
        if by is ShareDimension.PRODUCT_LINE:
            return product_line
        c = customers.get(customer_id)
        if c is None:
            return None
        return (c.level.value if c.level else None) if by is ShareDimension.LEVEL else c.region

    slices = analysis.shares([(c, key(c, p), fen) for c, p, fen in totals])
    return SalesShare(by=by, start=start, end=end, total_fen=sum(s.amount_fen for s in slices),
                      slices=[SalesShareSlice(key=s.key, amount_fen=s.amount_fen, share=s.share,
                                              customer_count=s.customers) for s in slices])

@strawberry.field(description="CUS-11: Pareto view: the customers who make `cutPercent` of sales in (from, to]")
async def sales_pareto(info: Info, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
                       to: datetime | None = None, cut_percent: float = 80.0, first: int = 100
                       ) -> ParetoAnalysis:
    if not 0 < cut_percent <= 100:
        raise Invalid("cutPercent", "must be above 0 and at most 100")
    if not 1 <= first <= 1000:
        raise Invalid("first", "must be between 1 and 1000")
    start, end = _window(info, from_, to, 12)
    totals, customers = await _sales(info, start, end)
    entries = [e for e in analysis.pareto(_per_customer(totals), cut_percent) if e.customer_id in customers]
    first_entries = entries[:first]
    nodes = shown(info, [customers[e.customer_id] for e in first_entries])
    return ParetoAnalysis(
        start=start, end=end, total_fen=sum(e.amount_fen for e in entries), cut_percent=cut_percent,
        customer_count=len(entries), core_count=sum(e.core for e in entries),
        points=[ParetoPoint(customer=n, amount_fen=e.amount_fen, share=e.share, cumulative_share=e.cumulative_share,
                            core=e.core) for n, e in zip(nodes, first_entries, strict=True)])

@strawberry.field(description="CUS-11: ABC by the average monthly sales of the 3 months up to asOf (now)")
async def abc_analysis(info: Info, as_of: datetime | None = None, first: int = 100) -> AbcAnalysis:
    if not 1 <= first <= 1000:
        raise Invalid("first", "must be between 1 and 1000")
    start, end = _window(info, None, as_of, 3)
    totals, customers = await _sales(info, start, end)
    settings = info.context.service.settings
    entries = [e for e in analysis.abc(_per_customer(totals), settings.abc_a_percent, settings.abc_b_percent)
               if e.customer_id in customers]
    total = sum(e.average_monthly_fen for e in entries)
    classes = []
    for cls in analysis.AbcClass:
        mine = [e for e in entries if e.abc is cls]
        fen = sum(e.average_monthly_fen for e in mine)
        classes.append(AbcClassSummary(abc=cls, customer_count=len(mine), average_monthly_fen=fen,
                                       share=round(100.0 * fen / total, 2) if total else 0.0))
    first_entries = entries[:first]
    nodes = shown(info, [customers[e.customer_id] for e in first_entries])
    return AbcAnalysis(start=start, end=end, classes=classes, customers=[
        AbcCustomer(customer=n, average_monthly_fen=e.average_monthly_fen, cumulative_share=e.cumulative_share,
                    abc=e.abc) for n, e in zip(nodes, first_entries, strict=True)])
