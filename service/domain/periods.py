"""Periods of the program on the calendar: term months, weeks, calendar quarters (pure date arithmetic).

The rules, as the README states them:

* **Term months** are counted from the term's start date: month *k* runs from ``start + (k-1) months`` to the
  day before ``start + k months``. A start on the 29th–31st clamps to the month's last day where that month is
  shorter (a term from 31 January: month 2 starts 28 February, month 3 on 31 March), always counted from the
  start, never chained from the previous month.
* **Weeks** are calendar weeks, Monday to Sunday. A term month holds the weeks whose first day (their Monday,
  or the term's start) falls inside it; the week's spot check is due by the week's last working day.
* **Quarters** are calendar quarters (季度末: the end of March, June, September and December). A term is
  assessed at each quarter end that falls inside the term after at least one full term month of work.

Every function takes and returns ISO dates (``YYYY-MM-DD``) so BPMN expressions can call them and their
results are plain data in the workflow state.
"""
from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, time, timedelta, timezone

from .quarters import quarter_of

CST = timezone(timedelta(hours=8), "Asia/Shanghai")


def _day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def add_months(start: str | date, n: int) -> date:
    """``start`` moved ``n`` calendar months on, clamped to the target month's last day."""
    day = _day(start)
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _span(first: date, last: date) -> dict:
    return {"first": first.isoformat(), "last": last.isoformat()}


def month_range(start: str | date, k: int) -> dict:
    """Term month ``k`` (1-based) of a term starting on ``start``: ``{"first", "last"}``."""
    if k < 1:
        raise ValueError("term months count from 1")
    return _span(add_months(start, k - 1), add_months(start, k) - timedelta(days=1))


def term_last_day(start: str | date, months: int) -> str:
    """The last day of a term of ``months`` months from ``start``."""
    return (add_months(start, months) - timedelta(days=1)).isoformat()


def week_range(day: str | date) -> dict:
    """The calendar week (Monday to Sunday) holding ``day``."""
    d = _day(day)
    monday = d - timedelta(days=d.weekday())
    return _span(monday, monday + timedelta(days=6))


def weeks_of_month(start: str | date, k: int) -> list[dict]:
    """The weeks term month ``k`` holds: each week whose first day (its Monday, or the term start for the
    first week) falls inside the month, as ``{"first", "last"}`` with ``first`` clipped to the term start."""
    month = month_range(start, k)
    first, last, term_start = _day(month["first"]), _day(month["last"]), _day(start)
    out = []
    monday = first - timedelta(days=first.weekday())
    if monday < first:  # the week already under way when the month begins
        if k == 1:  # the term's first days: a week of its own from the start
            out.append(_span(max(first, term_start), monday + timedelta(days=6)))
        monday += timedelta(days=7)
    while monday <= last:
        out.append(_span(monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out


def quarter_range(day: str | date) -> dict:
    """The calendar quarter holding ``day``."""
    d = _day(day)
    q = (d.month - 1) // 3
    first = date(d.year, 3 * q + 1, 1)
    return _span(first, add_months(first, 3) - timedelta(days=1))


def quarter_label(day: str | date) -> str:
    """The quarter holding ``day`` as the program names it: ``2026Q2``."""
    return quarter_of(_day(day))


def assessed_quarters(start: str | date, months: int) -> list[dict]:
    """The calendar quarters a term is assessed at: each quarter whose last day falls inside the term, on or
    after the end of the term's first month (at least one full month of work); ``{"quarter", "first", "last"}``."""
    first_month_end = _day(month_range(start, 1)["last"])
    term_end = _day(term_last_day(start, months))
    out = []
    q = _day(quarter_range(start)["first"])
    while q <= term_end:
        span = quarter_range(q)
        end = _day(span["last"])
        if first_month_end <= end <= term_end:
            out.append({"quarter": quarter_label(q), **span})
        q = add_months(q, 3)
    return out


def add_days(day: str | date, n: int) -> str:
    """``day`` plus ``n`` days."""
    return (_day(day) + timedelta(days=n)).isoformat()


def later(a: str, b: str) -> str:
    """The later of two ISO dates."""
    return max(_day(a), _day(b)).isoformat()


def opens_at(day: str | date) -> str:
    """The instant a period's work opens: 00:00 China time of ``day``, as an ISO instant in UTC."""
    return datetime.combine(_day(day), time(0, 0), CST).astimezone(timezone.utc).isoformat()


#: working days the committee has to score a month's duties: scoring opens this many working days before
#: the month's last working day, on which it is due (the checks of all but the last week are filed by then)
SCORING_WORKDAYS = 5


def duty_schedule(day: date, calendar) -> dict:
    """The 党员责任认领 periods current on ``day`` (a China date), on ``calendar`` (a ``WorkCalendar``); the
    week's and month's checks are those of ``day`` itself, with the claims of its quarter:

    * ``quarter``: the calendar quarter whose claiming is open (from its first day);
    * ``month``: the month whose 党小组会 are open (from its first day);
    * ``score_month``: the month whose scoring is open — from ``SCORING_WORKDAYS`` working days before the
      month's last working day (February 2026: from the 24th, due the 调休 Saturday the 28th) — or None.

    A period is opened while it is current; one missed entirely (the service down throughout) is opened by
    hand (``branchflow duty open-…``)."""
    month = day.strftime("%Y-%m")
    first = day.replace(day=1)
    last_day, _ = calendar.last_workday(first, _day(month_range(first, 1)["last"]))
    opens, found = last_day, 1
    while found < SCORING_WORKDAYS and opens > first:
        opens -= timedelta(days=1)
        found += calendar.is_workday(opens)[0]
    return {"quarter": quarter_label(day), "month": month, "score_month": month if day >= opens else None}
