"""Chinese working-day calendar and deadline rules (24 h natural hours, N working days).

Official schedules come from chinesecalendar (2004–2026) and from loaded year files
(``calendar/<year>.json``, the State Council notice named in ``source``). A year with
neither is computed on the documented fallback and every answer that touched it is
``provisional``:

    fallback: Monday–Friday are workdays, except the fixed-date statutory holidays
    1 January, 1–2 May and 1–3 October; no make-up (调休) Saturdays.

"Within N working days" is the close of business (18:00 China Standard Time by default)
of the Nth working day strictly after the trigger's local date. A trigger on a holiday
therefore starts counting at the next workday, which is day 1.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import chinese_calendar

#: China Standard Time; Asia/Shanghai has had no DST since 1991, so a fixed offset is exact
CST = timezone(timedelta(hours=8), "Asia/Shanghai")
FALLBACK_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
_RULE = re.compile(r"^(?P<n>[1-9][0-9]{0,2})(?P<unit>h|wd)$")
MAX_RULE_HOURS = 24 * 366
MAX_RULE_WORKDAYS = 250


def _builtin_years() -> range:
    first = min(chinese_calendar.holidays).year
    last = max(max(chinese_calendar.holidays), max(chinese_calendar.workdays)).year
    return range(first, last + 1)


BUILTIN_YEARS = _builtin_years()


class ScheduleError(ValueError):
    """A year schedule file that is malformed or contradicts itself; ``field`` names the culprit."""

    def __init__(self, message: str, field: str = "(root)"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: holidays on weekdays and make-up workdays on weekends."""

    year: int
    source: str
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_dict(cls, data: dict) -> "YearSchedule":
        """Build and check a schedule from its JSON form (see ``calendar/README.md``)."""
        if not isinstance(data, dict):
            raise ScheduleError("a schedule is a JSON object")
        try:
            year = int(data["year"])
        except (KeyError, TypeError, ValueError):
            raise ScheduleError("year: an integer is required", "year") from None
        if isinstance(data["year"], bool) or not 2000 <= year <= 2100:
            raise ScheduleError(f"year {data['year']!r} out of range 2000–2100", "year")
        source = data.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ScheduleError("source must name the official notice", "source")
        source = source.strip()
        days = {}
        for name in ("holidays", "workdays"):
            items = data.get(name, [])
            if not isinstance(items, list):
                raise ScheduleError(f"{name} must be a list of ISO dates", name)
            try:
                days[name] = frozenset(date.fromisoformat(d) for d in items)
            except (TypeError, ValueError):
                raise ScheduleError(f"{name} must be a list of ISO dates (YYYY-MM-DD)", name) from None
            stray = sorted(d for d in days[name] if d.year != year)
            if stray:
                raise ScheduleError(f"dates outside {year}: {stray[0].isoformat()}", name)
        holidays, workdays = days["holidays"], days["workdays"]
        both = sorted(holidays & workdays)
        if both:
            raise ScheduleError(f"{both[0].isoformat()} is both holiday and workday", "workdays")
        return cls(year, source, holidays, workdays)

    def sha256(self) -> str:
        """Content address of the schedule (sha256 of its canonical JSON form)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()

    def to_dict(self) -> dict:
        """The JSON form, with sorted ISO dates."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }


@dataclass(frozen=True)
class Deadline:
    """A computed due instant and whether it rests on a fallback year."""

    due: datetime
    provisional: bool
    rule: str


def parse_rule(rule: str) -> tuple[int, str]:
    """Split ``24h`` / ``3wd`` into (count, unit); anything else raises ValueError."""
    match = _RULE.fullmatch(rule or "")
    if not match:
        raise ValueError(f"unknown deadline rule {rule!r}: use <hours>h or <n>wd, e.g. 24h, 3wd")
    n, unit = int(match["n"]), match["unit"]
    if unit == "h" and n > MAX_RULE_HOURS or unit == "wd" and n > MAX_RULE_WORKDAYS:
        raise ValueError(f"deadline rule {rule!r} is too long")
    return n, unit


class WorkCalendar:
    """Answers "is this a workday" and computes deadlines; immutable once built."""

    def __init__(self, years: dict[int, YearSchedule] | None = None, close_of_business: time = time(18, 0)):
        self._years = dict(years or {})
        self.close_of_business = close_of_business

    def with_year(self, schedule: YearSchedule) -> "WorkCalendar":
        """A new calendar with ``schedule`` loaded (replacing any earlier file for that year)."""
        years = dict(self._years)
        years[schedule.year] = schedule
        return WorkCalendar(years, self.close_of_business)

    @property
    def loaded_years(self) -> dict[int, YearSchedule]:
        """Schedules loaded from files, by year."""
        return dict(self._years)

    def coverage(self) -> list[dict]:
        """Each year with an official schedule and where it comes from, ascending."""
        years = {y: {"year": y, "source": "chinesecalendar", "loaded": False} for y in BUILTIN_YEARS}
        for y, schedule in self._years.items():
            years[y] = {"year": y, "source": schedule.source, "loaded": True}
        return [years[y] for y in sorted(years)]

    def is_official(self, year: int) -> bool:
        """True when ``year`` has an official schedule (built in or loaded)."""
        return year in self._years or year in BUILTIN_YEARS

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """Return (is_workday, provisional) for a calendar date."""
        schedule = self._years.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True, False
            if day in schedule.holidays:
                return False, False
            return day.weekday() < 5, False
        if day.year in BUILTIN_YEARS:
            return chinese_calendar.is_workday(day), False
        fixed = (day.month, day.day) in FALLBACK_HOLIDAYS
        return day.weekday() < 5 and not fixed, True

    def nth_workday_after(self, day: date, n: int) -> tuple[date, bool]:
        """The ``n``-th workday strictly after ``day``, and whether a fallback year was used."""
        provisional = False
        current, found = day, 0
        while found < n:
            current += timedelta(days=1)
            workday, guessed = self.is_workday(current)
            provisional = provisional or guessed
            found += workday
        return current, provisional

    def last_workday(self, first: date, last: date) -> tuple[date, bool]:
        """The last working day from ``first`` to ``last`` (调休 make-up days count, holidays do not), and
        whether a fallback year was used. A period with no working day at all (a week inside the Spring
        Festival) is due on the first working day after it."""
        provisional, current = False, last
        while current >= first:
            workday, guessed = self.is_workday(current)
            provisional = provisional or guessed
            if workday:
                return current, provisional
            current -= timedelta(days=1)
        day, guessed = self.nth_workday_after(last, 1)
        return day, provisional or guessed

    def deadline(self, start: datetime, rule: str) -> Deadline:
        """Due instant of ``rule`` triggered at ``start`` (aware datetime), in UTC.

        Rules: ``<n>h`` natural hours, ``<n>wd`` by close of business of the n-th working day after the
        trigger day, ``by:YYYY-MM-DD`` by close of business of that date, ``lwd:YYYY-MM-DD`` by close of
        business of the last working day of the period ending on that date (see ``last_workday``)."""
        if start.tzinfo is None:
            raise ValueError("start must carry a timezone")
        if rule.startswith("lwd:"):  # a period's duty: due by the period's last working day
            try:
                last = date.fromisoformat(rule[4:])
            except ValueError:
                raise ValueError(f"deadline rule {rule!r}: lwd: needs a date, e.g. lwd:2026-03-31") from None
            day, provisional = self.last_workday(start.astimezone(CST).date(), last)
            due = datetime.combine(day, self.close_of_business, CST).astimezone(timezone.utc)
            # a duty opened after its period's close (a plan made late) is due at once: its timers fire on the
            # next sweep, which escalates it, instead of inside the step that opened it, which would not
            return Deadline(max(due, (start + timedelta(seconds=1)).astimezone(timezone.utc)), provisional, rule)
        if rule.startswith("by:"):  # a date people set (a rectification deadline): its close of business
            try:
                day = date.fromisoformat(rule[3:])
            except ValueError:
                raise ValueError(f"deadline rule {rule!r}: by: needs a date, e.g. by:2026-05-29") from None
            return Deadline(datetime.combine(day, self.close_of_business, CST).astimezone(timezone.utc), False, rule)
        n, unit = parse_rule(rule)
        if unit == "h":
            return Deadline((start + timedelta(hours=n)).astimezone(timezone.utc), False, rule)
        local_day = start.astimezone(CST).date()
        due_day, provisional = self.nth_workday_after(local_day, n)
        due = datetime.combine(due_day, self.close_of_business, CST).astimezone(timezone.utc)
        return Deadline(due, provisional, rule)

    def years_touched(self, start: datetime, due: datetime) -> list[int]:
        """Calendar years a deadline computation from ``start`` to ``due`` depended on."""
        a, b = start.astimezone(CST).year, due.astimezone(CST).year
        return list(range(a, b + 1))


def china_minute(at: datetime | None) -> str:
    """An instant as people in China read it in a message: ``2026-03-05 18:00`` (China time), or ``-``."""
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if at else "-"


def local_date(at: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant (a naive instant is UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(CST).date()


def rule_words(rule: str) -> str:
    """How a deadline rule reads in Chinese: ``7wd`` → 7个工作日, ``24h`` → 24小时."""
    n, unit = parse_rule(rule)
    return f"{n}个工作日" if unit == "wd" else f"{n}小时"
