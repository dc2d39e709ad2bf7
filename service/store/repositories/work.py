"""The work itself: instances and their pinned specs, inbox rows, timer rows; checklists and evidence."""
from __future__ import annotations

import uuid
from ...domain.status import TaskStatus, TimerStatus, UNFIRED

from datetime import datetime

from sqlalchemy import and_, func, select, update

from ..models import (
    Attachment,
    CarbonCopy,
    Checklist,
    InboxTask,
    Instance,
    Spec,
    Timer,
)
from .. import writes
from .base import Repository, _insert_ignoring, _TASK_WITH_INSTANCE, _LOCK_INSTANCE_OF_TASK, _OPEN_TASKS_OF, _SYNC_MARKS


class Instances(Repository):
    """Pinned specs, instances, their children and the rows a step projects."""

    def spec(self, sha: str) -> Spec | None:
        """The pinned spec ``sha``."""
        return self.session.get(Spec, sha)

    def keep_spec(self, spec: Spec) -> None:
        """Store a spec under its content address unless it is there (a concurrent insert of the same
        address is not an error: the content is the same by construction)."""
        values = {c.key: getattr(spec, c.key) for c in Spec.__table__.columns}
        self.session.connection().execute(_insert_ignoring(self.session.bind.dialect.name, Spec, ["sha256"]), values)

    def get(self, instance_id: str, for_update: bool = False) -> Instance | None:
        """The instance ``instance_id`` (row-locked on PostgreSQL when ``for_update``)."""
        stmt = select(Instance).where(Instance.id == instance_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def children_of(self, parent_id: str, process: str | None = None) -> list[Instance]:
        """Child instances of ``parent_id`` (of ``process``), oldest first."""
        conds = [Instance.parent_id == parent_id]
        if process:
            conds.append(Instance.process_id == process)
        return self._oldest_first(conds)

    def of_process(self, process: str, branch: str | None = None) -> list[Instance]:
        """Every instance of ``process`` (of ``branch``), oldest first: for the small quarterly processes."""
        conds = [Instance.process_id == process]
        if branch:
            conds.append(Instance.branch == branch)
        return self._oldest_first(conds)

    def summaries(self, process: str, *, branch: str | None = None,
                  parent_ids: list[str] | None = None) -> list[tuple[str, str | None, dict]]:
        """(status, branch, data summary) of every instance of ``process`` (of ``branch``, children of one of
        ``parent_ids``), oldest first, without their workflow state: what sweeps over many small instances read."""
        conds = [Instance.process_id == process]
        if branch:
            conds.append(Instance.branch == branch)
        if parent_ids is not None:
            conds.append(Instance.parent_id.in_(parent_ids))
        return [(r[0], r[1], r[2] or {}) for r in self.session.execute(
            select(Instance.status, Instance.branch, Instance.data).where(*conds)
            .order_by(Instance.created_at, Instance.id))]

    def _oldest_first(self, conds: list) -> list[Instance]:
        return list(self.session.scalars(select(Instance).where(*conds).order_by(Instance.created_at, Instance.id)))

    def child_for_wait(self, parent_id: str, wait_task: str) -> Instance | None:
        """The child started for message wait ``wait_task`` of ``parent_id``."""
        return self.session.scalar(
            select(Instance).where(Instance.parent_id == parent_id, Instance.parent_wait == wait_task))

    def all_ids(self) -> list[str]:
        """Every instance id, oldest first."""
        return list(self.session.scalars(select(Instance.id).order_by(Instance.created_at, Instance.id)))

    def chain_heads(self) -> list[tuple[str, int, str]]:
        """(instance id, version, chain head) of every instance, by id: the leaves of a checkpoint."""
        return [tuple(r) for r in self.session.execute(
            select(Instance.id, Instance.version, Instance.head).order_by(Instance.id))]

    def rows_to_project(self, instance_id: str) -> tuple[dict, list]:
        """An instance's pending timers (id → (due_at, provisional)) and open inbox rows
        (id, kind, ref_task_id, due_at, provisional), as stored now, in one query."""
        timers, tasks = {}, []
        for row in self.session.connection().execute(_SYNC_MARKS, {"instance_id": instance_id}):
            if row.tbl == "timer":
                timers[row.id] = (row.due_at, row.provisional)
            else:
                tasks.append(row)
        return timers, tasks


class Inbox(Repository):
    """Open and closed human tasks (inbox rows) of instances."""

    def get(self, task_id: str) -> InboxTask | None:
        """The inbox row ``task_id``."""
        return self.session.get(InboxTask, task_id)

    def signatures_of(self, task_id: str) -> list[InboxTask]:
        """The countersignatures (加签) asked on task ``task_id``."""
        return list(self.session.scalars(select(InboxTask).where(InboxTask.ref_task_id == task_id,
                                                                 InboxTask.kind.in_(("sign_before", "sign_after")))))

    def reopen(self, task_id: str, keep_history: bool) -> None:
        """Make a closed row open again (its task is ready again after a send-back or a withdrawal): no
        claim, no escalation; with ``keep_history`` its former completion stays as a copy under a new id.
        Core statements only: the step's instance row is written later, checked against its version."""
        row = self.get(task_id)
        if row is None or row.status == TaskStatus.OPEN:
            return
        if keep_history:
            copy = {c: getattr(row, c) for c in row.__table__.columns.keys()}
            copy["id"] = str(uuid.uuid4())  # the inbox is a projection, not replayed: any fresh id
            writes.insert_row(self.session, InboxTask, copy)
        writes.update_rows(self.session, InboxTask, [task_id], {"status": TaskStatus.OPEN, "closed_at": None,
                                                                "closed_by": None, "claimed_by": None,
                                                                "escalation_level": 0})

    def with_instance(self, task_id: str) -> tuple[InboxTask, Instance] | None:
        """The inbox row ``task_id`` and its instance, in one query."""
        row = self.session.execute(_TASK_WITH_INSTANCE, {"task_id": task_id}).first()
        return (row[0], row[1]) if row is not None else None

    def lock_instance_of(self, task_id: str) -> None:
        """Lock the instance row of inbox row ``task_id`` before a write touches any of its rows (PostgreSQL;
        SQLite's ``BEGIN IMMEDIATE`` already serialises writers). Every writer locking the instance first is
        what keeps web steps and timer sweeps from deadlocking each other."""
        if self.session.bind.dialect.name == "postgresql":
            self.session.connection().execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})

    def open_of(self, instance_id: str) -> list[InboxTask]:
        """Open inbox rows of an instance."""
        return list(self.session.scalars(_OPEN_TASKS_OF, {"instance_id": instance_id}))


class Timers(Repository):
    """Timer rows: what is due, what failed, what a sweep takes."""

    def ids_of(self, instance_id: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` already have a timer row of the instance (whatever their status)."""
        if not ids:
            return set()
        return set(self.session.scalars(select(Timer.id).where(Timer.instance_id == instance_id, Timer.id.in_(ids))))

    def due_of(self, instance_id: str, now: datetime) -> list[Timer]:
        """Timers of an instance due at ``now`` that have not fired (pending, or left "firing" by a sweep of
        an older release). Due means strictly before ``now``, as SpiffWorkflow fires a timer only once its
        instant has passed: a sweep at the very instant would mark a timer the engine does not fire."""
        return list(self.session.scalars(
            select(Timer).where(Timer.instance_id == instance_id, Timer.status.in_(UNFIRED),
                                Timer.due_at < now).order_by(Timer.due_at, Timer.id)))

    def next_due_instance(self, now: datetime, exclude: set[str] = frozenset()) -> str | None:
        """The running-or-not instance of the earliest due unfired timer, its *instance* row locked for this
        transaction; instances another transaction holds are skipped (PostgreSQL ``FOR UPDATE OF instances
        SKIP LOCKED``; SQLite's write lock serialises everything).

        The instance row is the one lock every write to an instance takes first (``lock_instance_of_task``,
        ``instance(for_update=True)``): taking timer rows before it would deadlock against a completion
        that holds the instance (its event's foreign key) and waits for the same timer rows."""
        stmt = (select(Instance.id).join(Timer, Timer.instance_id == Instance.id)
                .where(Timer.status.in_(UNFIRED), Timer.due_at < now))
        if exclude:
            stmt = stmt.where(Timer.instance_id.not_in(exclude))
        stmt = stmt.order_by(Timer.due_at).limit(1)
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Instance)
        return self.session.scalar(stmt)

    def park_failed(self, ids: list[str], error: str) -> list[str]:
        """Mark timers ``ids`` failed with ``error``, only those still pending (a row another transaction has
        fired or cancelled meanwhile keeps its status); the ids it marked."""
        if not ids:
            return []
        result = self.session.execute(
            update(Timer).where(Timer.id.in_(ids), Timer.status.in_(UNFIRED))
            .values(status=TimerStatus.FAILED, error=error[:2000]).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def with_status(self, status: str, limit: int = 200) -> list[tuple[Timer, Instance]]:
        """Timers of ``status`` with their instances, earliest due first."""
        return [(t, i) for t, i in self.session.execute(
            select(Timer, Instance).join(Instance, Instance.id == Timer.instance_id)
            .where(Timer.status == status).order_by(Timer.due_at, Timer.id).limit(limit))]

    def requeue(self, ids: list[str] | None) -> list[str]:
        """Put failed timers ``ids`` (every failed one when None) back to pending; the ids it re-queued."""
        cond = Timer.status == TimerStatus.FAILED
        if ids is not None:
            cond = and_(cond, Timer.id.in_(ids))
        result = self.session.execute(
            update(Timer).where(cond)
            .values(status=TimerStatus.PENDING, error=None).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def provisional_instances(self) -> list[str]:
        """Instances with a pending timer computed on a fallback calendar year."""
        return list(self.session.scalars(
            select(Timer.instance_id).where(Timer.status == TimerStatus.PENDING, Timer.provisional.is_(True)).distinct()))


class Checklists(Repository):
    """Versions of the peer-inspection checklist."""

    def get(self, version: int | None = None) -> Checklist | None:
        """Checklist ``version``, or the newest."""
        if version is not None:
            return self.session.get(Checklist, version)
        return self.session.scalar(select(Checklist).order_by(Checklist.version.desc()).limit(1))

    def all(self) -> list[Checklist]:
        """Every checklist version, newest first."""
        return list(self.session.scalars(select(Checklist).order_by(Checklist.version.desc())))


class Attachments(Repository):
    """Uploaded evidence files (their rows; the bytes live on disk)."""

    def get(self, attachment_id: str) -> Attachment | None:
        """The attachment ``attachment_id``."""
        return self.session.get(Attachment, attachment_id)


class CarbonCopies(Repository):
    """抄送: who was copied in on which instance, and what they have read."""

    def get(self, cc_id: str) -> CarbonCopy | None:
        """The copy ``cc_id``."""
        return self.session.get(CarbonCopy, cc_id)

    def has(self, instance_id: str, username: str, task_id: str | None = None) -> bool:
        """Was ``username`` copied in on the instance (at ``task_id``; None: at any task or none)?"""
        conds = [CarbonCopy.instance_id == instance_id, CarbonCopy.username == username]
        if task_id is not None:
            conds.append(CarbonCopy.task_id == task_id)
        return self.session.scalar(select(CarbonCopy.id).where(*conds).limit(1)) is not None

    def page(self, username: str, *, unread_only: bool, limit: int, offset: int) -> tuple[list[dict], int]:
        """The person's copies, newest first, with the instance's title and branch; and their total."""
        conds = [CarbonCopy.username == username]
        if unread_only:
            conds.append(CarbonCopy.read_at.is_(None))
        total = self.session.scalar(select(func.count()).select_from(CarbonCopy).where(*conds))
        rows = self.session.execute(
            select(CarbonCopy, Instance.title, Instance.branch).join(Instance, Instance.id == CarbonCopy.instance_id)
            .where(*conds).order_by(CarbonCopy.created_at.desc(), CarbonCopy.id).limit(limit).offset(offset))
        return [{"id": c.id, "instance_id": c.instance_id, "task_id": c.task_id, "sent_by": c.sent_by, "note": c.note,
                 "created_at": c.created_at, "read_at": c.read_at, "instance_title": title, "branch": branch}
                for c, title, branch in rows], total
