"""The overview's rollup (``board_duty_months``): per element, China month, branch and role, how many user-task
inbox rows are open, done, done on time, done late and escalated (a row belongs to the month of its due time,
or of its opening without one: ``domain.duties.duty_month``).

Inbox rows are written through two doors, and each reports here what a row counted for before and after the
write: the prepared Core writes (``writes.insert_row`` and ``writes.update_rows`` call ``inserting`` and
``updating``) and the ORM's flush of mapped ``InboxTask`` objects (the mapper events below). The differences
gather in the session and are written just before its transaction commits, summed per key and in key order
(one upsert per key, the same lock order in every transaction), so the rollup changes in the transaction
that changes the rows, and never otherwise. A bulk load that writes inbox rows around the store rebuilds it
(``rebuild``); ``recount`` is what the rows say, for checks.

Beside it, ``board_branch_months`` holds each branch's month summed over the duty elements
(``domain.duties.DUTY_KINDS``) and every role (``totals``): what the heat map reads. Its changes are the
totals of the transaction's changes, written with them. A change to which elements are duties changes those
totals: ship it with a migration that calls ``rebuild`` (``branchflow board check`` reports the drift)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, event, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, object_session

from ..domain.duties import DUTY_KINDS, duty_month
from ..domain.status import TaskKind, TaskStatus
from .models import BranchMonth, DutyMonth, InboxTask

#: the columns of an inbox row that decide what it counts for
ROLLED = ("kind", "branch", "element", "role", "status", "due_at", "created_at", "closed_at", "escalation_level")
#: the key of a rollup row, in primary-key order
KEY = ("month", "branch", "element", "role")
#: the key of a branch's month of duties
TOTAL_KEY = ("month", "branch")
_KEYS = {DutyMonth: KEY, BranchMonth: TOTAL_KEY}
#: the counts of a rollup row
COUNTS = ("open_rows", "done", "on_time", "late", "escalated")
_PENDING = "board_rollup"
_DEFAULTS = {c.key: c.default.arg for c in InboxTask.__table__.columns
             if c.key in ROLLED and c.default is not None and c.default.is_scalar}
_TABLE = InboxTask.__table__
_ROLLED_COLUMNS = select(*(_TABLE.c[k] for k in ROLLED))
#: the stored ``ROLLED`` columns of one row / of rows ``:ids``, locked (PostgreSQL) until the transaction ends
_OLD_ROW = _ROLLED_COLUMNS.where(_TABLE.c.id == bindparam("id")).with_for_update()
_OLD_ROWS = _ROLLED_COLUMNS.where(_TABLE.c.id.in_(bindparam("ids", expanding=True))).with_for_update()
_UPSERTS: dict = {}


def totals(counts: Mapping[tuple, Iterable[int]]) -> dict[tuple, tuple[int, ...]]:
    """(month, branch) → the counts of ``counts`` (rollup key → counts) summed over the duty elements and every
    role; keys summing to nothing left out."""
    out: dict[tuple, list[int]] = {}
    for (month, branch, element, _role), figures in counts.items():
        if element in DUTY_KINDS:
            total = out.setdefault((month, branch), [0] * len(COUNTS))
            for i, n in enumerate(figures):
                total[i] += n
    return {k: tuple(v) for k, v in out.items() if any(v)}


def contribution(row: Mapping) -> tuple[tuple, tuple[int, ...]] | None:
    """(key, counts) an inbox row of ``ROLLED`` values adds to the rollup; None for a row it leaves out (not a
    user task, no branch, neither open nor completed). Late = completed after its due time; on time =
    completed by it (or completed, without one), as the overview's definitions say."""
    if row["kind"] != TaskKind.USER or row["branch"] is None:
        return None
    status = row["status"]
    if status == TaskStatus.OPEN:
        return (duty_month(row["due_at"], row["created_at"]), row["branch"], row["element"], row["role"]), \
            (1, 0, 0, 0, int(row["escalation_level"] > 0))
    if status != TaskStatus.COMPLETED:
        return None
    due, closed = row["due_at"], row["closed_at"]
    late = due is not None and closed is not None and closed > due
    on_time = due is None or (closed is not None and closed <= due)
    return (duty_month(due, row["created_at"]), row["branch"], row["element"], row["role"]), \
        (0, 1, int(on_time), int(late), int(row["escalation_level"] > 0))


def _note(session: Session, old: Mapping | None, new: Mapping | None) -> None:
    """Gather in the session what a row's write changes: its old contribution out, its new one in."""
    pending = session.info.setdefault(_PENDING, {})
    for row, sign in ((old, -1), (new, 1)):
        found = contribution(row) if row is not None else None
        if found is not None:
            key, counts = found
            total = pending.setdefault(key, [0] * len(COUNTS))
            for i, n in enumerate(counts):
                total[i] += sign * n


def inserting(session: Session, values: Mapping) -> None:
    """A row of ``values`` is being inserted by a Core statement (unset columns take their defaults)."""
    _note(session, None, {k: values.get(k, _DEFAULTS.get(k)) for k in ROLLED})


def updating(session: Session, ids: Iterable[str], values: Mapping) -> None:
    """Rows ``ids`` are about to be set to ``values`` by a Core statement: their stored columns are read (and
    locked, on PostgreSQL) first."""
    if not ids or not any(k in values for k in ROLLED):
        return
    _changes_of(session, session.connection(), list(ids), values)


def _stored(connection, ids: list[str]) -> list[dict]:
    """The stored ``ROLLED`` columns of rows ``ids`` (one id: a statement compiled once, not an expanding IN)."""
    rows = connection.execute(_OLD_ROW, {"id": ids[0]}) if len(ids) == 1 else connection.execute(_OLD_ROWS, {"ids": ids})
    return [dict(zip(ROLLED, row)) for row in rows]


def _changes_of(session: Session, connection, ids: list[str], values: Mapping) -> None:
    for row in _stored(connection, ids):
        _note(session, row, {k: values.get(k, row[k]) for k in ROLLED})


@event.listens_for(InboxTask, "after_insert")
def _orm_inserted(_mapper, _connection, target: InboxTask) -> None:
    _note(object_session(target), None, {k: getattr(target, k) for k in ROLLED})


@event.listens_for(InboxTask, "before_update")
def _orm_updating(_mapper, connection, target: InboxTask) -> None:
    attrs = inspect(target).attrs
    changed = {k: attrs[k].history.added[0] for k in ROLLED if attrs[k].history.added}
    if changed:
        _changes_of(object_session(target), connection, [target.id], changed)


@event.listens_for(InboxTask, "before_delete")
def _orm_deleting(_mapper, connection, target: InboxTask) -> None:
    for row in _stored(connection, [target.id]):
        _note(object_session(target), row, None)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Write what the transaction changed, just before it commits (after a last flush of mapped rows)."""
    session.flush()
    pending = {k: v for k, v in (session.info.pop(_PENDING, None) or {}).items() if any(v)}
    if not pending:
        return
    dialect = session.bind.dialect.name
    for model, changes in ((DutyMonth, pending), (BranchMonth, totals(pending))):
        if changes:
            session.connection().execute(_upsert(model, dialect), _rows(model, changes))


@event.listens_for(Session, "after_begin")
@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session, *_args) -> None:
    session.info.pop(_PENDING, None)


def _rows(model, counts: Mapping[tuple, Iterable[int]]) -> list[dict]:
    """Rows of ``model`` (the rollup or the branches' months) for ``counts`` (key → counts), in key order."""
    key = _KEYS[model]
    return [dict(zip(key, k), **dict(zip(COUNTS, c))) for k, c in sorted(counts.items())]


def _upsert(model, dialect: str):
    """``INSERT … ON CONFLICT (key) DO UPDATE SET count = count + excluded.count``, built once per table and
    dialect."""
    if (model, dialect) not in _UPSERTS:
        table = model.__table__
        stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        _UPSERTS[model, dialect] = stmt.on_conflict_do_update(
            index_elements=list(_KEYS[model]), set_={c: table.c[c] + stmt.excluded[c] for c in COUNTS})
    return _UPSERTS[model, dialect]


def recount(connection) -> dict[tuple, tuple[int, ...]]:
    """The rollup as the inbox rows say it is now (key → counts; keys with nothing counted left out)."""
    out: dict[tuple, list[int]] = {}
    rows = connection.execute(select(*(_TABLE.c[k] for k in ROLLED))
                              .where(_TABLE.c.kind == TaskKind.USER, _TABLE.c.branch.is_not(None),
                                     _TABLE.c.status.in_((TaskStatus.OPEN, TaskStatus.COMPLETED))))
    for row in rows.mappings():
        key, counts = contribution(row)
        total = out.setdefault(key, [0] * len(COUNTS))
        for i, n in enumerate(counts):
            total[i] += n
    return {k: tuple(v) for k, v in out.items()}


def stored(connection, model=DutyMonth) -> dict[tuple, tuple[int, ...]]:
    """The rollup as stored (key → counts; rows counting nothing left out); ``model=BranchMonth``: the
    branches' months."""
    table, key = model.__table__, _KEYS[model]
    out = {}
    for row in connection.execute(select(*(table.c[k] for k in key + COUNTS))):
        if any(row[len(key):]):
            out[tuple(row[:len(key)])] = tuple(row[len(key):])
    return out


def rebuild(connection) -> int:
    """Replace the rollup and the branches' months with ``recount``'s (after a bulk load around the store, or
    to repair them); rollup rows written."""
    counted = recount(connection)
    for model, counts in ((DutyMonth, counted), (BranchMonth, totals(counted))):
        connection.execute(delete(model.__table__))
        if counts:
            connection.execute(insert(model.__table__), _rows(model, counts))
    return len(counted)
