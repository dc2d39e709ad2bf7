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
- carbon copy: whoever sees the instance; the people copied in may then read it;
- delegate: whoever may act on the task asks a named active person to do it; the task becomes theirs
  personally until they submit, then returns to its owner with their data to confirm (complete) or redo
  (delegate again); the owner stays responsible for the deadline;
- countersign: whoever may act on the task asks a named active person to approve — before (the task cannot
  be completed until they decide) or after (the holder's submission waits for their approval, then the
  process runs on with it); a refusal returns the task to its holder, with the decision recorded.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from ..domain.errors import Conflict, Forbidden, NotFound, TooManyAttempts, ValidationFailed
from ..domain.permissions import ASSIGN_TASKS, TERMINATE
from ..domain.roles import ROLE_LABELS, may_act
from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from ..store.models import CarbonCopy, InboxTask, Instance
from ..store.uow import UnitOfWork
from . import event_types, forms, instances, notify, tasks
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
    person = _person(uow, actor, to)
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
                task_id: str | None = None, note: object = "", roles: object = ()) -> list[str]:
    """抄送: copy named people in, and/or everyone holding ``roles`` for the instance's branch (company-wide
    roles: the whole company); they may read the instance and mark the copy read. Returns who is new."""
    inst = instances.get(uow, actor, instance_id)
    if actor.read_only:
        raise Forbidden("read-only role: auditors change nothing")
    recipients, roles = recipients or [], roles or []
    if not isinstance(recipients, list) or not isinstance(roles, list) or not 1 <= len(recipients) + len(roles) <= 20:
        raise ValidationFailed("recipients: 1–20 usernames or roles", field="recipients",
                               message_zh="请填写1–20个抄送人账号或角色")
    people = []
    for i, name in enumerate(recipients):
        user = uow.identity.active_user(name) if isinstance(name, str) else None
        if user is None:
            raise ValidationFailed(f"no active user {name!r}", field=f"recipients[{i}]", message_zh="没有这个在岗用户")
        people.append(user)
    for i, role in enumerate(roles):
        if role not in ROLE_LABELS or role == "system":
            raise ValidationFailed(f"unknown role {role!r}", field=f"roles[{i}]", message_zh="没有这个角色")
        people += uow.identity.users_with(role, inst.branch)
    people = list({u.username: u for u in people if u.username != actor.name}.values())
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


# -- 委派 delegate ------------------------------------------------------------------------------------

DECISION_FORM = {
    "title": "加签意见", "type": "object", "required": ["approved"], "additionalProperties": False,
    "x-order": ["approved", "comment"],
    "properties": {"approved": {"type": "boolean", "title": "同意"},
                   "comment": {"type": "string", "title": "意见", "maxLength": 500}},
}


def _person(uow: UnitOfWork, actor: Actor, name: object, field: str = "to"):
    person = uow.identity.active_user(name) if isinstance(name, str) else None
    if person is None:
        raise ValidationFailed(f"no active user {name!r}", field=field, message_zh="没有这个在岗用户")
    if person.username == actor.name:
        raise ValidationFailed("someone else", field=field, message_zh="不能选择自己")
    return person


def delegate(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, to: object, reason: object):
    """委派: ask a named person to do my task; it comes back to me with their data."""
    text = _reason(reason)
    row, inst = tasks._actionable(uow, actor, task_id)
    if row.kind != TaskKind.USER:
        raise Conflict(f"task {task_id} cannot be delegated")
    person = _person(uow, actor, to)
    owner = row.owner or actor.name
    row.owner, row.assignee, row.claimed_by = owner, person.username, None
    instances.note_event(uow, inst, instances.Entry(event_types.Delegate(row.id, person.username, owner, text),
                                                   actor.with_role(row.role), row.element, row.name), svc.clock.now())
    notify.enqueue(svc, uow, [person], f"【委派】{row.name}", f"{actor.name} 委派您办理「{inst.title}」的任务「{row.name}」：{text}",
                   instance_id=inst.id, task_id=row.id, at=svc.clock.now())
    uow.commit()
    return row


def hand_back(svc: Services, uow: UnitOfWork, actor: Actor, row, inst, data: dict):
    """The delegate submitted: the data waits for the owner, the task is the owner's again."""
    row.draft, row.assignee = data, row.owner
    instances.note_event(uow, inst, instances.Entry(event_types.DelegateDone(row.id, row.owner, data),
                                                   actor.with_role(row.role), row.element, row.name), svc.clock.now())
    owner = uow.identity.active_user(row.owner)
    notify.enqueue(svc, uow, [owner] if owner else [], f"【委派已办】{row.name}",
                   f"{actor.name} 已办理您委派的「{row.name}」，请确认或退回重办", instance_id=inst.id, task_id=row.id,
                   at=svc.clock.now())
    uow.commit()
    return row


# -- 加签 countersign ---------------------------------------------------------------------------------


def countersign(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, signer: object, when: object,
                reason: object):
    """加签: ask ``signer`` to approve before my submission, or after it; returns the signature's row."""
    text = _reason(reason)
    if when not in ("before", "after"):
        raise ValidationFailed("when: before or after", field="when", message_zh="请选择前加签或后加签")
    row, inst = tasks._actionable(uow, actor, task_id)
    if row.kind != TaskKind.USER:
        raise Conflict(f"task {task_id} takes no countersignature")
    person = _person(uow, actor, signer, "signer")
    now = svc.clock.now()
    sign = InboxTask(id=str(uuid.uuid4()), instance_id=inst.id, process_id=inst.process_id,
                     kind=TaskKind.SIGN_BEFORE if when == "before" else TaskKind.SIGN_AFTER, element=row.element,
                     name=f"{'前' if when == 'before' else '后'}加签：{row.name}", role=row.role, branch=row.branch,
                     form=None, status=TaskStatus.OPEN if when == "before" else TaskStatus.WAITING,
                     ref_task_id=row.id, assignee=person.username, owner=actor.name, created_at=now, due_at=row.due_at)
    uow.add(sign)
    row.signers = (row.signers or 0) + 1
    uow.flush()
    instances.note_event(uow, inst, instances.Entry(event_types.Countersign(row.id, sign.id, person.username, when, text),
                                                   actor.with_role(row.role), row.element, row.name), now)
    if when == "before":
        notify.enqueue(svc, uow, [person], f"【加签】{row.name}", f"{actor.name} 请您审批「{inst.title}」的「{row.name}」：{text}",
                       instance_id=inst.id, task_id=sign.id, at=now)
    uow.commit()
    return sign


def check_signatures(uow: UnitOfWork, row) -> list:
    """Before a task completes: no before-signature may still be open; the after-signatures waiting on it."""
    signs = uow.inbox.signatures_of(row.id)
    if any(s.kind == TaskKind.SIGN_BEFORE and s.status == TaskStatus.OPEN for s in signs):
        raise Conflict(f"task {row.id} waits for a countersignature (前加签) first")
    return [s for s in signs if s.kind == TaskKind.SIGN_AFTER and s.status in (TaskStatus.WAITING, TaskStatus.OPEN)]


def hold_for_signers(svc: Services, uow: UnitOfWork, actor: Actor, row, inst, data: dict, waiting: list):
    """后加签: my submission waits; the signers are asked now."""
    row.draft, row.owner = data, row.owner or actor.name
    now = svc.clock.now()
    for sign in waiting:
        sign.status = TaskStatus.OPEN
        person = uow.identity.active_user(sign.assignee)
        notify.enqueue(svc, uow, [person] if person else [], f"【加签】{row.name}",
                       f"{actor.name} 已提交「{inst.title}」的「{row.name}」，请您审批", instance_id=inst.id,
                       task_id=sign.id, at=now)
    uow.commit()
    return row


def decide(svc: Services, uow: UnitOfWork, actor: Actor, sign, inst, data: object):
    """The signer's decision on a countersignature; an approved after-signature lets the held submission
    through (the process runs on with it), a refusal returns the task to its holder."""
    decision = forms.validate(DECISION_FORM, data)
    approved, comment = decision["approved"], decision.get("comment", "")
    now = svc.clock.now()
    main = uow.inbox.get(sign.ref_task_id)
    instances.note_event(uow, inst, instances.Entry(event_types.CountersignDecision(main.id, sign.id, approved, comment),
                                                   actor.with_role(sign.role), sign.element, sign.name), now)
    holder = uow.identity.active_user(sign.owner)
    if sign.kind == TaskKind.SIGN_AFTER and not approved:
        # the submission is off: this signature (and any other still asked) waits for the next one
        for other in uow.inbox.signatures_of(main.id):
            if other.kind == TaskKind.SIGN_AFTER and other.status == TaskStatus.OPEN:
                other.status = TaskStatus.WAITING
    else:
        sign.status, sign.closed_at, sign.closed_by = TaskStatus.COMPLETED, now, actor.name
    if sign.kind == TaskKind.SIGN_AFTER and approved and main.draft is not None and not any(
            s.status == TaskStatus.OPEN for s in uow.inbox.signatures_of(main.id) if s.id != sign.id):
        owner = Actor(sign.owner, uow.identity.grants_of(holder) if holder else ())
        draft, main.draft = main.draft, None
        tasks.finish(svc, uow, owner, main, inst, draft)
        return sign
    notify.enqueue(svc, uow, [holder] if holder else [], f"【加签{'同意' if approved else '不同意'}】{main.name}",
                   f"{actor.name} {'同意' if approved else '不同意'}「{main.name}」" + (f"：{comment}" if comment else ""),
                   instance_id=inst.id, task_id=main.id, at=now)
    uow.commit()
    return sign
