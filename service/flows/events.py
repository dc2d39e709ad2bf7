"""Append-only, hash-chained events: every state change of an instance is one of these."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from ..store.models import Event, Instance
from ..store.uow import UnitOfWork

GENESIS = "0" * 64
#: event types that change workflow state and are re-applied by replay
STATE_EVENTS = ("start", "complete", "timer", "message", "rearm")


def canonical(event: dict) -> bytes:
    """Canonical bytes of an event's content (everything but the hashes)."""
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


#: the fields of an event its hash covers (with the previous hash)
CONTENT_KEYS = ("instance_id", "seq", "type", "actor", "role", "at", "element", "element_name", "data")


def content_of(ev: Event) -> dict:
    """The hashed content of a stored event."""
    return {
        "instance_id": ev.instance_id,
        "seq": ev.seq,
        "type": ev.type,
        "actor": ev.actor,
        "role": ev.role,
        "at": ev.at.astimezone(timezone.utc).isoformat(),
        "element": ev.element,
        "element_name": ev.element_name,
        "data": ev.data,
    }


def chain_hash(prev_hash: str, content: dict) -> str:
    """sha256 over the previous hash and the canonical event."""
    return hashlib.sha256(prev_hash.encode() + canonical(content)).hexdigest()


def append(uow: UnitOfWork, inst: Instance, seq: int, *, type: str, actor: str,
           at: datetime, role: str | None = None, element: str | None = None,
           element_name: str | None = None, data: dict | None = None) -> str:
    """Write event ``seq`` of ``inst`` now, chained to the instance's head; move the head to it and return it.

    The row is written as a plain INSERT (events are never updated), with ``data`` as stored JSON reads it
    back, so that the hash computed here is the one a verifier recomputes from the row."""
    prev_hash = inst.head or GENESIS
    content = {"instance_id": inst.id, "seq": seq, "type": type, "actor": actor, "role": role,
               "at": at.astimezone(timezone.utc).isoformat(), "element": element, "element_name": element_name,
               "data": json.loads(canonical(data or {}))}
    digest = chain_hash(prev_hash, content)
    uow.insert_row(Event, dict(content, at=at, prev_hash=prev_hash, hash=digest))
    inst.head = digest
    return digest
