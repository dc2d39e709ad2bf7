"""Calendar quarters as the program names them: ``2026Q2``."""
from __future__ import annotations

import re
from datetime import date, timedelta

from .errors import ValidationFailed

_QUARTER = re.compile(r"^(?P<year>20\d\d)Q(?P<q>[1-4])$")


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2026Q2"`` → (2026, 2); anything else raises ValueError."""
    match = _QUARTER.fullmatch(text or "")
    if not match:
        raise ValueError(f"quarter {text!r} is not like 2026Q2")
    return int(match["year"]), int(match["q"])


def require_quarter(text: object, field: str = "quarter") -> str:
    """``text`` if it names a quarter, else a 422 naming ``field``."""
    try:
        parse_quarter(text)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(str(exc), field=field, message_zh="季度格式如 2026Q2") from None
    return text


def previous_quarter(text: str) -> str:
    """The quarter before ``text``."""
    year, q = parse_quarter(text)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_of(day: date) -> str:
    """The quarter a calendar day falls in: 2026-05-12 → ``2026Q2``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_end(text: str) -> date:
    """The last day of quarter ``text``: ``2026Q1`` → 2026-03-31."""
    year, q = parse_quarter(text)
    first_of_next = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first_of_next - timedelta(days=1)


def term_quarter(term_start: str, number: int) -> str | None:
    """The calendar quarter of a pairing's ``number``-th term quarter (its assessment comes at the end of the
    term's month 3·number): a term begun 2026-02-01 has its first quarter's assessment in April → ``2026Q2``.
    None when ``term_start`` is not a date."""
    try:
        start = date.fromisoformat(term_start)
    except (TypeError, ValueError):
        return None
    months = start.month - 1 + 3 * int(number) - 1
    return quarter_of(date(start.year + months // 12, months % 12 + 1, 1))


def assessment_quarter(assessment: dict, term_start: str | None) -> str | None:
    """The calendar quarter a pairing's assessment belongs to: its ``quarter`` when that is a label like
    ``2026Q2``, or, for a term-quarter number (1, 2, …), the calendar quarter that term quarter ends in."""
    value = assessment.get("quarter")
    if isinstance(value, str):
        try:
            parse_quarter(value)
            return value
        except ValueError:
            return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0 and term_start:
        return term_quarter(term_start, value)
    return None
