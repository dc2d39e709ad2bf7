"""Signed checkpoints: the audit chains anchored outside the database.

A hash chain proves an instance's events are consistent, not that nobody with write access to the
database rewrote them and recomputed every hash. So, as Certificate Transparency does with signed tree
heads, the service periodically signs (Ed25519, the private key in a file outside the database) the
Merkle root over every instance's (id, last event, chain head), appends the checkpoint to its table, and
hands it to witnesses: a JSON-lines file the auditor keeps (``BRANCHFLOW_CHECKPOINT_LOG``) and a message
to every auditor through the outbox (e-mail / webhook). Each witness line also carries the hash of every
event added since the previous checkpoint, so a later rewrite is located to the instance and the event.

``verify_witnessed`` checks a witness log with the public key and then the database against it; an
export carries the inclusion proof of its instance in the newest checkpoint, checked offline by
``verify_inclusion``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..domain import merkle
from ..domain.errors import BranchflowError, Conflict, ValidationFailed
from ..store.models import Checkpoint
from ..store.uow import UnitOfWork
from . import notify
from .context import Services

log = logging.getLogger(__name__)

FORMAT = "branchflow-checkpoint/1"
GENESIS = "0" * 64
#: the fields the signature covers, in the signed message's canonical JSON
SIGNED = ("format", "seq", "at", "size", "root", "prev", "delta_sha256", "key_id")


# -- keys ---------------------------------------------------------------------------------------


def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key to ``path`` (PEM, mode 0600) and its public key to ``path.pub``;
    return the public key (base64)."""
    if path.exists():
        raise BranchflowError(f"{path} exists: a signing key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = public_key_text(key.public_key())
    Path(f"{path}.pub").write_text(public + "\n", encoding="ascii")
    return public


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def load_private(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path``."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise BranchflowError(f"{path} is not an Ed25519 private key")
    return key


def load_public(text: str) -> Ed25519PublicKey:
    """A public key from its base64 text (as ``generate_key`` prints it) or a file holding that text."""
    if os.path.exists(text):
        text = Path(text).read_text(encoding="ascii")
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as exc:
        raise ValidationFailed(f"not an Ed25519 public key: {exc}", field="public_key") from None


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of its sha256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- making checkpoints --------------------------------------------------------------------------


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def leaf_bytes(instance_id: str, seq: int, head: str) -> bytes:
    """A leaf of the checkpoint tree: one instance's chain head after event ``seq``."""
    return f"{instance_id}\n{seq}\n{head}".encode()


def line_hash(line: dict) -> str:
    """What the next checkpoint's ``prev`` names: the hash of this one's signed fields and signature."""
    return hashlib.sha256(_canonical({k: line[k] for k in SIGNED + ("signature",)})).hexdigest()


def make(svc: Services, now: datetime | None = None) -> dict | None:
    """Sign a checkpoint of every chain head now, if any changed since the last one; return its witness
    line (None when nothing changed). Hands every checkpoint not yet in the witness file to it."""
    if svc.settings.audit_key is None:
        raise BranchflowError("no signing key: set BRANCHFLOW_AUDIT_KEY (branchflow audit keygen makes one)")
    key = load_private(svc.settings.audit_key)
    now = now or svc.clock.now()
    with svc.uow() as uow:
        last = uow.checkpoints.last()
        leaves = [list(row) for row in uow.instances.chain_heads() if row[1] >= 1]
        before = {i: (v, h) for i, v, h in (last.leaves if last else [])}
        if last is not None and leaves == last.leaves:
            line = None
        else:
            delta = {i: [list(e) for e in uow.events.hashes(i, before.get(i, (0, None))[0], v)]
                     for i, v, h in leaves if before.get(i) != (v, h)}
            line = {"format": FORMAT, "seq": (last.seq if last else 0) + 1, "at": now.isoformat(),
                    "size": len(leaves), "root": merkle.root([leaf_bytes(*leaf) for leaf in leaves]).hex(),
                    "prev": line_hash(last.line) if last else GENESIS,
                    "delta_sha256": hashlib.sha256(_canonical(delta)).hexdigest(),
                    "key_id": key_id(key.public_key())}
            line["signature"] = base64.b64encode(key.sign(_canonical({k: line[k] for k in SIGNED}))).decode()
            line["delta"] = delta
            uow.add(Checkpoint(seq=line["seq"], at=now, size=line["size"], root=line["root"], line=line,
                               leaves=leaves))
            notify.enqueue(svc, uow, uow.identity.users_with("auditor", None), f"【审计检查点】第{line['seq']}号",
                           json.dumps(line, ensure_ascii=False), instance_id=None, task_id=None, at=now)
            try:
                uow.commit()
            except Conflict:  # another scheduler signed this number first: theirs stands
                line = None
    hand_to_witness(svc)
    return line


def hand_to_witness(svc: Services) -> int:
    """Append to the witness file every checkpoint it does not hold yet; how many."""
    path = svc.settings.checkpoint_log
    if path is None:
        return 0
    path = Path(path)
    held = _last_seq(path)
    with svc.uow() as uow:
        missing = uow.checkpoints.after(after=held)
    if missing:
        with open(path, "a", encoding="utf-8") as out:
            for row in missing:
                out.write(json.dumps(row.line, ensure_ascii=False, separators=(",", ":")) + "\n")
            out.flush()
            os.fsync(out.fileno())
    return len(missing)


def _last_seq(path: Path) -> int:
    """The number of the last checkpoint in the witness file, read from its end (the file only grows)."""
    if not path.exists():
        return 0
    with open(path, "rb") as witness:
        end = witness.seek(0, os.SEEK_END)
        tail, step = b"", 4096
        while end > 0 and tail.strip().count(b"\n") < 1:  # until the last line is whole
            start = max(0, end - step)
            witness.seek(start)
            tail = witness.read(end - start) + tail
            end = start
    lines = tail.strip().split(b"\n")
    return json.loads(lines[-1])["seq"] if lines and lines[-1] else 0


def listed(uow: UnitOfWork, after: int, limit: int) -> list[dict]:
    """Witness lines after ``after``, oldest first (an auditor may pull them instead of receiving them)."""
    return [row.line for row in uow.checkpoints.after(after=after, limit=limit)]


# -- verifying ----------------------------------------------------------------------------------


@dataclass
class Finding:
    """One mismatch between the witnessed checkpoints and what is checked against them."""

    checkpoint: int | None
    instance: str | None
    seq: int | None
    message: str


def check_signature(line: dict, public: Ed25519PublicKey) -> str | None:
    """Why ``line``'s signature does not hold under ``public``, or None."""
    try:
        if line.get("format") != FORMAT:
            return f"not a {FORMAT} line"
        if line.get("key_id") != key_id(public):
            return f"signed with key {line.get('key_id')}, not with key {key_id(public)}"
        public.verify(base64.b64decode(line["signature"]), _canonical({k: line[k] for k in SIGNED}))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return "the signature does not hold"
    return None


def read_witness(lines: list[dict], public: Ed25519PublicKey) -> tuple[dict, list[Finding]]:
    """Check a witness log (every line from checkpoint 1): signatures, links, deltas and roots. Return the
    witnessed event hashes {(instance, seq): (hash, checkpoint)} and what does not hold."""
    witnessed: dict[tuple[str, int], tuple[str, int]] = {}
    heads: dict[str, tuple[int, str]] = {}
    prev = GENESIS
    for expected, line in enumerate(lines, start=1):
        seq = line.get("seq") if isinstance(line, dict) else None
        if seq != expected:
            return witnessed, [Finding(seq, None, None, f"the witness log skips from checkpoint {expected - 1} to {seq}")]
        bad = check_signature(line, public)
        if bad:
            return witnessed, [Finding(seq, None, None, f"checkpoint {seq}: {bad}")]
        if line["prev"] != prev:
            return witnessed, [Finding(seq, None, None, f"checkpoint {seq} does not follow checkpoint {seq - 1}")]
        delta = line.get("delta")
        if not isinstance(delta, dict) or hashlib.sha256(_canonical(delta)).hexdigest() != line["delta_sha256"]:
            return witnessed, [Finding(seq, None, None, f"checkpoint {seq}: its event hashes are not the signed ones")]
        for instance_id, pairs in delta.items():
            for event_seq, event_hash in pairs:
                witnessed[(instance_id, event_seq)] = (event_hash, seq)
            if pairs:
                heads[instance_id] = tuple(pairs[-1])
        leaves = [leaf_bytes(i, s, h) for i, (s, h) in sorted(heads.items())]
        if len(leaves) != line["size"] or merkle.root(leaves).hex() != line["root"]:
            return witnessed, [Finding(seq, None, None, f"checkpoint {seq}: its event hashes do not give its signed root")]
        prev = line_hash(line)
    return witnessed, []


def verify_witnessed(svc: Services, lines: list[dict], public: Ed25519PublicKey) -> list[Finding]:
    """Check the witness log, then that every event it witnessed is in the database unchanged; each
    rewritten or deleted event is named (the first per instance)."""
    witnessed, findings = read_witness(lines, public)
    if findings:
        return findings
    with svc.uow() as uow:
        stored = uow.events.hash_map()
    first: dict[str, Finding] = {}
    for (instance_id, seq), (event_hash, checkpoint) in sorted(witnessed.items()):
        now = stored.get((instance_id, seq))
        if now == event_hash or instance_id in first:
            continue
        what = "is missing" if now is None else "was rewritten"
        first[instance_id] = Finding(checkpoint, instance_id, seq,
                                     f"instance {instance_id}: event {seq} {what} after checkpoint {checkpoint} "
                                     f"witnessed it")
    return list(first.values())


def inclusion_of(uow: UnitOfWork, instance_id: str) -> dict | None:
    """The newest checkpoint (signed fields and signature) and the inclusion proof of ``instance_id`` in it,
    for an export; None when no checkpoint covers the instance yet."""
    last = uow.checkpoints.last()
    if last is None:
        return None
    index = next((n for n, leaf in enumerate(last.leaves) if leaf[0] == instance_id), None)
    if index is None:
        return None
    leaves = [leaf_bytes(*leaf) for leaf in last.leaves]
    return {"checkpoint": {k: last.line[k] for k in SIGNED + ("signature",)},
            "leaf": {"index": index, "seq": last.leaves[index][1], "head": last.leaves[index][2]},
            "path": [h.hex() for h in merkle.inclusion_proof(leaves, index)]}


def verify_inclusion(export: dict, public: Ed25519PublicKey, witness: list[dict] | None = None) -> list[Finding]:
    """Offline: the export's checkpoint is signed by ``public`` (and is the one the witness log holds under
    its number, when given), its proof leads from the export's own event hash to the signed root."""
    proof = export.get("inclusion")
    instance_id = (export.get("instance") or {}).get("id")
    if not isinstance(proof, dict):
        return [Finding(None, instance_id, None, "the export carries no checkpoint inclusion proof")]
    line = proof.get("checkpoint") or {}
    bad = check_signature(line, public)
    if bad:
        return [Finding(line.get("seq"), instance_id, None, f"the export's checkpoint: {bad}")]
    if witness is not None:
        kept = next((w for w in witness if w.get("seq") == line.get("seq")), None)
        if kept is None or kept.get("root") != line.get("root") or kept.get("signature") != line.get("signature"):
            return [Finding(line.get("seq"), instance_id, None,
                            f"checkpoint {line.get('seq')} of the export is not the one the witness log holds")]
    leaf = proof.get("leaf") or {}
    seq, head = leaf.get("seq"), leaf.get("head")
    events = export.get("events") or []
    if not isinstance(seq, int) or not 1 <= seq <= len(events) or events[seq - 1].get("hash") != head:
        return [Finding(line.get("seq"), instance_id, seq,
                        f"instance {instance_id}: event {seq} is not the one checkpoint {line.get('seq')} signed")]
    try:
        path = [bytes.fromhex(h) for h in proof.get("path", [])]
        root = merkle.root_from_proof(leaf_bytes(instance_id, seq, head), leaf.get("index", -1), line["size"], path)
    except (ValueError, TypeError):
        root = None
    if root is None or root.hex() != line["root"]:
        return [Finding(line.get("seq"), instance_id, seq,
                        f"instance {instance_id}: the inclusion proof does not lead to checkpoint "
                        f"{line.get('seq')}'s signed root")]
    return []
