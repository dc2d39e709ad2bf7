"""Calendar quarters as the program names them: ``2026Q2``."""
from __future__ import annotations

import re
from datetime import datetime

from .calendar import CST

_QUARTER = re.compile(r"^(?P<year>20\d\d)Q(?P<q>[1-4])$")


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2026Q2"`` → (2026, 2); anything else raises ValueError."""
    match = _QUARTER.match(text or "")
    if not match:
        raise ValueError(f"quarter {text!r} is not like 2026Q2")
    return int(match["year"]), int(match["q"])


def previous_quarter(text: str) -> str:
    """The quarter before ``text``."""
    year, q = parse_quarter(text)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_of(at: datetime) -> str:
    """The quarter an instant falls in, in China time."""
    local = at.astimezone(CST)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"
