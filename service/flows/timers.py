"""Timer sweep: claim due timer rows atomically, fire each instance once, log and continue on failure."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.roles import ROLE_LABELS
from ..domain.calendar import CST
from ..store.models import InboxTask, Timer
from . import instances, notify
from .context import Services

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """What one sweep did."""

    fired: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def fire_due(svc: Services, now: datetime | None = None) -> SweepResult:
    """Fire every timer due at ``now``; safe to run concurrently from several processes."""
    now = now or svc.clock.now()
    result = SweepResult()
    while True:
        claim = str(uuid.uuid4())
        with svc.uow() as uow:
            claimed = uow.claim_due_timers(now, claim, svc.settings.timer_batch)
            batch = [(t.id, t.instance_id) for t in claimed]
            uow.commit()
        if not batch:
            return result
        by_instance: dict[str, list[str]] = {}
        for tid, iid in batch:
            by_instance.setdefault(iid, []).append(tid)
        for instance_id, timer_ids in by_instance.items():
            try:
                result.fired.extend(_fire_instance(svc, instance_id, timer_ids, now))
            except Exception as exc:  # one broken instance must not stop the sweep
                log.exception("timer firing failed for instance %s", instance_id)
                _mark_failed(svc, timer_ids, exc)
                result.failed.append({"instance": instance_id, "timers": timer_ids, "error": str(exc)})
        if len(batch) < svc.settings.timer_batch:
            return result


def _fire_instance(svc: Services, instance_id: str, timer_ids: list[str], now: datetime) -> list[dict]:
    with svc.uow() as uow:
        inst = uow.instance(instance_id, for_update=True)
        claimed = [r for r in (uow.timer(t) for t in timer_ids) if r is not None and r.status == "firing"]
        if not claimed or inst.status != "running":
            for r in claimed:
                r.status = "cancelled"
            uow.commit()
            return []
        # The engine fires every timer of the instance that is due, not only the rows this sweep claimed
        # (a batch boundary or another sweep may hold the rest): take them all over, so that each one's
        # consequences happen exactly once, here, under the instance lock.
        rows = uow.due_timers_of(inst.id, now)
        for r in rows:
            r.status, r.fired_at = "fired", now
        uow.flush()  # the sync reads timer rows as stored
        fired = [{"timer": r.id, "element": r.element, "name": r.name, "kind": r.kind, "level": r.level,
                  "due": r.due_at.isoformat(), "instance": inst.id} for r in rows]
        step = instances.Step("timer", instances.SYSTEM, {"timers": [r.id for r in rows]},
                              rows[0].element, "、".join(r.name for r in rows))
        instances.apply(svc, uow, inst, step,
                        lambda wf, seed: svc.engine.fire_timers(wf, now, seed), now)
        for r in rows:
            _consequences(svc, uow, inst, r, now)
        uow.commit()
    return fired


def _consequences(svc: Services, uow, inst, timer: Timer, now: datetime) -> None:
    """Reminders go to the outbox; escalations flag the task and land in the escalation role's inbox."""
    task = uow.task(timer.attached_to) if timer.attached_to else None
    if task is None or task.status != "open":
        return
    if timer.kind == "remind":
        notify.enqueue(svc, uow, uow.users_with(task.role, task.branch), f"【提醒】{task.name}即将到期",
                       f"{inst.title}：任务「{task.name}」将于 {_local(task.due_at)} 到期，请及时办理。",
                       instance_id=inst.id, task_id=task.id, at=now)
        return
    if timer.kind != "escalate":
        return
    bundle = instances.bundle_of(svc, uow, inst)
    target = instances.prop(bundle, timer.element, "escalate_to") or ("supervisor" if timer.level <= 1 else "committee")
    task.escalation_level = max(task.escalation_level, timer.level)
    label = "一级" if timer.level <= 1 else "二级"
    esc = InboxTask(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task.id}/escalation/{timer.level}")),
                    instance_id=inst.id, process_id=inst.process_id, kind="escalation", element=timer.element,
                    name=f"督办（{label}）：{task.name}", role=target, branch=None, form=None, status="open",
                    due_at=None, escalation_level=timer.level, ref_task_id=task.id, created_at=now)
    uow.add(esc)
    notify.enqueue(svc, uow, uow.users_with(target, None), f"【{label}督办】{task.name}已逾期",
                   f"{inst.title}：{ROLE_LABELS.get(task.role, task.role)}的任务「{task.name}」"
                   f"已于 {_local(task.due_at)} 逾期未办，请督办。", instance_id=inst.id, task_id=task.id, at=now)
    instances.record(uow, inst, instances.Step("escalation", instances.SYSTEM,
                                               {"task_id": task.id, "level": timer.level, "to": target},
                                               timer.element, timer.name), now)


def _local(at: datetime | None) -> str:
    """A due instant as people in China read it."""
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if at else "-"


def _mark_failed(svc: Services, timer_ids: list[str], exc: Exception) -> None:
    with svc.uow() as uow:
        for tid in timer_ids:
            row = uow.timer(tid)
            if row is not None and row.status == "firing":
                row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        uow.commit()


