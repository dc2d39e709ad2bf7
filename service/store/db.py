"""Database engine and schema creation; nothing connects at import time."""
from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from ..domain.errors import BranchflowError, Conflict, StorageFull, Unavailable

#: PostgreSQL SQLSTATEs (and classes) of failures that pass: the same transaction may succeed if tried again
_TRANSIENT_STATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", "25006"}
_TRANSIENT_CLASSES = ("08",)


#: how much of a SQLite database file is read through a memory map (beyond it, through read calls)
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, a busy timeout, foreign keys and memory-mapped reads."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN IMMEDIATE below start transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # reads through a memory map of the file: pages come from the OS page cache, shared by every
            # worker, with no read call or copy per page (an instance row's workflow state fills pages)
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # take the write lock up front: no deadlocked upgrades
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # psycopg 3 is the PostgreSQL driver: plain postgresql:// (SQLAlchemy's psycopg2 default) means it too
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return create_engine(url, pool_pre_ping=True)


def append_only_ddl(dialect: str) -> list[str]:
    """DDL refusing UPDATE and DELETE on the events table (idempotent)."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS events_no_{op.lower()} BEFORE {op} ON events "
                f"BEGIN SELECT RAISE(ABORT, 'events are append-only'); END" for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION branchflow_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
            "DROP TRIGGER IF EXISTS events_append_only ON events",
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION branchflow_events_append_only()",
        ]
    return []


def session_factory(engine: Engine) -> sessionmaker:
    """A session factory bound to ``engine``; sessions do not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


def translate_error(exc: BaseException) -> BranchflowError | None:
    """The deliberate error a database failure means for the caller, or None for a genuine bug.

    A lost connection, a server restart, a deadlock or serialization failure, a busy SQLite file: 503
    :class:`Unavailable` (retry). A full disk: 507 :class:`StorageFull`. A read-only database file: 503
    naming it. The transaction has been rolled back in each case, so nothing was changed."""
    if isinstance(exc, BranchflowError):
        return exc
    orig = getattr(exc, "orig", None)
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return Unavailable("the database connection was lost; nothing was changed, try again")
    if isinstance(orig, sqlite3.Error):
        text = str(orig).lower()
        if "full" in text:
            return StorageFull("the disk holding the database is full; nothing was changed")
        if "readonly" in text or "read-only" in text:
            return Unavailable("the database file is read-only; nothing was changed (operator: check its permissions)",
                               retry_after=60)
        if "locked" in text or "busy" in text or "disk i/o" in text:
            return Unavailable("the database is busy; nothing was changed, try again")
        return None
    state = getattr(orig, "sqlstate", None)
    if state is None:  # psycopg raises OperationalError without a state when the server is gone
        return Unavailable("the database is unreachable; nothing was changed, try again") \
            if type(orig).__name__ in ("OperationalError", "InterfaceError") else None
    if state in _TRANSIENT_STATES or state.startswith(_TRANSIENT_CLASSES):
        return Unavailable("the database could not complete the request just now; nothing was changed, try again",
                           retry_after=1)
    if state == "53100":  # disk_full
        return StorageFull("the disk holding the database is full; nothing was changed")
    return None


def is_transient(exc: BaseException) -> bool:
    """True when trying the same transaction again may succeed (a lost race or a passing database fault)."""
    return isinstance(exc, Conflict) or isinstance(translate_error(exc), Unavailable)


def writable_problem(engine: Engine) -> str | None:
    """Why the service could not write to this database (a read-only SQLite file, directory or mount, a
    PostgreSQL hot standby), or None. A real write is tried and rolled back: permissions alone do not tell
    (root ignores them, a read-only mount does not show in them)."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                trans = conn.begin()  # BEGIN IMMEDIATE: takes the write lock
                version = conn.exec_driver_sql("PRAGMA user_version").scalar()
                conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")  # rewrites the header
                trans.rollback()
            elif conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
                return "the PostgreSQL server accepts only read-only transactions (a standby?)"
    except DBAPIError as exc:
        known = translate_error(exc)
        return known.message if known is not None else str(exc.orig)
    return None
