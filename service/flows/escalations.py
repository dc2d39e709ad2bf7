"""Escalations, all in one place: raised when a duty's deadline timer fires, closed when the duty is done,
handled when their holder records a 督办意见.

An escalation is an inbox row of kind ``escalation`` for a company-wide role (level 1: 党群部, level 2: 党委,
or the diagram's ``escalate_to``; ``secretary``: the instance's own branch secretary), referring to the overdue task; it always lands with a role an active
person holds, going up the line of oversight when nobody holds the target.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from ..domain.calendar import china_minute
from ..domain.roles import ROLE_LABELS
from ..domain.status import TaskKind, TaskStatus
from ..store.models import InboxTask, Instance, Timer
from ..store.uow import UnitOfWork
from . import event_types, forms, instances, notify
from .actors import Actor
from .context import Services

#: who is next when nobody active holds an escalation's target role: the line of oversight upwards
OVERSIGHT = ("supervisor", "committee", "admin")

#: roles an escalation may target within the instance's branch (a member's duty goes to their secretary first)
BRANCH_TARGETS = frozenset({"secretary"})

#: the 督办意见 an escalation's holder records (a process may ship its own ``escalation`` form)
FORM = {
    "type": "object",
    "title": "督办意见",
    "properties": {"comment": {"type": "string", "title": "督办意见", "maxLength": 2000}},
    "additionalProperties": False,
}


def reachable(uow: UnitOfWork, target: str) -> str:
    """``target``, or the next role up the line of oversight that an active person holds."""
    line = OVERSIGHT[OVERSIGHT.index(target):] if target in OVERSIGHT else (target,) + OVERSIGHT
    for role in line:
        if uow.identity.has_active_holder(role, None):
            return role
    return target


def escalate(svc: Services, uow: UnitOfWork, inst: Instance, task: InboxTask, timer: Timer, now: datetime) -> None:
    """Raise the escalation a fired deadline timer means: flag the task, open the escalation row, tell the
    holders, and record it in the history."""
    bundle = instances.bundle_of(svc, uow, inst)
    wanted = bundle.element(timer.element).escalate_to or ("supervisor" if timer.level <= 1 else "committee")
    if wanted in BRANCH_TARGETS and inst.branch and uow.identity.has_active_holder(wanted, inst.branch):
        target, scope = wanted, inst.branch  # the branch's own secretary (a member's or group's duty)
    else:
        target, scope = reachable(uow, wanted), None
    # nobody receives the escalation of their own duty, nor of a pairing they are the helper of: 党委 does
    if any(uow.identity.holds(person, target, scope) for person in {task.assignee, (inst.data or {}).get("helper")} if person):
        target, scope = reachable(uow, OVERSIGHT[min(OVERSIGHT.index(target) + 1, len(OVERSIGHT) - 1)]
                                  if target in OVERSIGHT else "committee"), None
    task.escalation_level = max(task.escalation_level, timer.level)
    label = "一级" if timer.level <= 1 else "二级"
    uow.add(InboxTask(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task.id}/escalation/{timer.level}/{timer.due_at.isoformat()}")),
                      instance_id=inst.id, process_id=inst.process_id, kind=TaskKind.ESCALATION, element=timer.element,
                      name=f"督办（{label}）：{task.name}", role=target, branch=scope, form=None, status=TaskStatus.OPEN,
                      due_at=None, escalation_level=timer.level, ref_task_id=task.id, created_at=now))
    notify.enqueue(svc, uow, uow.identity.users_with(target, scope), f"【{label}督办】{task.name}已逾期",
                   f"{inst.title}：{ROLE_LABELS.get(task.role, task.role)}的任务「{task.name}」"
                   f"已于 {china_minute(task.due_at)} 逾期未办，请督办。", instance_id=inst.id, task_id=task.id, at=now)
    instances.note_event(uow, inst, instances.Entry(event_types.Escalation(task.id, timer.level, target),
                                               instances.SYSTEM, timer.element, timer.name), now)


def close_for_done(uow: UnitOfWork, open_rows: dict, done: list[str], at: datetime) -> None:
    """Close the open escalations (and open countersignatures) of tasks that just left the workflow."""
    uow.update_rows(InboxTask, [rid for rid, row in open_rows.items()
                                if row.kind != TaskKind.USER and row.ref_task_id in done],
                    status=TaskStatus.CLOSED, closed_at=at, closed_by="system")


def handle(svc: Services, uow: UnitOfWork, actor: Actor, row: InboxTask, inst: Instance, bundle,
           data: object) -> InboxTask:
    """The escalation's holder records their 督办意见: the escalation is done (the overdue task stays open)."""
    data = forms.validate(bundle.forms.get("escalation") or FORM, data)
    now = svc.clock.now()
    row.status, row.closed_at, row.closed_by = TaskStatus.COMPLETED, now, actor.name
    instances.note_event(uow, inst, instances.Entry(event_types.EscalationHandled(row.id, data),
                                               actor.with_role(row.role), row.element, row.name), now)
    uow.commit()
    return row
