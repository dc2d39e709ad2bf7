"""Read-side queries (cosmicpython's ``views``): the pages people list — inboxes, tasks done, instance lists,
tickets, stranded tasks — each in as few index-ordered statements as it takes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, union_all

from ..domain.roles import Grant
from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from .models import Branch, InboxTask, Instance, User
from .repositories import Repository, holder_exists


def _disjoint_scopes(grants: tuple[Grant, ...]) -> list[tuple[str, str | None]]:
    """(role, branch) ranges that cover the grants without overlap: a company-wide grant of a role
    makes branch grants of the same role redundant."""
    wide = {g.role for g in grants if g.branch is None}
    return sorted({(g.role, None if g.role in wide else g.branch) for g in grants}, key=lambda s: (s[0], s[1] or ""))


class Queries(Repository):
    """Read-side pages: inboxes, instance lists, tickets, stranded tasks."""

    def instance_page(self, *, process: str | None = None, branch: str | None = None, status: str | None = None,
                  branches: list[str] | None = None, started_by: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[Instance], int]:
        """A page of instances (of ``started_by``'s starting, when given; newest first) and the total count."""
        conds = []
        if started_by is not None:
            conds.append(Instance.started_by == started_by)
        if process:
            conds.append(Instance.process_id == process)
        if branch:
            conds.append(Instance.branch == branch)
        if status:
            conds.append(Instance.status == status)
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        total = self.session.scalar(select(func.count()).select_from(Instance).where(*conds))
        rows = self.session.scalars(
            select(Instance).where(*conds).order_by(Instance.created_at.desc(), Instance.id).limit(limit).offset(offset))
        return list(rows), total

    def tickets(self, process: str, *, branches: list[str] | None, branch: str | None, status: str | None,
                source: str | None, now: datetime, limit: int, offset: int) -> tuple[list[tuple[Instance, bool]], dict]:
        """Instances of ``process`` as tickets, newest first, each with its overdue flag, and the counts
        (total, open, overdue) of the filtered set. Overdue = running with an open task past its due time."""
        overdue = exists().where(InboxTask.instance_id == Instance.id, InboxTask.status == TaskStatus.OPEN,
                                 InboxTask.kind == TaskKind.USER, InboxTask.due_sort < now)
        conds = [Instance.process_id == process]
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        if branch:
            conds.append(Instance.branch == branch)
        if source:
            conds.append(Instance.data["source"].as_string() == source)
        base = list(conds)
        if status == "open":
            conds.append(Instance.status == InstanceStatus.RUNNING)
        elif status == "closed":
            conds.append(Instance.status == InstanceStatus.COMPLETED)
        elif status == "overdue":
            conds += [Instance.status == InstanceStatus.RUNNING, overdue]
        running = Instance.status == InstanceStatus.RUNNING
        counts = self.session.execute(
            select(func.count(), func.count().filter(running), func.count().filter(and_(running, overdue)))
            .select_from(Instance).where(*base)).one()
        rows = self.session.execute(
            select(Instance, and_(running, overdue)).where(*conds)
            .order_by(Instance.created_at.desc(), Instance.id).limit(limit).offset(offset)).all()
        everything, open_, overdue_ = counts
        total = {None: everything, "open": open_, "closed": everything - open_, "overdue": overdue_}[status]
        return [(r[0], bool(r[1])) for r in rows], {"total": total, "all": everything, "open": open_,
                                                     "overdue": overdue_}

    def inbox_page(self, grants: tuple[Grant, ...], *, username: str | tuple[str, ...] | None = None,
                   process: str | None = None,
              branch: str | None = None, overdue_at: datetime | None = None, limit: int = 50,
              offset: int = 0, text: str | None = None, rows: bool = True) -> tuple[list[InboxTask], int]:
        """Open tasks the grants cover and nobody else was assigned, plus the tasks assigned to ``username``,
        earliest due first (no due date last), with the total.

        Each grant (and the personal tasks) is one range of an index already sorted in page order, so a
        page costs ``offset + limit`` rows per range and the total one index count per range, however many
        open tasks the database holds (an OR over grants would scan and sort them all)."""
        scopes: list = _disjoint_scopes(grants)
        for name in ([username] if isinstance(username, str) else list(username or ())):
            scopes.append(("", name))  # the personal range (and those of the people one stands in for)
        if not scopes:
            return [], 0
        order = (InboxTask.due_sort, InboxTask.created_at, InboxTask.id)

        def where(role: str, scope_branch: str | None) -> list:
            if role == "":  # tasks assigned to this person
                conds = [InboxTask.status == TaskStatus.OPEN, InboxTask.assignee == scope_branch]
            else:
                conds = [InboxTask.status == TaskStatus.OPEN, InboxTask.role == role, InboxTask.assignee.is_(None)]
            if role and scope_branch is not None:
                conds.append(InboxTask.branch == scope_branch)
            if branch:
                conds.append(InboxTask.branch == branch)
            if process:
                conds.append(InboxTask.process_id == process)
            if overdue_at is not None:
                conds.append(InboxTask.due_sort < overdue_at)
            if text:  # the task's name, its instance's title or its branch's name contains the text
                titled = select(Instance.id).where(Instance.title.contains(text, autoescape=True))
                named = select(Branch.code).where(Branch.name.contains(text, autoescape=True))
                conds.append(or_(InboxTask.name.contains(text, autoescape=True), InboxTask.instance_id.in_(titled),
                                 InboxTask.branch.in_(named)))
            return conds

        counts = [select(func.count()).select_from(InboxTask).where(*where(r, b)).scalar_subquery() for r, b in scopes]
        total = sum(self.session.execute(select(*counts)).one())
        if not rows:  # the count alone (an inbox badge)
            return [], total
        parts = [select(InboxTask.id, *order).where(*where(r, b)).order_by(*order).limit(offset + limit).subquery()
                 for r, b in scopes]
        ids = union_all(*[select(p) for p in parts]).subquery()
        page = self.session.scalars(
            select(InboxTask).join(ids, ids.c.id == InboxTask.id)
            .order_by(ids.c.due_sort, ids.c.created_at, ids.c.id).limit(limit).offset(offset))
        return list(page), total

    def done_page(self, username: str, *, limit: int = 50, offset: int = 0) -> tuple[list[InboxTask], int]:
        """User tasks ``username`` completed, most recently closed first, with the total."""
        conds = [InboxTask.closed_by == username, InboxTask.status == TaskStatus.COMPLETED,
                 InboxTask.kind == TaskKind.USER]
        total = self.session.scalar(select(func.count()).select_from(InboxTask).where(*conds))
        rows = self.session.scalars(select(InboxTask).where(*conds)
                                    .order_by(InboxTask.closed_at.desc(), InboxTask.id.desc()).limit(limit).offset(offset))
        return list(rows), total

    def task_context(self, task_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """Task id → (its instance's title, the Chinese name of its branch or None), in one query."""
        if not task_ids:
            return {}
        rows = self.session.execute(
            select(InboxTask.id, Instance.title, Branch.name)
            .join(Instance, Instance.id == InboxTask.instance_id)
            .outerjoin(Branch, Branch.code == InboxTask.branch)
            .where(InboxTask.id.in_(sorted(set(task_ids)))))
        return {r[0]: (r[1], r[2]) for r in rows}

    def stranded(self, limit: int = 500, instance_id: str | None = None) -> list[tuple[InboxTask, Instance]]:
        """Open tasks (of ``instance_id``, or all) no active person can act on: unassigned with no active
        holder of their role and branch, or assigned to a disabled or unknown account; oldest due first."""
        assignee_active = exists().where(User.username == InboxTask.assignee, User.active.is_(True))
        cond = or_(and_(InboxTask.assignee.is_(None), ~holder_exists(InboxTask.role, InboxTask.branch)),
                   and_(InboxTask.assignee.is_not(None), ~assignee_active))
        if instance_id is not None:
            cond = and_(cond, InboxTask.instance_id == instance_id)
        return [(t, i) for t, i in self.session.execute(
            select(InboxTask, Instance).join(Instance, Instance.id == InboxTask.instance_id)
            .where(InboxTask.status == TaskStatus.OPEN, cond).order_by(InboxTask.due_sort, InboxTask.id).limit(limit))]
