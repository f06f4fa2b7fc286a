"""CUS-11 composition analysis: sales share, Pareto, ABC, as pure functions."""

from services.customer.analysis import UNSPECIFIED, AbcClass, abc, pareto, shares


def test_cus_11_sales_share_per_key_adds_up_to_100_largest_first() -> None:
    slices = shares([("c1", "pumps", 600), ("c2", "pumps", 200), ("c2", "valves", 150), ("c3", None, 50)])
    assert [(s.key, s.amount_fen, s.share, s.customers) for s in slices] == [
        ("pumps", 800, 80.0, 2), ("valves", 150, 15.0, 1), (UNSPECIFIED, 50, 5.0, 1)]
    assert shares([]) == []


def test_cus_11_pareto_marks_the_customers_who_make_80_percent_of_sales() -> None:
    entries = pareto({"small": 50, "big": 600, "mid": 250, "tiny": 100})
    assert [(e.customer_id, e.cumulative_share, e.core) for e in entries] == [
        ("big", 60.0, True), ("mid", 85.0, True),  # mid crosses 80 %: it is needed to reach it
        ("tiny", 95.0, False), ("small", 100.0, False)]


def test_cus_11_abc_by_three_month_average_monthly_sales() -> None:
    entries = abc({"c1": 2_400, "c2": 300, "c3": 150, "c4": 150})  # 3 months: averages 800, 100, 50, 50
    assert [(e.customer_id, e.average_monthly_fen, e.abc) for e in entries] == [
        ("c1", 800, AbcClass.A), ("c2", 100, AbcClass.B), ("c3", 50, AbcClass.B), ("c4", 50, AbcClass.C)]
    assert [e.abc for e in abc({"c1": 300, "c2": 300}, a_percent=50.0)] == [AbcClass.A, AbcClass.B]
