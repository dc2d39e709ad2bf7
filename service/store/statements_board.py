"""The overview's (督导看板) statements, built once per shape with bind parameters (building and caching a
SELECT costs more than running it on SQLite); ``BoardQueries`` runs them. ``by_branch``: with the
``:branches`` filter (a secretary's branch, or one picked), else every branch."""
from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, func, or_, select

from ..domain.status import TaskKind, TaskStatus
from .models import Branch, BranchMonth, DutyMonth, Event, InboxTask, Instance, RoleGrant, User

_OPEN = InboxTask.status == TaskStatus.OPEN
_USER = InboxTask.kind == TaskKind.USER


def _in(column, name: str):
    return column.in_(bindparam(name, expanding=True))


@cache
def branches(by_code: bool):
    """(code, name) of the branches (of ``:codes``), in code order."""
    stmt = select(Branch.code, Branch.name).order_by(Branch.code)
    return stmt.where(_in(Branch.code, "codes")) if by_code else stmt


@cache
def rollup_by_month(by_branch: bool):
    """(month, branch, due, on time, late) of every duty in months ``:first`` … ``:last``: the branches' months
    (``board_branch_months``), a row each, in key order."""
    m = BranchMonth
    conds = [m.month >= bindparam("first"), m.month <= bindparam("last")]
    if by_branch:
        conds.append(_in(m.branch, "branches"))
    return select(m.month, m.branch, m.open_rows + m.done, m.on_time, m.late).where(*conds)


@cache
def rollup_in_period(by_branch: bool):
    """(branch, element, role, due, on time, late, escalated) of the duties of ``:elements`` in months
    ``:in_period`` … ``:last``, from the rollup."""
    m = DutyMonth
    conds = [m.month >= bindparam("in_period"), m.month <= bindparam("last"), _in(m.element, "elements")]
    if by_branch:
        conds.append(_in(m.branch, "branches"))
    return (select(m.branch, m.element, m.role, func.sum(m.open_rows + m.done), func.sum(m.on_time), func.sum(m.late),
                   func.sum(m.escalated)).where(*conds).group_by(m.branch, m.element, m.role))


@cache
def overdue_duties(by_branch: bool):
    """(branch, due, element, role) of the open user tasks of ``:elements`` due in [``:start``, ``:end``) and
    before ``:now``: read from ``ix_inbox_board``'s open rows alone."""
    t = InboxTask
    conds = [_USER, _in(t.element, "elements"), _OPEN, t.due_at >= bindparam("start"), t.due_at < bindparam("end"),
             t.due_at < bindparam("now")]
    if by_branch:
        conds.append(_in(t.branch, "branches"))
    return select(t.branch, t.due_at, t.element, t.role).where(*conds)


def _extract(key: str, kind: str):
    """A summary value extracted in the database: scalars typed (nothing to decode), ``json`` decoded."""
    path = tuple(key.split("."))
    value = Instance.data[path[0] if len(path) == 1 else path]
    return {"str": value.as_string, "int": value.as_integer, "float": value.as_float}.get(kind, lambda: value)()


@cache
def summaries(keys: tuple[tuple[str, str], ...] | None, by_branch: bool, by_quarter: bool, by_id: bool,
              running_only: bool, active_in: bool):
    """Listing columns and the summary (or its ``keys``, extracted) of instances of ``:processes``, oldest first;
    of ``:branches``, of ``:quarters`` (the summary's ``quarter``), of ``:ids``, running (``:running``), or
    started before ``:active_to`` and running or changed since ``:active_from``."""
    conds = [_in(Instance.process_id, "processes")]
    if by_branch:
        conds.append(_in(Instance.branch, "branches"))
    if by_quarter:
        conds.append(_in(Instance.data["quarter"].as_string(), "quarters"))
    if by_id:
        conds.append(_in(Instance.id, "ids"))
    running = Instance.status == bindparam("running")
    if running_only:
        conds.append(running)
    if active_in:
        conds += [Instance.created_at < bindparam("active_to"), or_(running, Instance.updated_at >= bindparam("active_from"))]
    data = [_extract(k, t) for k, t in keys] if keys is not None else [Instance.data]
    return (select(Instance.id, Instance.process_id, Instance.branch, Instance.status, Instance.parent_id, *data)
            .where(*conds).order_by(Instance.created_at, Instance.id))


@cache
def submitted(key: str):
    """(instance id, value of ``key`` in the form) of the ``complete`` events of ``:element`` of instances
    ``:ids``, in order (the event's ``data`` holds the form under ``data``)."""
    return (select(Event.instance_id, Event.data[("data", key)])
            .where(_in(Event.instance_id, "ids"), Event.type == "complete", Event.element == bindparam("element"))
            .order_by(Event.instance_id, Event.seq))


#: open user tasks past their due time (``:now``): the set ``ix_inbox_overdue`` reads
_PAST_DUE = [_OPEN, _USER, InboxTask.due_sort < bindparam("now")]
#: instances with an open user task past its due time
LATE_INSTANCES = select(InboxTask.instance_id).where(*_PAST_DUE).distinct()


@cache
def overdue_counts(by_branch: bool):
    """Branch → how many open user tasks of ``:roles`` are past their due time."""
    conds = _PAST_DUE + [_in(InboxTask.role, "roles")]
    if by_branch:
        conds.append(_in(InboxTask.branch, "branches"))
    return select(InboxTask.branch, func.count()).where(*conds).group_by(InboxTask.branch)


@cache
def tickets(weeks: int, by_branch: bool):
    """Per branch, of the instances of ``:process`` running or changed since ``:since``: how many run, how many
    of those have a task past its due time (``:now``), and how many were open at each instant ``:end0`` …
    (opened before it, and running or ended at or after it)."""
    running = Instance.status == bindparam("running")
    open_at = [func.count().filter(and_(Instance.created_at < bindparam(f"end{i}"),
                                        or_(running, Instance.updated_at >= bindparam(f"end{i}"))))
               for i in range(weeks)]
    conds = [Instance.process_id == bindparam("process"), or_(running, Instance.updated_at >= bindparam("since"))]
    if by_branch:
        conds.append(_in(Instance.branch, "branches"))
    late = LATE_INSTANCES.subquery("late")
    return (select(Instance.branch, func.count().filter(running),
                   func.count().filter(and_(running, late.c.instance_id.is_not(None))), *open_at)
            .outerjoin(late, late.c.instance_id == Instance.id).where(*conds).group_by(Instance.branch))


@cache
def overdue(by_branch: bool):
    """How many open user tasks are past their due time, and the first ``:limit`` of them (the columns the
    overview shows, oldest due first) with their instance's title."""
    conds = list(_PAST_DUE)
    if by_branch:
        conds.append(_in(InboxTask.branch, "branches"))
    columns = [getattr(InboxTask, c) for c in ("id", "name", "instance_id", "element", "branch", "role", "due_at",
                                               "escalation_level", "assignee", "claimed_by")]
    return (select(func.count()).select_from(InboxTask).where(*conds),
            select(*columns, Instance.title).join(Instance, Instance.id == InboxTask.instance_id).where(*conds)
            .order_by(InboxTask.due_sort, InboxTask.id).limit(bindparam("limit")))


@cache
def holders(by_branch: bool):
    """(role, branch, username, display name) of active people holding ``:roles`` company-wide or (on
    ``:branches``) in a branch; lent grants left out."""
    conds = [_in(RoleGrant.role, "roles"), RoleGrant.source.is_(None), User.active.is_(True)]
    if by_branch:
        conds.append(or_(RoleGrant.branch.is_(None), _in(RoleGrant.branch, "branches")))
    return (select(RoleGrant.role, RoleGrant.branch, User.username, User.display_name)
            .join(User, User.id == RoleGrant.user_id).where(*conds).order_by(User.username))


#: username → display name of ``:usernames``
NAMES = select(User.username, User.display_name).where(_in(User.username, "usernames"))
