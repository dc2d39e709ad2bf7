"""The one injectable clock: production reads the system time, tests and replay travel."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


def aware(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime; naive input is refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: a timezone is required")
    return value.astimezone(timezone.utc)


class Clock:
    """System time, unless frozen at an instant (``BRANCHFLOW_NOW``, tests, replay)."""

    def __init__(self, start: datetime | None = None):
        self._lock = threading.Lock()
        self._frozen = aware(start) if start is not None else None

    @property
    def frozen(self) -> bool:
        """True when the clock does not follow the system time."""
        return self._frozen is not None

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
        return datetime.now(timezone.utc)

    def set(self, instant: datetime) -> None:
        """Freeze the clock at ``instant``."""
        with self._lock:
            self._frozen = aware(instant)

    def advance(self, delta: timedelta) -> datetime:
        """Move a frozen clock forward by ``delta`` and return the new instant."""
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("only a frozen clock can travel")
            self._frozen = self._frozen + delta
            return self._frozen
