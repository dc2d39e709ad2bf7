"""The prepared Core writes of the hot path: statements compiled once per table and column set, run as
plain INSERT and UPDATE (the ORM's unit of work costs more than the statements themselves)."""
from __future__ import annotations

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..domain.errors import Conflict
from . import board_rollup
from .models import NO_DUE_DATE, InboxTask, Instance

#: what a caller hears when another transaction changed the rows first
MOVED_ON = "the process moved on meanwhile (stale version); reload and retry"
_INSERTS: dict = {}


def _insert_of(table):
    """The INSERT statement of ``table``, built once."""
    if table not in _INSERTS:
        _INSERTS[table] = table.insert()
    return _INSERTS[table]


_UPDATES: dict = {}


def _update_of(table, keys: tuple[str, ...]):
    """``UPDATE table SET keys = :keys WHERE id = :row_id``, built once per table and column set (an
    expanding ``IN`` would be re-rendered on every execution; this one is compiled once, run per row)."""
    if (table, keys) not in _UPDATES:
        _UPDATES[table, keys] = (update(table).where(table.c.id == bindparam("row_id"))
                                 .values({k: bindparam(k) for k in keys}))
    return _UPDATES[table, keys]


_SAVES: dict = {}
#: attribute → column where they differ (``Instance.data`` is stored in the column ``summary``)
_COLUMN_OF = {prop.key: prop.columns[0].key for prop in Instance.__mapper__.column_attrs
              if prop.key != prop.columns[0].key}


def _save_of(keys: tuple[str, ...]):
    """``UPDATE instances SET keys WHERE id = :row_id AND version = :loaded_version``, built once per column set."""
    if keys not in _SAVES:
        table = Instance.__table__
        _SAVES[keys] = _update_of(table, keys).where(table.c.version == bindparam("loaded_version"))
    return _SAVES[keys]


def insert_row(session, model, values: dict) -> None:
    """INSERT one row of ``model`` from column values now; a unique-key clash is a Conflict. An inbox row
    tells the overview's rollup what it counts for."""
    try:
        session.connection().execute(_insert_of(model.__table__), values)
    except IntegrityError as exc:
        raise Conflict(MOVED_ON) from exc
    if model is InboxTask:
        board_rollup.inserting(session, values)


def update_rows(session, model, ids, values: dict) -> None:
    """UPDATE rows ``ids`` of ``model`` now (one statement, one parameter set per row); objects of those
    rows already loaded in the session take the new values as their committed state. Inbox rows tell the
    overview's rollup what they counted for before and after."""
    if not ids:
        return
    if model is InboxTask:
        board_rollup.updating(session, ids, values)
        if "due_at" in values:  # what the due_at validator does for mapped objects
            values["due_sort"] = values["due_at"] if values["due_at"] is not None else NO_DUE_DATE
    session.connection().execute(_update_of(model.__table__, tuple(sorted(values))),
                                 [dict(values, row_id=row_id) for row_id in ids])
    for row_id in ids:
        obj = session.identity_map.get(identity_key(model, row_id))
        if obj is not None:
            for key, value in values.items():
                set_committed_value(obj, key, value)


def save_instance(session, inst: Instance) -> None:
    """Write the changed columns of a loaded instance now, checked against the version it was loaded at
    (a concurrent change is a Conflict), and mark the object clean."""
    state = inspect(inst)
    changed = {_COLUMN_OF.get(key, key): getattr(inst, key) for key in state.committed_state}
    if not changed:
        return
    loaded_version = state.committed_state.get("version", inst.version)
    result = session.connection().execute(_save_of(tuple(sorted(changed))),
                                          dict(changed, row_id=inst.id, loaded_version=loaded_version))
    if result.rowcount != 1:
        raise Conflict(MOVED_ON)
    # what the ORM does after its own UPDATE: the current values become the committed state, and the
    # object leaves the session's modified set, so the commit does not flush it again
    state._commit_all(state.dict, session.identity_map)
