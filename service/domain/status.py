"""The statuses and kinds rows and events carry, one vocabulary each (as viewflow's ``status.py``).

They are ``StrEnum``s: each member equals its string, so stored values, JSON and SQL comparisons stay the
plain words they always were.
"""
from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    """An instance runs until its workflow ends."""

    RUNNING = "running"
    COMPLETED = "completed"


class TaskStatus(StrEnum):
    """An inbox row: open, then completed (a user task, a handled escalation) or closed (an escalation whose
    task was done)."""

    OPEN = "open"
    COMPLETED = "completed"
    CLOSED = "closed"
    WAITING = "waiting"  # an after-signature (后加签) until its task's holder submits


class TaskKind(StrEnum):
    """A user task of the diagram, an escalation of one, or a countersignature (加签) asked on one: before
    its holder completes it, or after (the submission waits for the signer's approval)."""

    USER = "user"
    ESCALATION = "escalation"
    SIGN_BEFORE = "sign_before"
    SIGN_AFTER = "sign_after"


class TimerStatus(StrEnum):
    """A timer row waits (pending), then fires, is cancelled with its task, or is parked as failed for an
    admin; ``firing`` is left only by sweeps of older releases and is fired like pending."""

    PENDING = "pending"
    FIRING = "firing"
    FIRED = "fired"
    CANCELLED = "cancelled"
    FAILED = "failed"


#: timer rows a sweep still has to fire
UNFIRED = (TimerStatus.PENDING, TimerStatus.FIRING)


class TimerKind(StrEnum):
    """What a timer does when it fires: the diagram property ``kind`` of a boundary timer (``timer`` for one
    without it, such as a wait until a date)."""

    REMIND = "remind"
    ESCALATE = "escalate"
    TIMER = "timer"


class OutboxStatus(StrEnum):
    """A message waits, is being delivered, was delivered, or failed for good."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


#: ``dedup_key`` prefix of an instance that must be the only one running for its scope (``x-one-running``: one
#: pairing per branch); the key is cleared when the instance ends, so the next one may start
ONE_RUNNING = "running/"
