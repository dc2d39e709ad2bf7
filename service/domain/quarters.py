"""Calendar quarters as the program names them: ``2026Q2``."""
from __future__ import annotations

import re

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
