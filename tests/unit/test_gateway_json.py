"""The gateway's JSON: fast, and exact for the integers JSON allows past 64 bits."""

from gateway import jsonio

HUGE = 2**70 + 1


def test_an_integer_past_64_bits_is_read_exactly() -> None:
    assert jsonio.loads(b'{"data": {"x": %d}}' % HUGE) == {"data": {"x": HUGE}}


def test_an_integer_past_64_bits_is_written_exactly() -> None:
    assert jsonio.loads(jsonio.dumps({"x": HUGE, "name": "上海"})) == {"x": HUGE, "name": "上海"}


def test_ordinary_answers_round_trip() -> None:
    answer = {"data": {"customer": {"name": "Acme", "limitFen": 2**53 - 1, "rate": 0.5, "tags": [None, True]}}}
    assert jsonio.loads(jsonio.dumps(answer)) == answer
