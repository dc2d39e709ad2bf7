"""Per-process flags read from the database at most once per ``TTL``: whether a rarely used setting is in
use at all (a current deputy period, a chosen new-待办 channel), so the request path asks no question per
request while nobody uses it. A change made on this worker counts at once (``forget``), one made on
another worker within ``TTL``."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from .context import Services

TTL = timedelta(seconds=30)
_FLAGS: dict[tuple[int, str], tuple[datetime, bool]] = {}


def flag(svc: Services, name: str, read: Callable[[], bool]) -> bool:
    """The flag ``name`` of this service: ``read()`` when unknown or older than ``TTL`` by the service's clock."""
    now, key = svc.clock.now(), (id(svc), name)
    hit = _FLAGS.get(key)
    if hit is None or not (hit[0] <= now < hit[0] + TTL):
        hit = _FLAGS[key] = (now, bool(read()))
    return hit[1]


def forget(svc: Services, name: str) -> None:
    """Read flag ``name`` again on its next use (after a change that may turn it on)."""
    _FLAGS.pop((id(svc), name), None)
