"""Timer sweep: fire each instance's due timers in one transaction, log and continue on failure."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.calendar import china_minute
from ..domain.errors import NotFound
from ..domain.permissions import MANAGE_TIMERS
from ..domain.status import InstanceStatus, TaskStatus, TimerKind, TimerStatus
from ..store.db import is_transient
from ..store.models import InboxTask, Timer
from . import escalations, event_types, instances, notify
from .actors import Actor
from .context import Services

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did."""

    fired: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    #: instances left pending after repeated passing failures: the next sweep tries them again
    retry: list[str] = field(default_factory=list)


#: a sweep tries an instance this often when its transaction fails for a passing reason (deadlock,
#: serialization failure, lost connection); after that the timers stay pending for the next sweep
TRANSIENT_TRIES = 3


def fire_due(svc: Services, now: datetime | None = None) -> SweepResult:
    """Fire every timer due at ``now``; safe to run from several processes at once and to kill at any point.

    Each instance is fired in one transaction that first locks the instance row (the lock every writer of
    an instance takes first, so sweeps and web steps never deadlock; PostgreSQL ``SKIP LOCKED``: an
    instance another transaction holds is left to the next sweep), marks its due timers fired and appends
    their events. Nothing is committed before that: a sweep killed half-way leaves its timers due, and the
    next sweep fires them, once.

    A failure that passes (deadlock, serialization failure, lost connection, stale version) leaves the
    timers pending: tried again at once, up to ``TRANSIENT_TRIES`` times, then by the next sweep. Any
    other failure parks the instance's due timers as ``failed`` with the error, for an admin to look at and
    re-queue (``requeue``); the sweep goes on with the other instances."""
    now = now or svc.clock.now()
    result = SweepResult()
    tries: dict[str, int] = {}
    broken: set[str] = set()  # instances that failed in this sweep: not tried again until the next one
    while True:
        try:
            with svc.uow() as uow:
                instance_id = uow.timers.next_due_instance(now, exclude=broken)
                if instance_id is None:
                    return result
                try:
                    result.fired.extend(_fire_instance(svc, uow, instance_id, now))
                    continue
                except Exception as exc:  # one broken instance must not stop the sweep
                    error = exc
        except Exception as exc:  # the database itself failed (connection lost while picking an instance)
            if not is_transient(exc):
                raise
            log.warning("timer sweep interrupted: %s", exc)
            return result
        tries[instance_id] = tries.get(instance_id, 0) + 1
        if is_transient(error):
            log.warning("timer firing of instance %s failed for a passing reason (try %d): %s",
                        instance_id, tries[instance_id], error)
            if tries[instance_id] >= TRANSIENT_TRIES:
                broken.add(instance_id)
                result.retry.append(instance_id)
            continue
        log.error("timer firing failed for instance %s", instance_id, exc_info=error)
        broken.add(instance_id)
        failed = _mark_failed(svc, instance_id, now, error)
        result.failed.append({"instance": instance_id, "timers": failed, "error": str(error)})


def _fire_instance(svc: Services, uow, instance_id: str, now: datetime) -> list[dict]:
    inst = uow.instances.get(instance_id, for_update=True)
    # every due timer of the instance fires together: the engine fires all of them in one step
    rows = uow.timers.due_of(inst.id, now)
    if not rows:  # another sweep fired them while we waited for the instance lock
        return []
    if inst.status != InstanceStatus.RUNNING:
        uow.update_rows(Timer, [r.id for r in rows], status=TimerStatus.CANCELLED)
        uow.commit()
        return []
    for r in rows:
        r.status, r.fired_at = TimerStatus.FIRED, now
    uow.flush()  # the sync reads timer rows as stored
    fired = [{"timer": r.id, "element": r.element, "name": r.name, "kind": r.kind, "level": r.level,
              "due": r.due_at.isoformat(), "instance": inst.id} for r in rows]
    step = instances.Entry(event_types.FireTimers([r.id for r in rows]), instances.SYSTEM,
                          rows[0].element, "、".join(r.name for r in rows))
    instances.apply_event(svc, uow, inst, step, now)
    for r in rows:
        _consequences(svc, uow, inst, r, now)
    uow.commit()
    return fired


def _consequences(svc: Services, uow, inst, timer: Timer, now: datetime) -> None:
    """Reminders go to the outbox; escalations flag the task and land in the escalation role's inbox."""
    task = uow.inbox.get(timer.attached_to) if timer.attached_to else None
    if task is None or task.status != TaskStatus.OPEN:
        return
    if timer.kind == TimerKind.REMIND:
        notify.enqueue(svc, uow, _holders(uow, task), f"【提醒】{task.name}即将到期",
                       f"{inst.title}：任务「{task.name}」将于 {china_minute(task.due_at)} 到期，请及时办理。",
                       instance_id=inst.id, task_id=task.id, at=now)
        return
    if timer.kind == TimerKind.ESCALATE:
        escalations.escalate(svc, uow, inst, task, timer, now)


def _holders(uow, task: InboxTask) -> list:
    """Who a reminder of ``task`` goes to: its assignee, else the active holders of its role and branch."""
    if task.assignee:
        user = uow.identity.active_user(task.assignee)
        return [user] if user is not None else []
    return uow.identity.users_with(task.role, task.branch)


def _mark_failed(svc: Services, instance_id: str, now: datetime, exc: Exception) -> list[str]:
    """Park the instance's due timers as failed (visible to an admin, who can re-queue them); only rows
    still pending are touched: one another transaction fired or cancelled meanwhile keeps its status."""
    with svc.uow() as uow:
        ids = [row.id for row in uow.timers.due_of(instance_id, now)]
        parked = uow.timers.park_failed(ids, f"{type(exc).__name__}: {exc}")
        uow.commit()
        return parked


def failed_timers(svc: Services, uow, actor: Actor, limit: int = 200) -> list[dict]:
    """Timers a sweep parked as failed, with their error and instance, earliest due first (admins)."""
    actor.require(MANAGE_TIMERS, "only an admin manages failed timers")
    return [{"id": t.id, "instance_id": i.id, "instance_title": i.title, "process": i.process_id,
             "branch": i.branch, "element": t.element, "name": t.name, "kind": t.kind, "level": t.level,
             "due_at": t.due_at, "error": t.error} for t, i in uow.timers.with_status(TimerStatus.FAILED, limit)]


def requeue(svc: Services, uow, actor: Actor, ids: list[str] | None) -> list[str]:
    """Put failed timers back to pending (all failed ones when ``ids`` is None); the next sweep fires them.
    An id that names no failed timer is a 404 naming it; nothing is re-queued then."""
    actor.require(MANAGE_TIMERS, "only an admin manages failed timers")
    done = uow.timers.requeue(ids)
    unknown = sorted(set(ids or ()) - set(done))
    if unknown:  # not committed: the unit of work rolls the re-queue back
        raise NotFound(f"no failed timer {unknown[0]}", field="ids")
    uow.commit()
    log.info("timers re-queued by %s: %s", actor.name, ", ".join(done))
    return done

