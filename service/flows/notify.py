"""Outbox: reminders and escalations are queued in the same transaction as the step that caused them,
then a drain delivers them on every configured channel, at least once, with retries and backoff.

Each person may choose their channels (``notify_prefs``: e-mail, webhook, 企业微信, 钉钉); without a choice
the deployment's ``BRANCHFLOW_NOTIFY_CHANNELS`` apply."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain.status import OutboxStatus
from ..notify import DeliveryError, Message
from ..store.models import Outbox, User
from ..store.uow import UnitOfWork
from .context import Services

log = logging.getLogger(__name__)

#: a message still marked "sending" this long after it was claimed belongs to a crashed drain
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class DrainResult:
    """What one drain did: ids of messages sent, retried later, or given up."""

    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def enqueue(svc: Services, uow: UnitOfWork, users: list[User], subject: str, body: str, *,
            instance_id: str | None, task_id: str | None, at: datetime, new_task: bool = False) -> int:
    """Queue one message per user and channel that user receives this kind of message on (their choice,
    else the deployment's default); staged with the caller's transaction."""
    count = 0
    ops = getattr(uow, "ops", None)  # a fake unit of work in unit tests has no choices to read
    prefs = ops.prefs_of([u.username for u in users]) if ops is not None and users else {}
    for user in users:
        for channel in channels_for(svc, prefs.get(user.username), new_task):
            uow.add(Outbox(instance_id=instance_id, task_id=task_id, recipient=user.username, channel=channel,
                           subject=subject, body=body, status=OutboxStatus.PENDING, attempts=0, created_at=at))
            count += 1
    return count


def channels_for(svc: Services, prefs, new_task: bool = False) -> tuple[str, ...]:
    """The channels a person with notification choices ``prefs`` (None: none made) gets a reminder or
    escalation on, or (``new_task``) a notice of a new 待办."""
    chosen = None if prefs is None else (prefs.new_task_channels if new_task else prefs.channels)
    if chosen is not None:
        return tuple(chosen)
    return svc.settings.new_task_channels if new_task else svc.settings.notify_channels


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: 1, 2, 4, … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def drain(svc: Services, now: datetime | None = None, limit: int = 100) -> DrainResult:
    """Deliver due messages on the configured channels; messages of unconfigured channels wait."""
    now = now or svc.clock.now()
    result = DrainResult()
    channels = svc.channels
    if not channels:
        return result
    claim = str(uuid.uuid4())
    with svc.uow() as uow:
        claimed = uow.outbox.claim(now, sorted(channels), claim, limit, now - STALE_CLAIM)
        ops = getattr(uow, "ops", None)
        prefs = ops.prefs_of([o.recipient for o, _ in claimed]) if ops is not None else {}
        batch = [(o.id, o.channel, _message(svc, o, u, prefs.get(o.recipient))) for o, u in claimed]
        uow.commit()
    for row_id, channel, message in batch:
        error = None
        try:
            channels[channel].send(message)  # outside any transaction: never hold the DB on the network
        except DeliveryError as exc:
            error = exc
            log.warning("delivery of outbox %s on %s to %s failed%s: %s", row_id, channel, message.recipient,
                        " for good" if exc.permanent else "", exc,
                        extra={"outbox_id": row_id, "channel": channel, "recipient": message.recipient})
        except Exception as exc:  # a broken channel must not stop the drain
            log.exception("channel %s failed on outbox %s", channel, row_id)
            error = DeliveryError(f"{type(exc).__name__}: {exc}")
        _record(svc, row_id, claim, now, error, result)
    return result


def _message(svc: Services, row: Outbox, user: User | None, prefs=None) -> Message:
    base = (getattr(svc.settings, "base_url", None) or "").rstrip("/")
    link = None
    if base and row.task_id:
        link = f"{base}/tasks/{row.task_id}"
    elif base and row.instance_id:
        link = f"{base}/instances/{row.instance_id}"
    return Message(id=row.id, recipient=row.recipient, address=user.email if user else None,
                   display_name=user.display_name if user else row.recipient, subject=row.subject, body=row.body,
                   instance_id=row.instance_id, task_id=row.task_id, created_at=row.created_at.isoformat(),
                   mobile=prefs.mobile if prefs is not None else None, link=link)


def _record(svc: Services, row_id: int, claim: str, now: datetime, error: DeliveryError | None,
            result: DrainResult) -> None:
    with svc.uow() as uow:
        row = uow.outbox.get(row_id)
        if row is None or row.claim != claim:  # reclaimed by another drain meanwhile: its result counts
            return
        row.attempts += 1
        row.claim = None
        if error is None:
            row.status, row.sent_at, row.error = OutboxStatus.SENT, now, None
            result.sent.append(row_id)
        elif error.permanent or row.attempts >= svc.settings.notify_max_attempts:
            row.status, row.error = OutboxStatus.FAILED, str(error)[:2000]
            result.failed.append(row_id)
            log.warning("outbox %s failed for good: %s", row_id, error)
        else:
            row.status, row.error, row.next_attempt_at = OutboxStatus.PENDING, str(error)[:2000], now + backoff(row.attempts)
            result.retry.append(row_id)
        uow.commit()
