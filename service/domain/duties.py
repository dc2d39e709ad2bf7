"""The duties the supervisor's overview (督导看板) counts, and the periods it counts them in.

``DUTY_KINDS`` is the one table that says which BPMN user task is which duty. It is keyed by element id
only, whatever process the task runs in (a weekly spot check may live in ``pairing_month`` today and in
another child process tomorrow): edit this table when a diagram gains, renames or moves a duty.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta

from . import periods as P
from .calendar import CST
from .quarters import quarter_of


@dataclass(frozen=True)
class DutyKind:
    """A column of the overview: its key, its Chinese label, and who owes it (``helper``/``branch``/``supervisor``)."""

    key: str
    label: str
    owner: str


#: the columns, in display order
KINDS: tuple[DutyKind, ...] = (
    DutyKind("visits", "下沉指导", "helper"),
    DutyKind("spot_check", "每周抽查", "helper"),
    DutyKind("remedial", "24小时补救", "helper"),
    DutyKind("monthly_report", "月度进展", "branch"),
    DutyKind("quiz", "应知应会测试", "branch"),
    DutyKind("helper_report", "季度汇报", "helper"),
    DutyKind("plan", "提升方案", "branch"),
    DutyKind("workdays", "限期事项（3/5/7工作日）", "helper"),
    DutyKind("assessment", "考核验收", "supervisor"),
    DutyKind("interview", "约谈", "supervisor"),
)
KIND_BY_KEY = {k.key: k for k in KINDS}

#: BPMN element id → duty kind key (the one place to edit when diagrams change)
DUTY_KINDS: dict[str, str] = {
    # pairing_monthly (and the older pairing_month: keyed by element, wherever a diagram puts them)
    "guidance_visits": "visits",
    "spot_check": "spot_check",
    "remedial": "remedial",            # 24 h
    "monthly_progress": "monthly_report",
    # pairing_quarterly (older pairings: the pairing itself)
    "knowledge_quiz": "quiz",
    "helper_report": "helper_report",
    "improvement_plan": "plan",
    "remake_plan": "plan",             # pairing_quarterly: the plan remade after a quarter below 60
    "supply_tools": "workdays",        # 3 working days
    "urgent_plan": "workdays",         # 7 working days
    "coordinate": "workdays",          # resource_request, 5 working days
    "adjust": "workdays",              # guidance_feedback, 5 working days
    "plan": "workdays",                # rectification: the branch's plan, 7 working days
    "assessment": "assessment",
    "acceptance": "assessment",
    "interview": "interview",          # 约谈支部书记 (quarter below 80)
    "final_interview": "interview",    # 约谈书记并限期整改
    "committee_interview": "interview",  # plaque_rating: 争先 two quarters running
}
#: kinds whose rows count as a 约谈 the branch's secretary received
INTERVIEW_KINDS = frozenset({"interview"})


def elements_of(kind: str) -> list[str]:
    """The element ids of a duty kind."""
    return sorted(e for e, k in DUTY_KINDS.items() if k == kind)


# -- periods (China dates; instants in UTC at China midnight) -----------------------------------------

_MONTH = re.compile(r"^(?P<y>20\d\d)-(?P<m>0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(?P<y>20\d\d)Q(?P<q>[1-4])$")


@dataclass(frozen=True)
class Period:
    """A calendar month (``2026-03``) or quarter (``2026Q1``) in China time."""

    key: str
    first: date   # first day
    end: date     # first day after

    @property
    def start_at(self) -> datetime:
        """The period's first instant (China midnight)."""
        return midnight(self.first)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period."""
        return midnight(self.end)

    @property
    def label(self) -> str:
        """Chinese: ``2026年3月`` or ``2026年第1季度``."""
        if "Q" in self.key:
            return f"{self.first.year}年第{self.key[-1]}季度"
        return f"{self.first.year}年{self.first.month}月"

    def months(self) -> list["Period"]:
        """The months of the period."""
        out, d = [], self.first
        while d < self.end:
            out.append(month_period(f"{d.year}-{d.month:02d}"))
            d = _add_months(d, 1)
        return out


def midnight(day: date) -> datetime:
    """China midnight at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=CST)


def _add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_period(text: str) -> Period:
    """``2026-03`` → that month; anything else raises ValueError."""
    match = _MONTH.fullmatch(text or "")
    if not match:
        raise ValueError(f"month {text!r} is not like 2026-03")
    first = date(int(match["y"]), int(match["m"]), 1)
    return Period(text, first, _add_months(first, 1))


def quarter_period(text: str) -> Period:
    """``2026Q1`` → that quarter; anything else raises ValueError."""
    match = _QUARTER.fullmatch(text or "")
    if not match:
        raise ValueError(f"quarter {text!r} is not like 2026Q1")
    first = date(int(match["y"]), 3 * int(match["q"]) - 2, 1)
    return Period(text, first, _add_months(first, 3))


def duty_month(due_at: datetime | None, created_at: datetime) -> str:
    """The China month (``2026-03``) a duty belongs to: that of its due time, or of its opening without one."""
    local = (due_at or created_at).astimezone(CST)
    return f"{local.year}-{local.month:02d}"


def month_of(at: datetime) -> Period:
    """The China month holding instant ``at``."""
    local = at.astimezone(CST)
    return month_period(f"{local.year}-{local.month:02d}")


def months_back(last: Period, count: int) -> list[Period]:
    """``count`` months ending with the month holding ``last``'s last day, oldest first."""
    final = _add_months(last.end, -1)
    return [month_period(f"{d.year}-{d.month:02d}") for d in (_add_months(final, -i) for i in range(count - 1, -1, -1))]


def quarters_back(last: Period, count: int) -> list[str]:
    """``count`` quarters ending with the quarter holding ``last``'s last day, oldest first."""
    day = _add_months(last.end, -1)
    year, q = day.year, (day.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out[::-1]


def weeks_back(last: Period, count: int, now: datetime) -> list[date]:
    """Ends of ``count`` weeks (Sundays, China dates) up to the period's end or today, whichever is first."""
    today = now.astimezone(CST).date()
    limit = min(last.end - timedelta(days=1), today)
    sunday = limit + timedelta(days=(6 - limit.weekday()))
    return [sunday - timedelta(weeks=i) for i in range(count - 1, -1, -1)]


def assessment_quarter(index: object, opened: datetime | None, term_start: str | None) -> str | None:
    """The calendar quarter of an assessment entry: ``2026Q1`` as the entry gives it; else (older pairings
    number quarters from the term's start) the quarter of the day before its task opened (an assessment
    opens at the end of its quarter); else the quarter holding the last month of the term's quarter."""
    if isinstance(index, str) and _QUARTER.fullmatch(index):
        return index
    if opened is not None:
        return quarter_of((opened.astimezone(CST) - timedelta(days=1)).date())
    return term_quarter(term_start, index)


def term_quarter(term_start: str | None, index: object) -> str | None:
    """The calendar quarter holding the last month of the ``index``-th quarter of a term starting on
    ``term_start`` (``2026Q1`` passes through)."""
    if isinstance(index, str) and _QUARTER.fullmatch(index):
        return index
    if isinstance(index, bool) or not isinstance(index, int) or index < 1 or not term_start:
        return None
    try:
        start = date.fromisoformat(str(term_start)[:10])
    except ValueError:
        return None
    return quarter_of(_add_months(date(start.year, start.month, 1), 3 * index - 1))


@lru_cache(maxsize=256)
def _term_calendar(start: date, months: int) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """First days of a term's months 1..``months`` and of its weeks, in order (weeks numbered as the pairing does)."""
    firsts = tuple(date.fromisoformat(P.month_range(start, k)["first"]) for k in range(1, months + 1))
    weeks = tuple(date.fromisoformat(w["first"]) for k in range(1, months + 1) for w in P.weeks_of_month(start, k))
    return firsts, weeks


def term_position(term_start: str | None, opened: object, day: date) -> tuple[int | None, int | None]:
    """(term month, term week) holding ``day`` in a calendar-driven term from ``term_start`` (weeks numbered
    across the term as the pairing numbers them), capped at ``opened``, the latest month the pairing opened
    (its extension month included); (None, None) without a term start or before its first month opened."""
    try:
        start = date.fromisoformat(str(term_start)[:10])
    except (TypeError, ValueError):
        return None, None
    if not isinstance(opened, int) or isinstance(opened, bool) or opened < 1:
        return None, None
    firsts, weeks = _term_calendar(start, opened)
    return max(bisect_right(firsts, day), 1), max(bisect_right(weeks, day), 1)


# -- colours ------------------------------------------------------------------------------------------


def cell_tone(due: int, late: int, overdue: int) -> str:
    """How a cell is coloured: ``bad`` (something overdue now), ``warn`` (something done late), ``good``
    (every duty of the period on time so far), ``none`` (nothing due)."""
    if overdue:
        return "bad"
    if late:
        return "warn"
    return "good" if due else "none"


def rate_tone(rate: float | None) -> str:
    """Heat-map shade of an on-time share: ``r0`` (none due) … ``r4`` (≥ 95 %)."""
    if rate is None:
        return "r0"
    return "r4" if rate >= 0.95 else "r3" if rate >= 0.8 else "r2" if rate >= 0.6 else "r1"
