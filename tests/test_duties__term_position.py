"""Where a calendar-driven term stands on a day (the overview's 第N月·第N周), numbered as the pairing numbers
its months and weeks (a week belongs to the month holding its Monday)."""
from __future__ import annotations

from datetime import date

import pytest

from service.domain.duties import term_position
from service.domain.periods import weeks_of_month


@pytest.mark.parametrize("day,expected", [
    ("2026-01-05", (1, 1)), ("2026-01-11", (1, 1)), ("2026-01-12", (1, 2)),
    ("2026-02-04", (1, 5)),   # month 1's last day, in the week of 2 Feb
    ("2026-02-05", (2, 5)),   # month 2 has begun; the week of 2 Feb is still month 1's fifth
    ("2026-02-09", (2, 6)), ("2026-03-05", (3, 9)), ("2026-04-02", (3, 13)),
    ("2026-05-01", (3, 13)),  # past the months opened: where the last one left off
])
def test_the_month_and_week_of_a_day(day, expected):
    assert term_position("2026-01-05", 3, date.fromisoformat(day)) == expected


def test_weeks_count_across_the_term_as_the_months_open_them():
    start, total = "2026-01-31", 0
    for k in (1, 2, 3):
        weeks = weeks_of_month(start, k)
        for i, week in enumerate(weeks, start=1):
            assert term_position(start, 3, date.fromisoformat(week["first"]))[1] == total + i
        total += len(weeks)


def test_no_term_no_position():
    assert term_position(None, 3, date(2026, 3, 1)) == (None, None)
    assert term_position("2026-01-05", 0, date(2026, 3, 1)) == (None, None)  # the plan not made: no month open
    assert term_position("2026-01-05", 1, date(2026, 3, 1)) == (1, 5)       # only month 1 opened so far
