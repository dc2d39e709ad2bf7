"""Read-side SQL of the supervisor's overview (督导看板): duty counts by branch, element, role and month,
tickets, the summaries (``Instance.data``) of pairings and ratings, overdue work and who holds it.

Nothing here loads workflow state: instance rows are read column by column, never ``Instance.state``."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, select

from ..domain.duties import DUTY_KINDS, duty_month
from ..domain.status import InstanceStatus, TaskKind, TaskStatus
from . import board_rollup
from . import statements_board as S
from .models import BranchMonth, InboxTask, Instance
from .repositories import Repository


class Summary(NamedTuple):
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


_DONE = InboxTask.status == TaskStatus.COMPLETED
_OPEN = InboxTask.status == TaskStatus.OPEN


#: the duty elements, as the rollup's branch months sum them
DUTY_ELEMENTS = sorted(DUTY_KINDS)


class DutyCounts(NamedTuple):
    """Duty figures: [due, on time, late, overdue] by (branch, month bucket); [due, on time, late, overdue,
    escalated] by (branch, element, role) over the period."""

    by_month: dict[tuple[str, int], list[int]]
    in_period: dict[tuple[str, str, str], list[int]]


def _scoped(params: dict, branches: list[str] | None) -> dict:
    """``params`` with the ``:branches`` of a statement built ``by_branch`` (none: every branch)."""
    return params if branches is None else dict(params, branches=branches)


class BoardQueries(Repository):
    """The overview's statements; each answers for many branches at once."""

    def _rows(self, stmt, params: dict):
        """Run a prepared statement on the transaction's connection and fetch its rows at once (plain rows: no
        ORM entities to load; one ``fetchall`` rather than a driver call per row)."""
        return self.session.connection().execute(stmt, params).all()

    def branches(self, codes: list[str] | None) -> list[tuple[str, str]]:
        """(code, name) of the organisation's branches (of ``codes`` when given), in code order."""
        return [(r[0], r[1]) for r in self._rows(S.branches(codes is not None), {"codes": codes} if codes is not None else {})]

    def duty_counts(self, edges: list[datetime], period_start: datetime, now: datetime,
                    branches: list[str] | None) -> DutyCounts:
        """Duties (user tasks of the elements ``domain.duties.DUTY_KINDS`` names, open or completed) whose anchor
        (due time, else opening) falls between ``edges``[0] and ``edges``[-1] (China month starts), counted by
        branch and month bucket (the index of the left edge; escalations not counted), and from
        ``period_start`` on by branch, element and role. On time = completed by its due time (or completed,
        without one); late = completed after it; overdue = open past it.

        Read from the rollup (``board_duty_months``: months of counts, not a year of rows; by month from the
        branches' months kept with it, ``board_branch_months``), but for overdue, which moves with ``now``:
        that is counted over the open rows."""
        months = {duty_month(e, e): i for i, e in enumerate(edges[:-1])}
        first_in_period = duty_month(period_start, period_start)
        params = _scoped({"elements": DUTY_ELEMENTS, "first": min(months), "last": max(months),
                          "in_period": first_in_period}, branches)
        by_month = {(code, months[month]): [due, on_time, late, 0] for month, code, due, on_time, late
                    in self._rows(S.rollup_by_month(branches is not None), params)}
        in_period = {(code, element, role): [due, on_time, late, 0, escalated] for code, element, role, due, on_time, late,
                     escalated in self._rows(S.rollup_in_period(branches is not None), params)}
        for code, due_at, element, role in self._rows(
                S.overdue_duties(branches is not None), dict(params, start=edges[0], end=edges[-1], now=now)):
            month = duty_month(due_at, due_at)
            by_month.setdefault((code, months[month]), [0, 0, 0, 0])[3] += 1
            if month >= first_in_period:
                in_period.setdefault((code, element, role), [0, 0, 0, 0, 0])[3] += 1
        return DutyCounts(by_month, in_period)

    def rollup_drift(self) -> list[tuple[tuple, tuple | None, tuple | None]]:
        """(key, stored counts, counted counts) wherever the rollup or the branches' months differ from a
        recount of the inbox rows (key: month, branch, element, role — element and role None for a branch's
        month of duties; counts: open, done, on time, late, escalated; None: no row)."""
        conn = self.session.connection()
        counted = board_rollup.recount(conn)
        out = []
        for stored, recounted, pad in ((board_rollup.stored(conn), counted, ()),
                                       (board_rollup.stored(conn, BranchMonth), board_rollup.totals(counted),
                                        (None, None))):
            out += [(k + pad, stored.get(k), recounted.get(k)) for k in sorted(set(stored) | set(recounted))
                    if stored.get(k) != recounted.get(k)]
        return out

    def rebuild_rollup(self) -> int:
        """Replace the rollup with a recount of the inbox rows; how many rows it holds."""
        return board_rollup.rebuild(self.session.connection())

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
        stmt = S.summaries(tuple(keys.items()) if keys is not None else None, branches is not None,
                          quarters is not None, ids is not None, running_only, active_in is not None)
        params = {"processes": processes, "branches": branches, "quarters": quarters, "ids": ids,
                  "running": InstanceStatus.RUNNING}
        if active_in is not None:
            params["active_from"], params["active_to"] = active_in
        rows = self._rows(stmt, {k: v for k, v in params.items() if v is not None})
        if keys is None:
            return [Summary(*r[:5], r[5] or {}) for r in rows]
        names = list(keys)
        return [Summary(r[0], r[1], r[2], r[3], r[4], {k: v for k, v in zip(names, r[5:]) if v is not None})
                for r in rows]

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

    def submitted(self, element: str, key: str, instance_ids: list[str]) -> dict[str, list]:
        """Instance id → the value of ``key`` in each form submitted to its tasks of ``element`` (from the
        audit log, extracted in the database), in order; None where a form has no such key."""
        out: dict[str, list] = {}
        if not instance_ids:
            return out
        for iid, value in self._rows(S.submitted(key), {"ids": instance_ids, "element": element}):
            out.setdefault(iid, []).append(value)
        return out

    def overdue_counts(self, roles: list[str], branches: list[str] | None, now: datetime) -> dict[str, int]:
        """Branch → open user tasks of ``roles`` past their due time."""
        params = _scoped({"roles": roles, "now": now}, branches)
        return {r[0]: r[1] for r in self._rows(S.overdue_counts(branches is not None), params)}

    def tickets(self, process: str, branches: list[str] | None, since: datetime, ends: list[datetime],
                now: datetime) -> dict[str, tuple[int, int, list[int]]]:
        """Branch → (its tickets open now, those with a task past its due time, how many were open at each of
        ``ends``), over the tickets still open or closed after ``since``; counted in the database."""
        params = _scoped({"process": process, "since": since, "now": now, "running": InstanceStatus.RUNNING}
                         | {f"end{i}": end for i, end in enumerate(ends)}, branches)
        return {r[0]: (r[1], r[2], list(r[3:])) for r in self._rows(S.tickets(len(ends), branches is not None), params)}

    def overdue(self, branches: list[str] | None, now: datetime, limit: int) -> tuple[list[tuple], int]:
        """Open user tasks past their due time, oldest due first (rows of the columns the overview shows), with
        their instance's title; and how many (counted only when there are ``limit`` or more)."""
        params = _scoped({"now": now, "limit": limit}, branches)
        count, listing = S.overdue(branches is not None)
        # the columns it shows, not whole rows: up to ``limit`` ORM objects would cost more than the query
        rows = [(r, r.title) for r in self._rows(listing, params)]
        return rows, (len(rows) if len(rows) < limit else self._rows(count, params)[0][0])

    def holders(self, roles: list[str], branches: list[str] | None) -> list[tuple[str, str | None, str, str]]:
        """(role, branch, username, display name) of active people holding ``roles`` on ``branches`` or
        company-wide (lent grants left out)."""
        params = _scoped({"roles": roles}, branches)
        return [(r[0], r[1], r[2], r[3]) for r in self._rows(S.holders(branches is not None), params)]

    def names(self, usernames: list[str]) -> dict[str, str]:
        """Username → display name."""
        if not usernames:
            return {}
        return {r[0]: r[1] for r in self._rows(S.NAMES, {"usernames": sorted(set(usernames))})}
