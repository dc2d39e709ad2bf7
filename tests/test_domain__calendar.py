"""Working-day deadlines on the real Chinese calendar (chinesecalendar) and the provisional fallback."""
from __future__ import annotations

from datetime import datetime

import pytest

from service.domain.calendar import CST, WorkCalendar, YearSchedule

cal = WorkCalendar()


def due(start: str, rule: str) -> tuple[str, bool]:
    d = cal.deadline(datetime.fromisoformat(start), rule)
    return d.due.astimezone(CST).isoformat(), d.provisional


@pytest.mark.parametrize("start,rule,expected", [
    # National Day 2026: 1–7 Oct off, Sat 10 Oct a make-up workday
    ("2026-09-30T10:00:00+08:00", "3wd", "2026-10-10T18:00:00+08:00"),
    ("2026-10-03T10:00:00+08:00", "1wd", "2026-10-08T18:00:00+08:00"),  # trigger on a holiday
    # Spring Festival 2026: 15–23 Feb off, Sat 14 Feb and Sat 28 Feb make-up workdays
    ("2026-02-13T10:00:00+08:00", "3wd", "2026-02-25T18:00:00+08:00"),
    ("2026-02-26T10:00:00+08:00", "2wd", "2026-02-28T18:00:00+08:00"),
    # May Day 2025: 1–5 May off, Sun 27 Apr make-up workday
    ("2025-04-25T17:00:00+08:00", "1wd", "2025-04-27T18:00:00+08:00"),
    ("2025-04-30T09:00:00+08:00", "5wd", "2025-05-12T18:00:00+08:00"),
    # National Day 2025: 1–8 Oct off, Sun 28 Sep and Sat 11 Oct workdays
    ("2025-09-26T09:00:00+08:00", "6wd", "2025-10-11T18:00:00+08:00"),
    ("2025-09-26T09:00:00+08:00", "7wd", "2025-10-13T18:00:00+08:00"),
    # year end: New Year 2026 is 1–3 Jan off, Sun 4 Jan a make-up workday
    ("2025-12-31T10:00:00+08:00", "1wd", "2026-01-04T18:00:00+08:00"),
    # May Day 2026: 1–5 May off, Sat 9 May a make-up workday
    ("2026-04-30T10:00:00+08:00", "2wd", "2026-05-07T18:00:00+08:00"),
    ("2026-05-03T10:00:00+08:00", "3wd", "2026-05-08T18:00:00+08:00"),  # trigger on a holiday
    ("2026-05-07T10:00:00+08:00", "2wd", "2026-05-09T18:00:00+08:00"),
    # month end and a late trigger: 23:30 UTC on the 31st is already 1 Aug in Shanghai
    ("2026-07-31T23:30:00+00:00", "1wd", "2026-08-03T18:00:00+08:00"),
    ("2026-03-02T09:00:00+08:00", "24h", "2026-03-03T09:00:00+08:00"),
])
def test_official_deadlines(start, rule, expected):
    assert due(start, rule) == (expected, False)


def test_deadline_into_a_year_without_schedule_is_provisional_and_recomputed_when_loaded():
    assert due("2026-12-29T09:00:00+08:00", "5wd") == ("2027-01-06T18:00:00+08:00", True)
    # a hypothetical schedule (test data, not an official notice): 4–5 Jan off
    loaded = cal.with_year(YearSchedule.from_dict(
        {"year": 2027, "source": "test fixture", "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
         "workdays": ["2027-01-09"]}))
    d = loaded.deadline(datetime.fromisoformat("2026-12-29T09:00:00+08:00"), "5wd")
    assert (d.due.astimezone(CST).isoformat(), d.provisional) == ("2027-01-08T18:00:00+08:00", False)


@pytest.mark.parametrize("rule", ["", "3", "0wd", "3d", "wd", "99999h", "1000wd"])
def test_bad_rules_are_refused(rule):
    with pytest.raises(ValueError):
        cal.deadline(datetime.fromisoformat("2026-03-02T09:00:00+08:00"), rule)


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        cal.deadline(datetime(2026, 3, 2, 9), "3wd")
