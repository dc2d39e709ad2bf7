"""Consistent copies of the database: SQLite's online backup API, PostgreSQL's ``pg_dump``/``pg_restore``.

Both copy one consistent state while the service keeps running: SQLite's backup API copies the pages of
one read transaction (restarting if a writer changes the file meanwhile), ``pg_dump`` reads everything in
one repeatable-read snapshot. A restore goes only into an empty place (a missing SQLite file, a database
with no tables) unless forced.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url


class SnapshotError(RuntimeError):
    """A snapshot or restore could not be made; the message says why."""


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: BRANCHFLOW_PG_BIN's, the newest of Debian's, or the one on PATH."""
    folder = os.environ.get("BRANCHFLOW_PG_BIN")
    if folder:
        return str(Path(folder) / name)
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")])
    found = versions[-1] if versions else shutil.which(name)
    if not found:
        raise SnapshotError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client) "
                            f"or set BRANCHFLOW_PG_BIN")
    return found


def _libpq(url) -> tuple[str, dict]:
    """A libpq URL (no driver, no password) and the environment carrying the password."""
    url = make_url(str(url)) if isinstance(url, str) else url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def dialect_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a database URL."""
    return make_url(url).get_backend_name()


def save(engine: Engine, target: Path) -> str:
    """Write a consistent copy of the database to ``target``; returns its format (``sqlite3``, ``pg_dump``)."""
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return "sqlite3"
    if engine.dialect.name == "postgresql":
        url, env = _libpq(engine.url)
        done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                               "--file", str(target), "--dbname", url], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SnapshotError(f"pg_dump failed: {done.stderr.strip()[:2000]}")
        return "pg_dump"
    raise SnapshotError(f"cannot back up a {engine.dialect.name} database")


def is_empty(engine: Engine) -> bool:
    """True when the database holds no table at all (a fresh place to restore into)."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or not Path(path).exists() or Path(path).stat().st_size == 0:
            return True
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def load(engine: Engine, source: Path, fmt: str, force: bool = False) -> None:
    """Restore the copy ``source`` (of format ``fmt``) into ``engine``'s database, which must be empty unless
    ``force`` (then what is there is replaced)."""
    if not force and not is_empty(engine):
        raise SnapshotError(f"{engine.url.render_as_string()} is not empty: restore into an empty database "
                            "(or give --force to replace what is there)")
    if engine.dialect.name == "sqlite" and fmt == "sqlite3":
        engine.dispose()
        target = Path(engine.url.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            if leftover.exists():
                leftover.unlink()
        copy = sqlite3.connect(source)
        into = sqlite3.connect(target)
        try:
            with into:
                copy.backup(into)
        finally:
            into.close()
            copy.close()
        return
    if engine.dialect.name == "postgresql" and fmt == "pg_dump":
        engine.dispose()
        url, env = _libpq(engine.url)
        args = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if force:
            args += ["--clean", "--if-exists"]
        done = subprocess.run(args + ["--dbname", url, str(source)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SnapshotError(f"pg_restore failed: {done.stderr.strip()[:2000]}")
        return
    raise SnapshotError(f"a {fmt} backup cannot be restored into a {engine.dialect.name} database "
                        "(restore into the kind of database it was taken from)")
