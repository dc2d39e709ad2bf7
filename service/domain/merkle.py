"""Merkle trees as Certificate Transparency builds them (RFC 9162 §2.1): tree hash, inclusion proofs, checks.

A leaf is hashed as ``sha256(0x00 || leaf)`` and an inner node as ``sha256(0x01 || left || right)``, so a
leaf can never pass for a node. A tree of ``n`` leaves splits at the largest power of two below ``n``.
"""
from __future__ import annotations

import hashlib


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of one leaf."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """The Merkle tree hash of ``leaves`` (leaf data, not yet hashed); the hash of nothing when empty."""
    level = [leaf_hash(leaf) for leaf in leaves]
    if not level:
        return hashlib.sha256(b"").digest()
    return _subtree(level, 0, len(level))


def _subtree(hashes: list[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return hashes[start]
    k = _split(end - start)
    return _node(_subtree(hashes, start, start + k), _subtree(hashes, start + k, end))


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index``: the sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} of a tree of {len(leaves)}")
    hashes = [leaf_hash(leaf) for leaf in leaves]
    path: list[bytes] = []
    start, end = 0, len(hashes)
    trail = []
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            trail.append(_subtree(hashes, start + k, end))
            end = start + k
        else:
            trail.append(_subtree(hashes, start, start + k))
            start = start + k
    path.extend(reversed(trail))
    return path


def root_from_proof(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """The root that ``path`` proves ``leaf`` at ``index`` of a tree of ``size`` under (RFC 9162 §2.1.3.2),
    or None when the path does not fit a tree of that size."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None
