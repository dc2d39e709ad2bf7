"""Projections: after every step, the rows the service reads instead of the workflow state, brought in
line with it in the same transaction — the instance's data, its timer rows, its inbox rows, the children
its waits join on, and its completion.

Reads and writes are Core statements on the rows as stored (the hot path of every completion); callers
flush any mapped timer or inbox row they changed before.
"""
from __future__ import annotations
from ..domain.status import ONE_RUNNING, InstanceStatus, TaskKind, TaskStatus, TimerKind, TimerStatus

from datetime import datetime

from ..engine.runner import Snapshot
from ..engine.specs import SpecBundle
from ..store.models import InboxTask, Instance, Timer
from ..store.uow import UnitOfWork
from . import children, escalations, event_types, events
from .context import Services


def project(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, wf, at: datetime,
            closed_by: str, completed: str | None = None, reopened: str | None = None,
            keep_history: bool = True) -> Snapshot:
    """Bring every projection of ``inst`` in line with workflow ``wf``; the snapshot it read.

    ``completed`` is the task the step completed (its row becomes completed; other rows whose task left
    the workflow are closed: a terminate, a send-back, a withdrawal or a terminating end). ``reopened`` is
    a task a send-back or withdrawal made ready again: its row is reopened, and with ``keep_history`` its
    former completion is kept as a copy (已办 still shows it)."""
    snap = svc.engine.snapshot(wf, bundle)
    if inst.data != snap.data:  # most steps leave the data as it was: skip rewriting it
        inst.data = snap.data
    # a new instance has no rows yet
    pending, open_list = ({}, []) if inst.version == 1 else uow.instances.rows_to_project(inst.id)
    # timers first: task due dates come from their escalation timers
    new_rows = timer_rows(uow, inst, bundle, snap, pending)
    if reopened is not None:  # a send-back or withdrawal: the task and its timers keep their ids
        with uow.session.no_autoflush:  # the instance row is written last, against its loaded version
            known = uow.timers.ids_of(inst.id, [t.id for t in new_rows])
            for t in (t for t in new_rows if t.id in known):  # armed again, not inserted
                uow.update_rows(Timer, [t.id], status=TimerStatus.PENDING, due_at=t.due_at, provisional=t.provisional,
                                fired_at=None, error=None)
            new_rows = [t for t in new_rows if t.id not in known]
            uow.inbox.reopen(reopened, keep_history)
            open_list = [r for r in open_list if r.id != reopened] + [r for r in [uow.inbox.get(reopened)] if r]
    tasks, ruled = inbox_rows(uow, inst, bundle, snap, {r.id: r for r in open_list}, at, closed_by, completed)
    uow.insert(*new_rows, *tasks)
    for row, rule in ruled:  # who a rule of the diagram gave the task to joins the history
        fact = event_types.AssignedByRule(row.id, row.assignee, row.role, rule)
        events.note(uow, inst, type=fact.type, actor="system", role="system", at=at, element=row.element,
                    element_name=row.name, data=fact.data())
    children.start_waited(svc, uow, inst, bundle, wf, snap, at)
    children.open_requested(svc, uow, inst, wf, at)
    completion(svc, uow, inst, snap, at)
    return snap


def timer_rows(uow: UnitOfWork, inst: Instance, bundle: SpecBundle, snap: Snapshot, pending: dict) -> list[Timer]:
    """Cancel timer rows the workflow no longer waits on, move changed due times; the new rows to insert."""
    live = {t.task_id for t in snap.timers}
    uow.update_rows(Timer, [tid for tid in pending if tid not in live], status=TimerStatus.CANCELLED)
    new_rows = []
    for t in snap.timers:
        if t.task_id not in pending:
            new_rows.append(Timer(id=t.task_id, instance_id=inst.id, element=t.element, name=t.name, kind=t.kind,
                                  level=level(bundle, t), attached_to=t.attached_to, rule=t.rule,
                                  provisional=t.provisional, due_at=t.due, status=TimerStatus.PENDING))
        elif pending[t.task_id] != (t.due, t.provisional):
            uow.update_rows(Timer, [t.task_id], due_at=t.due, provisional=t.provisional)
    return new_rows


def inbox_rows(uow: UnitOfWork, inst: Instance, bundle: SpecBundle, snap: Snapshot, open_rows: dict,
               at: datetime, closed_by: str, completed: str | None = None
               ) -> tuple[list[InboxTask], list[tuple[InboxTask, str]]]:
    """Complete the row of the task the step completed, close the rows of other tasks that left the
    workflow (and their escalations), move changed due dates; the rows of newly ready tasks to insert, and
    those of them a rule of the diagram assigned, with the rule (``assignment``)."""
    due_of = due_dates(bundle, snap)
    ready = {t.id: t for t in snap.open_tasks}
    done = [rid for rid, row in open_rows.items() if row.kind == TaskKind.USER and rid not in ready]
    uow.update_rows(InboxTask, [rid for rid in done if rid == completed], status=TaskStatus.COMPLETED, closed_at=at,
                    closed_by=closed_by)
    uow.update_rows(InboxTask, [rid for rid in done if rid != completed], status=TaskStatus.CLOSED, closed_at=at,
                    closed_by=closed_by)
    escalations.close_for_done(uow, open_rows, done, at)
    new_rows, ruled = [], []
    for tid, t in ready.items():
        due, provisional = due_of.get(tid, (None, False))
        if tid in open_rows:
            # a fired deadline keeps its due time: the task is overdue, not undated
            if tid in due_of and (open_rows[tid].due_at, open_rows[tid].provisional) != (due, provisional):
                uow.update_rows(InboxTask, [tid], due_at=due, provisional=provisional)
            continue
        role, rule = assignment(uow, bundle, t, inst.branch)
        row = InboxTask(id=tid, instance_id=inst.id, process_id=inst.process_id, kind=TaskKind.USER,
                        element=t.element, name=t.name, role=role, branch=inst.branch,
                        form=t.form if t.form in bundle.forms else None, assignee=t.assignee,
                        status=TaskStatus.OPEN, due_at=due, provisional=provisional, created_at=at)
        new_rows.append(row)
        if rule is not None:
            ruled.append((row, rule))
    return new_rows, ruled


def completion(svc: Services, uow: UnitOfWork, inst: Instance, snap: Snapshot, at: datetime) -> None:
    """An instance whose workflow ended: its status and outcome, the roles it lent end, a joined child tells
    its parent."""
    if snap.completed and inst.status == InstanceStatus.RUNNING:
        inst.status = InstanceStatus.COMPLETED
        inst.outcome = snap.data.get("outcome")
        uow.identity.drop_grants_of(inst.id)  # roles granted for this instance (an inspection team's) end with it
        if (inst.dedup_key or "").startswith(ONE_RUNNING):  # one running at a time: the next may start
            inst.dedup_key = None
        children.end_periods(svc, uow, inst, at)
        if inst.parent_wait and inst.parent_wait != children.PERIOD:  # a child some wait of the parent joins on
            children.notify_parent(svc, uow, inst, at)


def assignment(uow: UnitOfWork, bundle: SpecBundle, task, branch: str | None) -> tuple[str, str | None]:
    """The role a new task is offered to, and the diagram's rule that decided it when that is not simply its
    lane's role: the element's ``fallback_role`` when nobody active holds the lane's role in the branch (a
    branch without a helper: 党群部 coordinates its requests); 党委 when the person the task must not reach
    (``exclude_field``: the pairing's helper) holds the lane's role; and for a task personal to someone
    (``assignee_field``), that field."""
    props = bundle.element(task.element)
    if props.fallback_role and not uow.identity.has_active_holder(task.role, branch):
        return props.fallback_role, "fallback_role"
    if task.excluded and uow.identity.holds(task.excluded, task.role, branch):
        return "committee", f"exclude_field:{props.exclude_field}"  # 党群部部长 is also a helper: 党委 assesses his pairing
    return task.role, f"assignee_field:{props.assignee_field}" if task.assignee else None


def level(bundle: SpecBundle, timer) -> int:
    """A timer's escalation level (0: a reminder)."""
    return bundle.element(timer.element).level if timer.kind == TimerKind.ESCALATE else 0


def due_dates(bundle: SpecBundle, snap: Snapshot) -> dict[str, tuple[datetime, bool]]:
    """Task id → (due, provisional): a duty is due when its first-level escalation timer fires."""
    return {t.attached_to: (t.due, t.provisional) for t in snap.timers if t.attached_to and level(bundle, t) == 1}
