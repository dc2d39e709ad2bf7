"""Task operations Chinese approval users expect, each an event in the instance's hash chain:
退回 send back, 撤回 withdraw, 终止 terminate (state events replay re-applies), 转办 transfer, 催办 urge,
抄送 carbon copy (facts replay reads past). Release of a claim lives with claim in ``tasks``.

Who may do what, besides the permission table's row for each operation:
- send back: whoever may act on the task now, to a target its diagram lists in ``send_back_to`` that has
  been completed before;
- withdraw: the person who completed the task, while nothing has happened since but facts (no later step)
  and nobody has claimed the task(s) that followed;
- terminate: a supervisor or an admin (``TERMINATE``); children the instance waits on end with it,
  tickets it opened stay open (each is a problem of its own); a child its parent waits on cannot be
  terminated alone;
- transfer: whoever may act on the task, to a colleague who holds its role in its scope (an admin or the
  supervisor may hand it to anyone active);
- urge: whoever sees the task's instance, at most once an hour per task;
- carbon copy: whoever sees the instance; the people copied in may then read it.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from ..domain.errors import Conflict, Forbidden, NotFound, TooManyAttempts, ValidationFailed
from ..domain.permissions import ASSIGN_TASKS, TERMINATE
from ..domain.roles import ROLE_LABELS, may_act
from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from ..store.models import CarbonCopy, Instance
from ..store.uow import UnitOfWork
from . import event_types, instances, notify, tasks
from .actors import Actor
from .context import Services

URGE_EVERY = timedelta(hours=1)


def _reason(reason: object, field: str = "reason") -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not 2 <= len(text) <= 500:
        raise ValidationFailed(f"{field}: 2–500 characters", field=field, message_zh="请填写原因（2–500字）")
    return text


def send_back_targets(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> list[dict]:
    """The earlier user tasks the holder of ``task_id`` may send the process back to: those its diagram
    lists that have been completed in this instance (id and Chinese name)."""
    row, inst = tasks._visible(uow, actor, task_id)
    bundle = instances.bundle_of(svc, uow, inst)
    allowed = bundle.element(row.element).send_back_to
    done = {e.element: e.element_name for e in uow.events.of(inst.id) if e.type == "complete" and e.element}
    return [{"element": el, "name": done[el]} for el in allowed if el in done]


def send_back(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, target: object, reason: object):
    """退回: the process goes back to ``target``; the abandoned path's tasks close, its timers end."""
    text = _reason(reason)
    row, inst = tasks._actionable(uow, actor, task_id)
    if not isinstance(target, str) or target not in {t["element"] for t in send_back_targets(svc, uow, actor, task_id)}:
        raise ValidationFailed(f"{target!r} is not an earlier task this one may send back to", field="target",
                               message_zh="只能退回到本任务允许的、已办理过的环节")
    instances.apply_event(svc, uow, inst, instances.Entry(event_types.SendBack(row.id, target, text),
                                                         actor.with_role(row.role), row.element, row.name))
    uow.commit()
    return inst


def withdraw(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str):
    """撤回: take back a task one completed, while nobody has acted on what followed."""
    uow.inbox.lock_instance_of(task_id)
    row, inst = tasks._visible(uow, actor, task_id)
    if row.kind != TaskKind.USER or row.status != TaskStatus.COMPLETED or row.closed_by != actor.name:
        raise Conflict(f"task {task_id} is not a task you completed")
    if inst.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {inst.id} has ended")
    evs = uow.events.of(inst.id)
    mine = [e.seq for e in evs if e.type == "complete" and (e.data or {}).get("task_id") == task_id]
    later = [e for e in evs if mine and e.seq > mine[-1] and event_types.of(e.type) and event_types.of(e.type).changes_state]
    if not mine or later:
        raise Conflict(f"task {task_id} cannot be withdrawn: the process has moved on since")
    if any(r.claimed_by for r in uow.inbox.open_of(inst.id) if r.kind == TaskKind.USER):
        raise Conflict(f"task {task_id} cannot be withdrawn: the next task has been claimed")
    instances.apply_event(svc, uow, inst, instances.Entry(event_types.Withdraw(row.id, row.element),
                                                         actor.with_role(row.role), row.element, row.name))
    uow.commit()
    return inst


def last_submission(uow: UnitOfWork, instance_id: str, task_id: str) -> dict:
    """The data last submitted for ``task_id`` (a withdrawn or sent-back task's form starts from it)."""
    data = {}
    for e in uow.events.of(instance_id):
        if e.type == "complete" and (e.data or {}).get("task_id") == task_id:
            data = (e.data or {}).get("data") or {}
    return data


def terminate(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str, reason: object) -> Instance:
    """终止: end a running instance (and the children it waits on) with a reason."""
    text = _reason(reason)
    inst = uow.instances.get(instance_id, for_update=True)
    if inst is None or not actor.sees_instance(inst.id, inst.branch):
        raise NotFound(f"no instance {instance_id}")
    actor.require(TERMINATE, "only the supervisor (党群部) or an admin terminates an instance", inst.branch)
    if inst.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {instance_id} has already ended")
    if inst.parent_wait:
        raise Conflict(f"instance {instance_id} is a step its parent waits on: terminate the parent {inst.parent_id}")
    _terminate(svc, uow, actor, inst, text)
    uow.commit()
    return inst


def _terminate(svc: Services, uow: UnitOfWork, actor: Actor, inst: Instance, reason: str) -> None:
    for child in uow.instances.children_of(inst.id):
        if child.status == InstanceStatus.RUNNING and child.parent_wait:  # a step of this one: ends with it
            locked = uow.instances.get(child.id, for_update=True)
            locked.parent_wait = None  # ended from above: it tells its parent nothing
            _terminate(svc, uow, actor, locked, reason)
    instances.apply_event(svc, uow, inst, instances.Entry(event_types.Terminate(reason), actor, None, None))


def transfer(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, to: object, reason: object):
    """转办: my task becomes personal to a colleague who may act on it."""
    text = _reason(reason)
    row, inst = tasks._actionable(uow, actor, task_id)
    person = uow.identity.active_user(to) if isinstance(to, str) else None
    if person is None:
        raise ValidationFailed(f"no active user {to!r}", field="to", message_zh="没有这个在岗用户")
    if person.username == actor.name:
        raise ValidationFailed("transfer to someone else", field="to", message_zh="不能转办给自己")
    reassigns = not actor.is_system and any(g.role in ASSIGN_TASKS for g in actor.grants)
    if not reassigns and not may_act(uow.identity.grants_of(person), row.role, row.branch):
        raise ValidationFailed(f"{to} does not hold {row.role}" + (f" in {row.branch}" if row.branch else ""),
                               field="to", message_zh=f"该用户不是本任务的办理角色（{ROLE_LABELS.get(row.role, row.role)}）")
    previous, row.assignee, row.claimed_by = row.assignee, person.username, None
    instances.note_event(uow, inst, instances.Entry(event_types.Transfer(row.id, person.username, previous, text),
                                                   actor.with_role(row.role), row.element, row.name), svc.clock.now())
    notify.enqueue(svc, uow, [person], f"【转办】{row.name}", f"{actor.name} 将「{inst.title}」的任务「{row.name}」转给您办理：{text}",
                   instance_id=inst.id, task_id=row.id, at=svc.clock.now())
    uow.commit()
    return row


def urge(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, note: object = "") -> list[str]:
    """催办: message the task's holders (at most once an hour per task); returns who was urged."""
    uow.inbox.lock_instance_of(task_id)
    row, inst = tasks._visible(uow, actor, task_id)
    if row.status != TaskStatus.OPEN or row.kind != TaskKind.USER:
        raise Conflict(f"task {task_id} is not open")
    now = svc.clock.now()
    last = [e.at for e in uow.events.of(inst.id) if e.type == "urge" and (e.data or {}).get("task_id") == task_id]
    if last and now - last[-1] < URGE_EVERY:
        wait = int((last[-1] + URGE_EVERY - now).total_seconds()) + 1
        raise TooManyAttempts(f"task {task_id} was urged at {last[-1].isoformat()}: once an hour", retry_after=wait)
    holder = row.assignee or row.claimed_by
    people = [u for u in [uow.identity.active_user(holder)] if u] if holder else uow.identity.users_with(row.role, row.branch)
    text = note.strip()[:200] if isinstance(note, str) else ""
    names = sorted(u.username for u in people)
    instances.note_event(uow, inst, instances.Entry(event_types.Urge(row.id, names, text), actor, row.element, row.name), now)
    notify.enqueue(svc, uow, people, f"【催办】{row.name}",
                   f"{actor.name} 催办「{inst.title}」的任务「{row.name}」" + (f"：{text}" if text else ""),
                   instance_id=inst.id, task_id=row.id, at=now)
    uow.commit()
    return names


def carbon_copy(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str, recipients: object,
                task_id: str | None = None, note: object = "") -> list[str]:
    """抄送: copy named people in; they may read the instance and mark the copy read. Returns who is new."""
    inst = instances.get(uow, actor, instance_id)
    if actor.read_only:
        raise Forbidden("read-only role: auditors change nothing")
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= 20:
        raise ValidationFailed("recipients: 1–20 usernames", field="recipients", message_zh="请填写1–20个抄送人账号")
    people = []
    for i, name in enumerate(recipients):
        user = uow.identity.active_user(name) if isinstance(name, str) else None
        if user is None:
            raise ValidationFailed(f"no active user {name!r}", field=f"recipients[{i}]", message_zh="没有这个在岗用户")
        people.append(user)
    if task_id is not None and (uow.inbox.get(task_id) is None or uow.inbox.get(task_id).instance_id != inst.id):
        raise ValidationFailed(f"task {task_id} is not part of instance {inst.id}", field="task_id")
    text = note.strip()[:500] if isinstance(note, str) else ""
    now = svc.clock.now()
    fresh = [u for u in people if not uow.cc.has(inst.id, u.username, task_id)]
    if not fresh:
        return []
    for user in fresh:
        uow.add(CarbonCopy(id=str(uuid.uuid4()), instance_id=inst.id, task_id=task_id, username=user.username,
                           sent_by=actor.name, note=text, created_at=now))
    names = sorted(u.username for u in fresh)
    instances.note_event(uow, inst, instances.Entry(event_types.CarbonCopy(names, task_id, text), actor, None, None), now)
    notify.enqueue(svc, uow, fresh, f"【抄送】{inst.title}", f"{actor.name} 抄送给您：「{inst.title}」" + (f"：{text}" if text else ""),
                   instance_id=inst.id, task_id=task_id, at=now)
    uow.commit()
    return names


def copies(svc: Services, uow: UnitOfWork, actor: Actor, *, unread_only: bool = False, limit: int = 50,
           offset: int = 0) -> tuple[list[dict], int]:
    """My 抄送 list, newest first, with each instance's title."""
    return uow.cc.page(actor.name, unread_only=unread_only, limit=max(1, min(limit, svc.settings.max_page)),
                       offset=max(0, offset))


def mark_read(svc: Services, uow: UnitOfWork, actor: Actor, cc_id: str) -> None:
    """Mark one of my copies read."""
    row = uow.cc.get(cc_id)
    if row is None or row.username != actor.name:
        raise NotFound(f"no copy {cc_id}")
    if row.read_at is None:
        row.read_at = svc.clock.now()
        uow.commit()
