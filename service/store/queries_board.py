"""Read-side SQL of the supervisor's overview (督导看板): duty counts by branch, element, role and month,
tickets, the summaries (``Instance.data``) of pairings and ratings, overdue work and who holds it.

Nothing here loads workflow state: instance rows are read column by column, never ``Instance.state``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, literal_column, or_, select

from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from .models import Branch, Event, InboxTask, Instance, RoleGrant, User
from .repositories import Repository


@dataclass(frozen=True)
class Summary:
    """An instance's listing columns and its process-data summary (no workflow state)."""

    id: str
    process_id: str
    branch: str | None
    status: str
    parent_id: str | None
    data: dict


def _anchor():
    """The instant a duty belongs to: its due time, or when it was opened if it has none."""
    return func.coalesce(InboxTask.due_at, InboxTask.created_at)


def _bucket(anchor, edges: list[datetime], lo: int, hi: int):
    """The index i of the interval edges[i] ≤ anchor < edges[i + 1] among lo..hi, as a balanced CASE tree (a
    handful of comparisons a row instead of one per month)."""
    if lo == hi:
        return literal(lo)
    mid = (lo + hi + 1) // 2
    return case((anchor < edges[mid], _bucket(anchor, edges, lo, mid - 1)), else_=_bucket(anchor, edges, mid, hi))


def _extract(key: str, kind: str):
    """A summary value extracted in the database: scalars typed (nothing to decode), ``json`` decoded."""
    path = tuple(key.split("."))
    value = Instance.data[path[0] if len(path) == 1 else path]
    return {"str": value.as_string, "int": value.as_integer, "float": value.as_float}.get(kind, lambda: value)()


_DONE = InboxTask.status == TaskStatus.COMPLETED
_OPEN = InboxTask.status == TaskStatus.OPEN


class BoardQueries(Repository):
    """The overview's statements; each answers for many branches at once."""

    def branches(self, codes: list[str] | None) -> list[tuple[str, str]]:
        """(code, name) of the organisation's branches (of ``codes`` when given), in code order."""
        stmt = select(Branch.code, Branch.name).order_by(Branch.code)
        if codes is not None:
            stmt = stmt.where(Branch.code.in_(codes))
        return [(r[0], r[1]) for r in self.session.execute(stmt)]

    def _duties(self, columns: list, group: list, elements: list[str], start: datetime, end: datetime,
                branches: list[str] | None) -> list[tuple]:
        anchor = _anchor()
        conds = [InboxTask.kind == TaskKind.USER, InboxTask.element.in_(elements),
                 InboxTask.status.in_((TaskStatus.OPEN, TaskStatus.COMPLETED)), anchor >= start, anchor < end]
        if branches is not None:
            conds.append(InboxTask.branch.in_(branches))
        # read from ix_inbox_board alone (kind, element, status, then every column counted): never the wide rows
        stmt = select(*columns).where(*conds).group_by(*group)
        return [tuple(row) for row in self.session.execute(stmt)]

    @staticmethod
    def _figures(now: datetime) -> list:
        late = and_(_DONE, InboxTask.due_at.is_not(None), InboxTask.closed_at > InboxTask.due_at)
        return [func.count(), func.count().filter(and_(_DONE, ~late)), func.count().filter(late),
                func.count().filter(and_(_OPEN, InboxTask.due_at.is_not(None), InboxTask.due_at < now))]

    def duty_counts(self, elements: list[str], edges: list[datetime], period_start: datetime, now: datetime,
                    branches: list[str] | None) -> list[tuple]:
        """Duty rows (user tasks of ``elements``, open or completed) whose anchor falls between ``edges``[0] and
        ``edges``[-1], counted in one pass: by branch and month bucket (the index of the left edge), and from
        ``period_start`` on also by element and role — rows (branch, bucket, element or None, role or None,
        due, on time, late, overdue, escalated). On time = completed by its due time (or completed, without
        one); late = completed after it; overdue = open past it."""
        anchor = _anchor()
        bucket = _bucket(anchor, edges, 0, len(edges) - 2).label("bucket")
        in_period = anchor >= period_start
        element = case((in_period, InboxTask.element), else_=None).label("in_element")
        role = case((in_period, InboxTask.role), else_=None).label("in_role")
        columns = [InboxTask.branch, bucket, element, role] + self._figures(now) + [
            func.count().filter(InboxTask.escalation_level > 0)]
        # grouped by the output names: PostgreSQL would not match a repeated CASE with its own parameters
        group = [InboxTask.branch] + [literal_column(n) for n in ("bucket", "in_element", "in_role")]
        return self._duties(columns, group, elements, edges[0], edges[-1], branches)

    def duty_rows(self, elements: list[str], start: datetime, end: datetime, branch: str, state: str | None,
                  now: datetime, limit: int = 500) -> list[tuple[InboxTask, str]]:
        """The duty rows behind one cell, with their instance's title, earliest anchor first."""
        anchor = _anchor()
        conds = [InboxTask.kind == TaskKind.USER, InboxTask.element.in_(elements), InboxTask.branch == branch,
                 InboxTask.status.in_((TaskStatus.OPEN, TaskStatus.COMPLETED)), anchor >= start, anchor < end]
        late = and_(_DONE, InboxTask.due_at.is_not(None), InboxTask.closed_at > InboxTask.due_at)
        conds += {"on_time": [_DONE, ~late], "late": [late], "escalated": [InboxTask.escalation_level > 0],
                  "overdue": [_OPEN, InboxTask.due_at.is_not(None), InboxTask.due_at < now]}.get(state or "", [])
        stmt = (select(InboxTask, Instance.title).join(Instance, Instance.id == InboxTask.instance_id)
                .where(*conds).order_by(anchor, InboxTask.id).limit(limit))
        return [(r[0], r[1]) for r in self.session.execute(stmt)]

    def summaries(self, processes: list[str], branches: list[str] | None, *, quarters: list[str] | None = None,
                  ids: list[str] | None = None, running_only: bool = False,
                  active_in: tuple[datetime, datetime] | None = None,
                  keys: dict[str, str] | None = None) -> list[Summary]:
        """Listing columns and summaries of instances of ``processes`` (of ``quarters``, by the summary's
        ``quarter``; of ``ids``; started before and still running or changed after ``active_in``), oldest first.
        With ``keys`` (key or dotted path → ``str``/``int``/``float``/``json``) only those values of each summary
        are read, extracted in the database (a dotted path stays one flat key; absent ones are left out)."""
        conds = [Instance.process_id.in_(processes)]
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        if quarters is not None:
            conds.append(Instance.data["quarter"].as_string().in_(quarters))
        if ids is not None:
            conds.append(Instance.id.in_(ids))
        if running_only:
            conds.append(Instance.status == InstanceStatus.RUNNING)
        if active_in is not None:
            conds += [Instance.created_at < active_in[1],
                      or_(Instance.status == InstanceStatus.RUNNING, Instance.updated_at >= active_in[0])]
        data = [_extract(k, t) for k, t in keys.items()] if keys is not None else [Instance.data]
        stmt = (select(Instance.id, Instance.process_id, Instance.branch, Instance.status, Instance.parent_id, *data)
                .where(*conds).order_by(Instance.created_at, Instance.id))
        if keys is None:
            return [Summary(*r[:5], r[5] or {}) for r in self.session.execute(stmt)]
        return [Summary(*r[:5], {k: v for k, v in zip(keys, r[5:]) if v is not None})
                for r in self.session.execute(stmt)]

    def opened_at(self, elements: list[str], instance_ids: list[str]) -> dict[str, list[datetime]]:
        """Instance id → when each of its completed tasks of ``elements`` opened, in order."""
        out: dict[str, list[datetime]] = {}
        if not instance_ids:
            return out
        for iid, at in self.session.execute(
                select(InboxTask.instance_id, InboxTask.created_at)
                .where(InboxTask.instance_id.in_(instance_ids), InboxTask.element.in_(elements), _DONE,
                       InboxTask.kind == TaskKind.USER).order_by(InboxTask.created_at, InboxTask.id)):
            out.setdefault(iid, []).append(at)
        return out

    def submitted(self, element: str, instance_ids: list[str]) -> dict[str, list[dict]]:
        """Instance id → the forms submitted to its tasks of ``element`` (from the audit log), in order."""
        out: dict[str, list[dict]] = {}
        if not instance_ids:
            return out
        for iid, data in self.session.execute(
                select(Event.instance_id, Event.data)
                .where(Event.instance_id.in_(instance_ids), Event.type == "complete", Event.element == element)
                .order_by(Event.instance_id, Event.seq)):
            body = (data or {}).get("data")
            if isinstance(body, dict):
                out.setdefault(iid, []).append(body)
        return out

    def overdue_counts(self, roles: list[str], branches: list[str] | None, now: datetime) -> dict[str, int]:
        """Branch → open user tasks of ``roles`` past their due time."""
        conds = [_OPEN, InboxTask.role.in_(roles), InboxTask.kind == TaskKind.USER, InboxTask.due_sort < now]
        if branches is not None:
            conds.append(InboxTask.branch.in_(branches))
        return {r[0]: r[1] for r in self.session.execute(
            select(InboxTask.branch, func.count()).where(*conds).group_by(InboxTask.branch))}

    def tickets(self, process: str, branches: list[str] | None, since: datetime, now: datetime) -> list[tuple]:
        """(branch, opened, closed or None, overdue now) of every ticket still open or closed after ``since``."""
        overdue = exists().where(InboxTask.instance_id == Instance.id, _OPEN, InboxTask.kind == TaskKind.USER,
                                 InboxTask.due_sort < now)
        running = Instance.status == InstanceStatus.RUNNING
        conds = [Instance.process_id == process, or_(running, Instance.updated_at >= since)]
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        rows = self.session.execute(select(Instance.branch, Instance.created_at, Instance.status, Instance.updated_at,
                                           and_(running, overdue)).where(*conds))
        return [(r[0], r[1], None if r[2] == InstanceStatus.RUNNING else r[3], bool(r[4])) for r in rows]

    def overdue(self, branches: list[str] | None, now: datetime, limit: int) -> tuple[list[tuple], int]:
        """Open user tasks past their due time, oldest due first (rows of the columns the overview shows), with
        their instance's title; and how many."""
        conds = [_OPEN, InboxTask.kind == TaskKind.USER, InboxTask.due_sort < now]
        if branches is not None:
            conds.append(InboxTask.branch.in_(branches))
        total = self.session.scalar(select(func.count()).select_from(InboxTask).where(*conds))
        # the columns it shows, not whole rows: up to ``limit`` ORM objects would cost more than the query
        columns = [getattr(InboxTask, c) for c in ("id", "name", "instance_id", "element", "branch", "role", "due_at",
                                                   "escalation_level", "assignee", "claimed_by")]
        rows = self.session.execute(select(*columns, Instance.title).join(Instance, Instance.id == InboxTask.instance_id)
                                    .where(*conds).order_by(InboxTask.due_sort, InboxTask.id).limit(limit))
        return [(r, r.title) for r in rows], total

    def holders(self, roles: list[str], branches: list[str] | None) -> list[tuple[str, str | None, str, str]]:
        """(role, branch, username, display name) of active people holding ``roles`` on ``branches`` or
        company-wide (lent grants left out)."""
        conds = [RoleGrant.role.in_(roles), RoleGrant.source.is_(None), User.active.is_(True)]
        if branches is not None:
            conds.append(or_(RoleGrant.branch.is_(None), RoleGrant.branch.in_(branches)))
        rows = self.session.execute(select(RoleGrant.role, RoleGrant.branch, User.username, User.display_name)
                                    .join(User, User.id == RoleGrant.user_id).where(*conds)
                                    .order_by(User.username))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def names(self, usernames: list[str]) -> dict[str, str]:
        """Username → display name."""
        if not usernames:
            return {}
        return {r[0]: r[1] for r in self.session.execute(
            select(User.username, User.display_name).where(User.username.in_(sorted(set(usernames)))))}
