"""Use cases on human tasks: inbox, tasks done, detail with form, claim, complete."""
from __future__ import annotations

from datetime import date, datetime, timezone

from ..domain.calendar import local_date, rule_words
from ..domain.checklist import scores_schema
from ..domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..domain.permissions import ASSIGN_TASKS
from ..domain.quarters import quarter_of
from ..domain.roles import READ_ONLY_ROLES, may_act, role_in_scope
from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from ..store.models import InboxTask, Instance
from ..store.uow import UnitOfWork
from . import children, escalations, event_types, forms, instances, operations, org
from .actors import Actor
from .context import Services


def inbox(svc: Services, uow: UnitOfWork, actor: Actor, *, process=None, branch=None, overdue=False,
          limit=50, offset=0, text: str | None = None) -> tuple[list[InboxTask], int]:
    """The actor's open tasks (by role and branch scope), earliest due first (so overdue ones lead);
    ``text`` keeps those whose name, instance title or branch name contains it."""
    limit = max(1, min(limit, svc.settings.max_page))
    return uow.queries.inbox_page(actor.grants, username=actor.names, process=process, branch=branch,
                     overdue_at=svc.clock.now() if overdue else None, limit=limit, offset=max(0, offset),
                     text=(text or "").strip()[:50] or None)


def done(svc: Services, uow: UnitOfWork, actor: Actor, *, limit: int, offset: int) -> tuple[list[InboxTask], int]:
    """The user tasks the actor completed (已办), most recently completed first, with the total."""
    limit = max(1, min(limit, svc.settings.max_page))
    return uow.queries.done_page(actor.name, limit=limit, offset=max(0, offset))


def view(row: InboxTask, now: datetime) -> dict:
    """A task row as the API and pages show it: its columns and the derived ``overdue`` flag."""
    out = {c: getattr(row, c) for c in row.__table__.columns.keys()}
    out["overdue"] = is_overdue(row, now)
    return out


def with_context(uow: UnitOfWork, rows, now: datetime | None = None) -> list[dict]:
    """Each task row's ``view`` plus ``instance_title`` and ``branch_name`` (the branch's Chinese name, or
    None), read for the whole list in one query. Pass ``now=svc.clock.now()`` (the service's clock, which
    tests and replays move); without it ``overdue`` is judged by the wall clock."""
    rows = list(rows)
    now = now or datetime.now(timezone.utc)
    context = uow.queries.task_context([r.id for r in rows])
    out = []
    for row in rows:
        title, branch_name = context.get(row.id, (None, None))
        out.append(dict(view(row, now), instance_title=title, branch_name=branch_name))
    return out


def _visible(uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[InboxTask, Instance]:
    found = uow.inbox.with_instance(task_id)
    if found is None or not (actor.sees_instance(found[1].id, found[0].branch) or found[0].assignee in actor.names):
        raise NotFound(f"no task {task_id}")
    return found


def _check_may_act(actor: Actor, row: InboxTask) -> None:
    if actor.read_only:
        raise Forbidden("read-only role: auditors change nothing")
    if row.assignee is not None:  # a personal task: that person (or their deputy), and nobody else, acts on it
        if row.assignee not in actor.names:
            raise Forbidden(f"task {row.id} is assigned to {row.assignee}")
        return
    if not may_act(actor.grants_on(row.instance_id), row.role, row.branch):
        raise Forbidden(f"task {row.id} is for role {row.role}" + (f" of branch {row.branch}" if row.branch else ""))


def _actionable(uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[InboxTask, Instance]:
    """The task and its instance, if the task is open, not claimed by someone else, and the actor may act on it.

    The instance row is locked first, as every writer of an instance does (see ``timers.fire_due``)."""
    uow.inbox.lock_instance_of(task_id)
    row, inst = _visible(uow, actor, task_id)
    _check_may_act(actor, row)
    if row.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {row.status}")
    if row.claimed_by and row.claimed_by != actor.name:
        raise Conflict(f"task {task_id} is claimed by {row.claimed_by}")
    return row, inst


def detail(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> tuple[InboxTask, dict | None, dict]:
    """The task, its form as a page shows it (``forms.presented``) and the process data it sees."""
    row, inst = _visible(uow, actor, task_id)
    bundle = instances.bundle_of(svc, uow, inst)
    form = forms.presented(form_of(bundle, row, inst), instances.branch_names(uow))
    return row, forms.with_item_choices(form, inst.data or {}), seen_by(svc, bundle, inst, row)


def seen_by(svc: Services, bundle, inst: Instance, row: InboxTask) -> dict:
    """The process data an open task sees: its own branch of the process (a week's spot check sees its week,
    not the week that opened after it); a closed task, or a notice, sees the instance's latest data."""
    if row.status == TaskStatus.OPEN and row.kind == TaskKind.USER:
        try:
            return svc.engine.task_data(svc.engine.load(bundle, inst.state), row.id)
        except (KeyError, ValueError, AttributeError):  # a row whose task is no longer in the state
            pass
    return dict(inst.data or {})


def alongside(uow: UnitOfWork, row: InboxTask, now: datetime) -> list[dict]:
    """The other open duties of the task's instance, overdue first: what the holder of a quarter's assessment
    sees of the quiz or report still missing (and how far it has escalated)."""
    others = [r for r in uow.inbox.open_of(row.instance_id) if r.kind == TaskKind.USER and r.id != row.id]
    return [{"id": r.id, "element": r.element, "name": r.name, "role": r.role, "due_at": r.due_at,
             "overdue": r.due_at is not None and r.due_at < now, "escalation_level": r.escalation_level}
            for r in sorted(others, key=lambda r: (r.due_sort, r.created_at))]


def form_of(bundle, row: InboxTask, inst: Instance) -> dict | None:
    """The form of a task as its user fills it: a form with ``x-items-from`` gets one scored field per
    item of the checklist the instance pinned, each bounded by the item's maximum; a countersignature's
    is the decision form."""
    if row.kind in (TaskKind.SIGN_BEFORE, TaskKind.SIGN_AFTER):
        return operations.DECISION_FORM
    form = bundle.forms.get(row.form) if row.form else None
    source = form.get("x-items-from") if form else None
    if not source:
        return form
    items = (inst.data or {}).get(source, {}).get("items", [])
    return dict(form, properties=dict(form["properties"], scores=scores_schema(items)))


def _check_attachments(uow: UnitOfWork, form: dict | None, data: dict, row: InboxTask) -> None:
    """Fields listed in ``x-attachments`` must name files uploaded for the task's branch."""
    errors = []
    for name in (form or {}).get("x-attachments", []):
        for i, attachment_id in enumerate(data.get(name, [])):
            found = uow.attachments.get(attachment_id)
            if found is None or found.branch != row.branch:
                errors.append({"field": f"data.{name}[{i}]",
                               "message": f"no attachment {attachment_id} uploaded for this branch",
                               "message_zh": "附件不存在或不是为本支部上传的，请重新上传"})
    if errors:
        raise ValidationFailed("unknown attachments", errors=errors)


def _check_gate(uow: UnitOfWork, bundle, row: InboxTask, inst: Instance, data: dict) -> None:
    """A task with ``gate=children_closed`` may set ``gate_field`` true only when every child it opened
    (an inspection's rectification tickets) has ended; with ``gate=branch_tickets_closed``, only when every
    rectification ticket of the instance's branch opened in its quarter is closed (a 争先 branch re-rated)."""
    props = bundle.element(row.element)
    if props.gate == "branch_tickets_closed":
        _check_branch_tickets(uow, inst, props.gate_field, data)
        return
    if props.gate != "children_closed":
        return
    field = props.gate_field
    if data.get(field) is True:
        still_open = [c for c in uow.instances.children_of(inst.id) if c.status == InstanceStatus.RUNNING]
        if still_open:
            titles = "、".join(c.data.get("title", c.id) for c in still_open)
            raise ValidationFailed(f"{len(still_open)} rectification ticket(s) of this inspection are still open: "
                                   + titles, field=f"data.{field}",
                                   message_zh=f"还有{len(still_open)}项整改问题未销号：{titles}")


def _check_dates(svc: Services, form: dict | None, data: dict) -> None:
    """A date field with ``x-not-before: <rule>`` (a rectification deadline) may be neither in the past nor
    before the deadline ``rule`` gives from now (the branch's 7-working-day plan duty)."""
    for name, prop in ((form or {}).get("properties") or {}).items():
        rule = prop.get("x-not-before") if isinstance(prop, dict) else None
        if not rule or not isinstance(data.get(name), str):
            continue
        value = date.fromisoformat(data[name])  # the form checked the format
        now = svc.clock.now()
        today, earliest = local_date(now), local_date(svc.calendars.current.deadline(now, rule).due)
        if value < today:
            raise ValidationFailed(f"{name} {value} is in the past", field=f"data.{name}",
                                   message_zh=f"{prop.get('title', name)}不能早于今天（{today}）")
        if value < earliest:
            raise ValidationFailed(f"{name} {value} is before {earliest}, the {rule} plan deadline",
                                   field=f"data.{name}",
                                   message_zh=f"{prop.get('title', name)}不能早于整改方案提交期限（{rule_words(rule)}，{earliest}）")


def _check_branch_tickets(uow: UnitOfWork, inst: Instance, field: str, data: dict) -> None:
    if data.get(field) is not True:
        return
    quarter = (inst.data or {}).get("quarter")
    still_open = [t for t in uow.instances.of_process("rectification", inst.branch)
                  if t.status == InstanceStatus.RUNNING and quarter_of(local_date(t.created_at)) == quarter]
    if still_open:
        titles = "、".join((t.data or {}).get("title", t.id) for t in still_open)
        raise ValidationFailed(f"{len(still_open)} rectification ticket(s) of the branch from {quarter} are still open: "
                               + titles, field=f"data.{field}",
                               message_zh=f"本季度还有{len(still_open)}项整改问题未销号：{titles}")


def claim(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> InboxTask:
    """Claim an open task so colleagues with the same role see it is taken; claiming one's own claim again
    changes nothing (no second event)."""
    row, inst = _actionable(uow, actor, task_id)
    if row.claimed_by == actor.name:
        return row
    now = svc.clock.now()
    row.claimed_by = actor.name
    instances.note_event(uow, inst, instances.Entry(event_types.Claim(row.id), actor.with_role(row.role),
                                               row.element, row.name), now)
    uow.commit()
    return row


def release(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str) -> InboxTask:
    """Give up a claim so the task is shared by its role again. The claimant may, and so may whoever
    oversees the holder: the branch's secretary, the supervisor or an admin. Releasing an unclaimed task
    changes nothing (no event)."""
    uow.inbox.lock_instance_of(task_id)
    row, inst = _visible(uow, actor, task_id)
    if actor.read_only:
        raise Forbidden("read-only role: auditors change nothing")
    if row.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {row.status}")
    if row.claimed_by is None:
        return row
    if row.claimed_by != actor.name:
        oversees = bool(row.branch) and may_act(actor.grants_on(row.instance_id), "secretary", row.branch)
        if not oversees:
            actor.require(ASSIGN_TASKS, f"task {task_id} is claimed by {row.claimed_by}", row.branch)
    claimant, row.claimed_by = row.claimed_by, None
    instances.note_event(uow, inst, instances.Entry(event_types.Release(row.id, claimant), actor.with_role(row.role),
                                               row.element, row.name), svc.clock.now())
    uow.commit()
    return row


def complete(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, data: object,
             expected_version: int | None = None) -> InboxTask:
    """Validate ``data`` against the task's form, complete the task and run the process on."""
    row, inst = _actionable(uow, actor, task_id)
    if expected_version is not None and expected_version != inst.version:
        raise Conflict(f"stale version {expected_version}: the instance is at version {inst.version}")
    bundle = instances.bundle_of(svc, uow, inst)
    if row.kind == TaskKind.ESCALATION:
        return escalations.handle(svc, uow, actor, row, inst, bundle, data)
    if row.kind in (TaskKind.SIGN_BEFORE, TaskKind.SIGN_AFTER):
        return operations.decide(svc, uow, actor, row, inst, data)
    form = form_of(bundle, row, inst)
    data = forms.validate(forms.with_choices(form, instances.branch_names(uow)) if forms.uses_choices(form) else form, data)
    forms.check_period(form, data, inst.data or {})
    forms.check_covers(form, data, inst.data or {})
    if form is not None and form.get("x-attachments"):
        _check_attachments(uow, form, data, row)
    if form is not None and form.get("x-item-refs"):
        forms.check_item_refs(form, data, inst.data or {})
    _check_gate(uow, bundle, row, inst, data)
    _check_dates(svc, form, data)
    if row.owner and row.owner != actor.name:  # a delegate's work goes back to the task's owner first
        return operations.hand_back(svc, uow, actor, row, inst, data)
    waiting = operations.check_signatures(uow, row) if row.signers else []
    if waiting:  # 后加签: the submission waits for the signers' approval
        return operations.hold_for_signers(svc, uow, actor, row, inst, data, waiting)
    return finish(svc, uow, actor, row, inst, data, bundle)


def finish(svc: Services, uow: UnitOfWork, actor: Actor, row: InboxTask, inst: Instance, data: dict,
           bundle=None) -> InboxTask:
    """Complete the task with (validated) ``data`` and run the process on; committed."""
    bundle = bundle or instances.bundle_of(svc, uow, inst)
    now = svc.clock.now()
    if row.owner is not None or row.draft is not None:  # a delegation or a held submission ends here
        uow.update_rows(InboxTask, [row.id], owner=None, draft=None)
    principal = actor.stands_in_for(row.role, row.branch, row.assignee)
    if principal:  # 代理: recorded as done for the person away
        instances.note_event(uow, inst, instances.Entry(event_types.Deputized(row.id, principal),
                                                       actor.with_role(row.role), row.element, row.name), now)
    step = instances.Entry(event_types.Complete(row.id, data), actor.with_role(row.role), row.element, row.name)
    instances.apply_event(svc, uow, inst, step, now)
    children.open_from_task(svc, uow, inst, bundle, row.element, data)
    org.points_from_task(svc, uow, inst, bundle.element(row.element).points_from)
    uow.commit()
    return row


def is_overdue(row: InboxTask, now: datetime) -> bool:
    """True when an open task is past its due time."""
    return row.status == TaskStatus.OPEN and row.due_at is not None and row.due_at < now


def stranded(svc: Services, uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Open tasks no active person can act on, each with why (admins and the supervisor)."""
    actor.require(ASSIGN_TASKS, "only an admin or the supervisor sees stranded tasks")
    out, names = [], instances.branch_names(uow)
    for row, inst in uow.queries.stranded():
        if row.assignee is not None:
            why = f"assigned to {row.assignee}, whose account is disabled or gone"
        else:
            why = f"no active person holds {role_in_scope(row.role, row.branch, names)}"
        out.append({"task": row, "instance_title": inst.title, "reason": why})
    return out


def assign(svc: Services, uow: UnitOfWork, actor: Actor, task_id: str, assignee: str, reason: str) -> InboxTask:
    """Make an open task personal to ``assignee`` (an admin or the supervisor; the reason is recorded in the
    history). The assignee must be active and belong to the task's branch or hold a company-wide role,
    in any role but a read-only one: the person who answers for the work when its role holder is gone. A
    branch's secretary and committee members assign their branch's member duties (``org.may_reassign``)."""
    uow.inbox.lock_instance_of(task_id)
    found = uow.inbox.with_instance(task_id)
    if found is None:
        raise NotFound(f"no task {task_id}")
    row, inst = found
    if not org.may_reassign(actor, row.role, row.branch):
        actor.require(ASSIGN_TASKS, "only an admin, the supervisor or the branch committee (member duties) assigns tasks")
    if row.status != TaskStatus.OPEN:
        raise Conflict(f"task {task_id} is already {row.status}")
    user = uow.identity.active_user(assignee) if isinstance(assignee, str) else None
    if user is None:
        raise ValidationFailed(f"no active user {assignee!r}", field="assignee")
    fits = [g for g in uow.identity.grants_of(user) if g.role not in READ_ONLY_ROLES and g.instance is None
            and (g.branch is None or g.branch == row.branch)]
    if not fits:
        raise ValidationFailed(f"{assignee} neither belongs to this task's branch nor holds a company-wide role",
                               field="assignee")
    if row.assignee == assignee:
        return row
    now = svc.clock.now()
    previous, row.assignee, row.claimed_by = row.assignee, assignee, None
    instances.note_event(uow, inst, instances.Entry(event_types.Assign(row.id, assignee, previous, reason), actor,
                                               row.element, row.name), now)
    uow.commit()
    return row

