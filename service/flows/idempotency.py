"""Idempotent writes: a request repeated with the same ``Idempotency-Key`` gets the first answer again.

The key row is inserted in the same transaction as the write it guards (so a write and its key commit or
vanish together), then completed with the answer once the write has committed. A repeat of a finished
request replays the answer; a repeat while the first is still running (or died between its commit and
storing the answer) is a 409 to retry; the same key with a different request is a 422.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from ..domain.errors import Conflict, ValidationFailed
from ..store.models import IdempotencyKey
from ..store.uow import UnitOfWork
from .context import Services

#: what a key may look like: 1–64 visible ASCII characters (a UUID is the usual choice)
_KEY = re.compile(r"[\x21-\x7e]{1,64}")
#: keys are kept this long; a repeat after that is a new request
KEEP = timedelta(days=1)
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Replay:
    """The stored answer of the first request with a key."""

    status_code: int
    body: str


def fingerprint(operation: str, body: bytes) -> str:
    """What identifies a request besides its key: the operation with its path values, and the body."""
    return hashlib.sha256(operation.encode() + b"\n" + body).hexdigest()


def begin(svc: Services, uow: UnitOfWork, username: str, key: str, operation: str, body: bytes) -> Replay | None:
    """The stored answer for a repeat of a finished request, or None after reserving the key for this one."""
    if not _KEY.fullmatch(key):
        raise ValidationFailed(f"{HEADER}: 1–64 visible ASCII characters", field=HEADER)
    print_ = fingerprint(operation, body)
    now = svc.clock.now()
    row = uow.idempotency.get(username, key)
    if row is not None and row.created_at < now - KEEP:
        uow.delete(row)
        uow.flush()
        row = None
    if row is None:
        try:
            uow.idempotency.reserve(IdempotencyKey(username=username, key=key, operation=operation,
                                                       fingerprint=print_, created_at=now))
            return None
        except Conflict:
            raise Conflict(f"a request with {HEADER} {key} is being processed; retry shortly") from None
    if row.fingerprint != print_:
        raise ValidationFailed(f"{HEADER} {key} was used for a different request", field=HEADER)
    if row.status_code is None:
        raise Conflict(f"a request with {HEADER} {key} is being processed; retry shortly")
    return Replay(row.status_code, row.response or "")


def finish(uow: UnitOfWork, username: str, key: str, status_code: int, body: str) -> None:
    """Store the answer of the committed write that reserved ``key``."""
    row = uow.idempotency.get(username, key)
    if row is not None and row.status_code is None:
        row.status_code, row.response = status_code, body
        uow.commit()


def purge(svc: Services) -> int:
    """Forget keys older than ``KEEP`` (the ticker runs this, so the table holds about a day of writes)."""
    with svc.uow() as uow:
        dropped = uow.idempotency.drop_before(svc.clock.now() - KEEP)
        uow.commit()
    return dropped
