"""Append-only, hash-chained events: every state change of an instance is one of these."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from ..store.models import Event, Instance
from ..store.uow import UnitOfWork

GENESIS = "0" * 64


def canonical(event: dict) -> bytes:
    """Canonical bytes of an event's content (everything but the hashes)."""
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


#: the fields of an event its hash covers (with the previous hash)
CONTENT_KEYS = ("instance_id", "seq", "type", "actor", "role", "at", "element", "element_name", "data")


def hashed_content(columns: dict) -> dict:
    """The content an event's hash covers, from its column values (``at`` as an instant)."""
    content = {key: columns[key] for key in CONTENT_KEYS}
    content["at"] = columns["at"].astimezone(timezone.utc).isoformat()
    return content


def content_of(ev: Event) -> dict:
    """The hashed content of a stored event."""
    return hashed_content({key: getattr(ev, key) for key in CONTENT_KEYS})


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
    row = {"instance_id": inst.id, "seq": seq, "type": type, "actor": actor, "role": role, "at": at,
           "element": element, "element_name": element_name, "data": json.loads(canonical(data or {}))}
    digest = chain_hash(prev_hash, hashed_content(row))
    uow.insert_row(Event, dict(row, prev_hash=prev_hash, hash=digest))
    inst.head = digest
    return digest


def note(uow: UnitOfWork, inst: Instance, *, type: str, actor: str, at: datetime, role: str | None = None,
         element: str | None = None, element_name: str | None = None, data: dict | None = None) -> None:
    """Append the next event of ``inst``, one that changes no workflow state (a claim, an escalation, an
    assignment), and bump the instance's version like any event."""
    seq = inst.version + 1
    append(uow, inst, seq, type=type, actor=actor, role=role, at=at, element=element, element_name=element_name,
           data=data)
    inst.version = seq
    inst.updated_at = at
