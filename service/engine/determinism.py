"""Step context: the clock and the id source SpiffWorkflow sees while the engine runs a step.

SpiffWorkflow reads ``datetime.now`` in its timer module, ``time.time`` and ``uuid4`` in its
task module. We rebind those three names once (idempotently) to functions that read a
context variable set for the duration of one step, so that:

* timers compare against the injectable clock (tests and replay travel in time);
* task ids are drawn from a generator seeded by (instance, event seq), so replaying the
  recorded events re-creates the very same ids and the very same serialized state.

Outside a step the functions fall back to the real system values.
"""
from __future__ import annotations

import hashlib
import random
import time as _time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
import SpiffWorkflow.task as _task_module


@dataclass
class StepContext:
    """What a single engine step may read: the instant and a seeded random source."""

    now: datetime
    rng: random.Random
    notes: dict


_current: ContextVar[StepContext | None] = ContextVar("branchflow_step", default=None)


class _StepDatetime(datetime):
    """``datetime`` whose ``now`` answers the step's instant."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        ctx = _current.get()
        if ctx is None:
            return datetime.now(tz)
        return ctx.now.astimezone(tz) if tz else ctx.now.astimezone().replace(tzinfo=None)


class _StepTime:
    """Stand-in for the ``time`` module inside SpiffWorkflow's task module."""

    def __getattr__(self, name):
        return getattr(_time, name)

    @staticmethod
    def time() -> float:
        ctx = _current.get()
        return ctx.now.timestamp() if ctx is not None else _time.time()


def _step_uuid4() -> uuid.UUID:
    ctx = _current.get()
    if ctx is None:
        return uuid.uuid4()
    return uuid.UUID(int=ctx.rng.getrandbits(128), version=4)


_installed = False


def install() -> None:
    """Rebind SpiffWorkflow's clock and id sources to the step context (safe to call twice)."""
    global _installed
    if _installed:
        return
    _timer_module.datetime = _StepDatetime
    _task_module.time = _StepTime()
    _task_module.uuid4 = _step_uuid4
    _installed = True


def seed_for(instance_id: str, seq: int) -> int:
    """Deterministic seed of event ``seq`` of an instance."""
    digest = hashlib.sha256(f"{instance_id}:{seq}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@contextmanager
def step(now: datetime, seed: int) -> Iterator[StepContext]:
    """Run the enclosed engine calls at instant ``now`` with ids drawn from ``seed``."""
    if now.tzinfo is None:
        raise ValueError("step time must be timezone-aware")
    ctx = StepContext(now.astimezone(timezone.utc), random.Random(seed), {})
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current() -> StepContext | None:
    """The active step context, if any."""
    return _current.get()
