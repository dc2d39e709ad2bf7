"""Use cases around instances: start, apply one step under an event, keep inbox/timers/children in sync."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..domain.roles import BRANCHES, ROLE_LABELS, may_act
from ..engine.determinism import seed_for
from ..engine.runner import Snapshot
from ..engine.specs import SpecBundle
from ..store.models import InboxTask, Instance, Spec, Timer
from ..store.uow import UnitOfWork
from . import event_types, events, forms
from .actors import Actor
from .context import Services

SYSTEM = Actor.system()


def bundle_of(svc: Services, uow: UnitOfWork, inst: Instance) -> SpecBundle:
    """The spec bundle ``inst`` pinned."""

    def load():
        spec = uow.spec(inst.spec_sha)
        return spec.process_id, spec.bpmn_xml, spec.forms

    return svc.pinned_bundle(inst.spec_sha, load)


def process_name(bundle: SpecBundle) -> str:
    """The Chinese name of a bundle's process."""
    return bundle.spec.description or bundle.process_id


def _title(bundle: SpecBundle, variables: dict) -> str:
    parts = [process_name(bundle)]
    if variables.get("branch") in BRANCHES:
        parts.append(BRANCHES[variables["branch"]])
    if variables.get("month"):
        parts.append(f"第{variables['month']}月")
    return " · ".join(parts)


def start(svc: Services, uow: UnitOfWork, actor: Actor, process: str, variables: object,
          *, parent: Instance | None = None, parent_wait: str | None = None, via_use_case: bool = False,
          dedup_key: str | None = None, duplicate: str | None = None) -> Instance:
    """Start ``process`` with ``variables`` validated against its start form; staged, not committed.

    ``dedup_key`` is the domain's own uniqueness of the instance (one rating per branch and quarter): a
    second start with the same key, even one racing in another worker, is a Conflict saying ``duplicate``.

    A start form with ``x-start-via`` names the use case that starts the process (it checks more than
    the form can say, such as an inspection team's conflicts of interest); only that use case may."""
    if process not in svc.processes():
        raise ValidationFailed(f"unknown process {process!r}", field="process")
    bundle = svc.current_bundle(process)
    start_form = bundle.forms.get("start")
    if not isinstance(variables, dict):
        raise ValidationFailed("variables must be a JSON object", field="variables")
    if start_form is None:
        raise ValidationFailed(f"process {process!r} has no start form", field="process")
    if start_form.get("x-start-via") and not via_use_case and not actor.is_system:
        raise ValidationFailed(f"start {process} with {start_form['x-start-via']}", field="process")
    if parent is None:
        roles = start_form.get("x-start-roles", [])
        branch = variables.get("branch")
        if not actor.is_system and not any(may_act(actor.grants, r, branch) for r in roles):
            raise Forbidden(f"your roles may not start {process}" + (f" for branch {branch}" if branch else ""))
    values = dict(start_form.get("x-defaults", {}))
    forms.validate(start_form, variables, prefix="variables")
    values.update(variables)
    if "branch" in values and uow.branch(values["branch"]) is None:
        raise ValidationFailed(f"unknown branch {values['branch']!r}", field="variables.branch")
    _check_refs(uow, start_form.get("x-instance-refs", {}), values)
    if uow.spec(bundle.sha256) is None:  # two first starts at once both store it: the second insert is a no-op
        uow.keep_spec(Spec(sha256=bundle.sha256, process_id=process, bpmn_xml=bundle.bpmn_xml, forms=bundle.forms,
                           created_at=svc.clock.now()))
    now = svc.clock.now()
    inst = Instance(id=str(uuid.uuid4()), process_id=process, spec_sha=bundle.sha256, state="", version=1,
                    status="running", head=events.GENESIS, branch=values.get("branch"), title=_title(bundle, values),
                    parent_id=parent.id if parent else None, parent_wait=parent_wait, summary={},
                    started_by=actor.name, created_at=now, updated_at=now, dedup_key=dedup_key)
    begun = event_types.Start(process, bundle.sha256, values, parent.id if parent is not None else None)
    wf = begun.create(svc.engine, bundle, now, seed_for(inst.id, 1))
    inst.state = svc.engine.dump(wf)
    _keep_warm(svc, uow, inst, wf)
    uow.add(inst)
    try:
        uow.flush()
    except Conflict:
        if dedup_key is None:
            raise
        raise Conflict(duplicate or f"{dedup_key} exists already") from None
    events.append(uow, inst, 1, type=begun.type, actor=actor.name, role=actor.acting_role,
                  at=now, element=None, element_name=process_name(bundle),
                  data=dict(begun.data(), ctx=svc.deadline_context()))
    _sync(svc, uow, inst, bundle, wf, now, closed_by=actor.name)
    uow.flush()
    if parent is None:
        _check_reachable(uow, inst)
    return inst


def _check_refs(uow: UnitOfWork, refs: dict, values: dict) -> None:
    """Fields that name another instance (``x-instance-refs``: field → process) must name a running
    instance of that process for the same branch; ``"*"`` accepts an instance of any process, finished or not
    (the diagnosis or assessment a ticket comes from)."""
    for name, process in refs.items():
        if name not in values:
            continue
        ref = uow.instance(values[name])
        # another branch's instance is answered like an unknown one: no existence oracle
        if ref is None or process != "*" and ref.process_id != process or ref.branch != values.get("branch"):
            raise ValidationFailed(f"no {process} instance {values[name]} of this branch", field=f"variables.{name}")
        if process != "*" and ref.status != "running":
            raise ValidationFailed(f"{process} {values[name]} is {ref.status}", field=f"variables.{name}")


@dataclass
class Step:
    """One event about to be recorded on an instance: what happened (a typed event), who did it, where."""

    event: event_types.EventType
    actor: Actor
    element: str | None = None
    element_name: str | None = None
    role: str | None = None


def apply(svc: Services, uow: UnitOfWork, inst: Instance, step: Step, at: datetime | None = None) -> Snapshot:
    """Load ``inst`` (or take its warm workflow), apply ``step.event`` to it, append the event, persist and
    sync; staged."""
    bundle = bundle_of(svc, uow, inst)
    wf = svc.workflows.take(inst.id, inst.spec_sha, inst.state) or svc.engine.load(bundle, inst.state)
    seq = inst.version + 1
    at = at or svc.clock.now()
    step.event.apply(svc.engine, wf, at, seed_for(inst.id, seq))
    events.append(uow, inst, seq, type=step.event.type,
                  actor=step.actor.name, role=step.role or step.actor.acting_role, at=at,
                  element=step.element, element_name=step.element_name,
                  data=dict(step.event.data(), ctx=svc.deadline_context()))
    inst.state = svc.engine.dump(wf)
    inst.version = seq
    inst.updated_at = at
    snap = _sync(svc, uow, inst, bundle, wf, at, closed_by=step.actor.name)
    uow.save_instance(inst)
    _keep_warm(svc, uow, inst, wf)
    return snap


def _keep_warm(svc: Services, uow: UnitOfWork, inst: Instance, wf) -> None:
    """Hand the stepped workflow to the warm cache once its state is committed (``engine.cache``)."""
    iid, sha, state = inst.id, inst.spec_sha, inst.state
    uow.after_commit(lambda: svc.workflows.put(iid, sha, state, wf))


def record(uow: UnitOfWork, inst: Instance, step: Step, at: datetime) -> None:
    """Append an event that changes no workflow state (claim, escalation, assignment); bumps the version
    like any event."""
    seq = inst.version + 1
    events.append(uow, inst, seq, type=step.event.type,
                  actor=step.actor.name, role=step.role or step.actor.acting_role, at=at,
                  element=step.element, element_name=step.element_name, data=step.event.data())
    inst.version = seq
    inst.updated_at = at


def _sync(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, wf, at: datetime,
          closed_by: str) -> Snapshot:
    """Bring the instance's inbox rows and timer rows in line with the workflow, in the same transaction.

    Reads and writes are Core statements on the rows as stored (the hot path of every completion);
    callers flush any mapped timer or inbox row they changed before."""
    snap = svc.engine.snapshot(wf)
    if inst.summary != snap.data:  # most steps leave the data as it was: skip rewriting it
        inst.summary = snap.data
    # a new instance has no rows yet
    pending, open_list = ({}, []) if inst.version == 1 else uow.sync_marks(inst.id)
    open_rows = {r.id: r for r in open_list}
    # timers first: task due dates come from their escalation timers
    live = {t.task_id for t in snap.timers}
    uow.update_rows(Timer, [tid for tid in pending if tid not in live], status="cancelled")
    due_of = due_dates(bundle, snap)
    new_rows: list = []
    for t in snap.timers:
        if t.task_id not in pending:
            new_rows.append(Timer(id=t.task_id, instance_id=inst.id, element=t.element, name=t.name, kind=t.kind,
                                  level=_level(bundle, t), attached_to=t.attached_to, rule=t.rule,
                                  provisional=t.provisional, due_at=t.due, status="pending"))
        elif pending[t.task_id] != (t.due, t.provisional):
            uow.update_rows(Timer, [t.task_id], due_at=t.due, provisional=t.provisional)
    # inbox rows
    ready = {t.id: t for t in snap.open_tasks}
    done = [rid for rid, row in open_rows.items() if row.kind == "user" and rid not in ready]
    uow.update_rows(InboxTask, done, status="completed", closed_at=at, closed_by=closed_by)
    uow.update_rows(InboxTask, [rid for rid, row in open_rows.items()
                                if row.kind == "escalation" and row.ref_task_id in done],
                    status="closed", closed_at=at, closed_by="system")
    for tid, t in ready.items():
        due, provisional = due_of.get(tid, (None, False))
        if tid in open_rows:
            # a fired deadline keeps its due time: the task is overdue, not undated
            if tid in due_of and (open_rows[tid].due_at, open_rows[tid].provisional) != (due, provisional):
                uow.update_rows(InboxTask, [tid], due_at=due, provisional=provisional)
            continue
        new_rows.append(InboxTask(id=tid, instance_id=inst.id, process_id=inst.process_id, kind="user",
                                  element=t.element, name=t.name, role=_acting_role(uow, bundle, t, inst.branch),
                                  branch=inst.branch,
                                  form=t.form if t.form in bundle.forms else None, status="open", due_at=due,
                                  provisional=provisional, created_at=at))
    uow.insert(*new_rows)
    # children: one child instance per message wait that names a child process
    for wait in snap.waits:
        if wait.child_process and uow.child_for_wait(inst.id, wait.task_id) is None:
            inputs = prop_list(bundle, wait.element, "child_inputs")
            data = svc.engine.task_data(wf, wait.task_id)
            start(svc, uow, SYSTEM, wait.child_process, {k: data[k] for k in inputs if k in data},
                  parent=inst, parent_wait=wait.task_id)
    if snap.completed and inst.status == "running":
        inst.status = "completed"
        inst.outcome = snap.data.get("outcome")
        uow.drop_grants_of(inst.id)  # roles granted for this instance (an inspection team's) end with it
        if inst.parent_wait:  # a child some wait of the parent joins on (not a ticket opened on the side)
            _notify_parent(svc, uow, inst, at)
    return snap


def _acting_role(uow: UnitOfWork, bundle: SpecBundle, task, branch: str | None) -> str:
    """The role a new task is offered to: its lane's, or the element's ``fallback_role`` when nobody active
    holds the lane's role in the branch (a branch without a helper: 党群部 coordinates its requests)."""
    fallback = prop(bundle, task.element, "fallback_role")
    if fallback and not uow.has_active_holder(task.role, branch):
        return fallback
    return task.role


def _check_reachable(uow: UnitOfWork, inst: Instance) -> None:
    """Refuse a start whose first tasks nobody active could act on (they would sit in no inbox)."""
    missing = [row for row in uow.open_tasks_of(inst.id)
               if row.assignee is None and not uow.has_active_holder(row.role, row.branch)]
    if missing:
        row = missing[0]
        where = BRANCHES.get(row.branch, row.branch) if row.branch else "the company"
        raise ValidationFailed(
            f"nobody active holds the role {row.role} ({ROLE_LABELS.get(row.role, row.role)}) in {where}, so "
            f"「{row.name}」 would reach no one: ask an admin to grant the role, or the supervisor (党群部) to act",
            field="variables.branch" if row.branch else "process")


def _level(bundle: SpecBundle, timer) -> int:
    return int(timer.kind == "escalate" and prop(bundle, timer.element, "level") or 0)


def due_dates(bundle: SpecBundle, snap: Snapshot) -> dict[str, tuple[datetime, bool]]:
    """Task id → (due, provisional): a duty is due when its first-level escalation timer fires."""
    return {t.attached_to: (t.due, t.provisional) for t in snap.timers if t.attached_to and _level(bundle, t) == 1}


def _notify_parent(svc: Services, uow: UnitOfWork, child: Instance, at: datetime) -> None:
    parent = uow.instance(child.parent_id, for_update=True)  # writers lock child, then parent: never the reverse
    message = f"{child.process_id}_done"
    payload = {"child": child.id}
    step = Step(event_types.DeliverMessage(message, payload, child.id), SYSTEM, element=None,
                element_name=child.title)
    apply(svc, uow, parent, step, at)


def open_children(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, element: str,
                  data: dict) -> list[Instance]:
    """Start one ``opens_process`` instance per item of ``data[opens_each]`` after task ``element`` completed
    (each problem of an inspection's feedback opens its rectification ticket); staged.

    Each child gets the item's fields, the parent's branch, ``source`` (``opens_source``) and
    ``source_instance``, and the fields of ``data`` that ``opens_inherit`` lists."""
    process = prop(bundle, element, "opens_process")
    if not process:
        return []
    inherit = prop_list(bundle, element, "opens_inherit")
    common = {"branch": inst.branch, "source": prop(bundle, element, "opens_source") or inst.process_id,
              "source_instance": inst.id, **{k: data[k] for k in inherit if k in data}}
    items = data.get(prop(bundle, element, "opens_each") or "", [])
    return [start(svc, uow, SYSTEM, process, dict(item, **common), parent=inst) for item in items]


def prop(bundle: SpecBundle, element: str, name: str):
    """A ``spiffworkflow:property`` of a diagram element (None when absent)."""
    spec = bundle.spec.task_specs.get(element)
    ext = getattr(spec, "extensions", None) or {}
    return (ext.get("properties") or {}).get(name)


def prop_list(bundle: SpecBundle, element: str, name: str) -> list[str]:
    """A comma-separated ``spiffworkflow:property`` as a list of names (empty when absent)."""
    return [k.strip() for k in (prop(bundle, element, name) or "").split(",") if k.strip()]


def get(uow: UnitOfWork, actor: Actor, instance_id: str) -> Instance:
    """The instance, if the actor may see it (company-wide roles see all, branch roles their branch)."""
    inst = uow.instance(instance_id)
    if inst is None or not actor.sees_instance(inst.id, inst.branch):
        raise NotFound(f"no instance {instance_id}")
    return inst
