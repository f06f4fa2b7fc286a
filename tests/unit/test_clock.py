"""Calendar months and the clock tests move by hand (chassis/clock.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chassis.clock import FixedClock, add_months

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def on(year: int, month: int, day: int, hour: int = 9, tz: timezone = UTC) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


def test_add_months_keeps_the_day_of_month():
    assert add_months(on(2024, 3, 15), 1) == on(2024, 4, 15)


def test_add_months_31_january_plus_one_is_28_february_in_a_common_year():
    assert add_months(on(2023, 1, 31), 1) == on(2023, 2, 28)


def test_add_months_31_january_plus_one_is_29_february_in_a_leap_year():
    assert add_months(on(2024, 1, 31), 1) == on(2024, 2, 29)


def test_add_months_clamps_to_a_30_day_month():
    assert add_months(on(2024, 3, 31), 1) == on(2024, 4, 30)


def test_add_months_plus_12_crosses_into_the_next_year():
    assert add_months(on(2023, 11, 30), 12) == on(2024, 11, 30)
    assert add_months(on(2023, 11, 30), 3) == on(2024, 2, 29)


def test_add_months_from_29_february_plus_12_lands_on_28_february():
    assert add_months(on(2024, 2, 29), 12) == on(2025, 2, 28)


def test_add_months_zero_is_the_same_instant():
    assert add_months(on(2024, 5, 31), 0) == on(2024, 5, 31)


def test_add_months_backwards_crosses_into_the_previous_year():
    assert add_months(on(2024, 1, 31), -2) == on(2023, 11, 30)
    assert add_months(on(2024, 3, 31), -1) == on(2024, 2, 29)


def test_add_months_keeps_the_time_and_the_timezone():
    at = datetime(2024, 1, 31, 23, 59, 58, 123456, tzinfo=BEIJING)

    later = add_months(at, 1)

    assert later == datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=BEIJING)
    assert later.tzinfo is BEIJING


def test_fixed_clock_stands_still_until_moved():
    clock = FixedClock(on(2024, 1, 1))

    assert clock.now() == on(2024, 1, 1)
    assert clock.now() == on(2024, 1, 1)


def test_fixed_clock_advance_moves_it_forward():
    clock = FixedClock(on(2024, 1, 1))

    clock.advance(timedelta(days=61))

    assert clock.now() == on(2024, 3, 2)


def test_fixed_clock_set_jumps_to_a_given_instant():
    clock = FixedClock(on(2024, 1, 1))

    clock.set(add_months(clock.now(), 3))

    assert clock.now() == on(2024, 4, 1)


def test_fixed_clock_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2024, 1, 1, 9))
