"""Database engine and schema creation; nothing connects at import time."""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker



def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, a busy timeout and foreign keys."""
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
