"""Schema migrations (Alembic): upgrade to head, report the revision, check models and migrations agree.

Migrations live in ``service/store/migrations/versions`` and run on a connection branchflow opens, so
they use the same engine settings (SQLite pragmas, PostgreSQL URL) as the service.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from . import ops_models  # noqa: F401  (the operations tables join Base.metadata)
from .models import Base

SCRIPTS = Path(__file__).resolve().parent / "migrations"


class SchemaError(RuntimeError):
    """The database schema is not one this code can use."""


def _config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest migration revision."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: no migrations applied)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply every migration up to ``revision``; return the revision reached."""
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    if "instances" in tables and "alembic_version" not in tables:
        raise SchemaError("this database was created before migrations existed: export its instances "
                          "(branchflow audit export) and start from an empty database")
    _migrate(engine, command.upgrade, revision)
    return current(engine)


def downgrade(engine: Engine, revision: str) -> str | None:
    """Undo the migrations after ``revision``; return the revision reached."""
    _migrate(engine, command.downgrade, revision)
    return current(engine)


def _migrate(engine: Engine, step, revision: str) -> None:
    """Run ``step`` (upgrade or downgrade) to ``revision`` in one transaction. On SQLite foreign keys are not
    enforced meanwhile: a migration that rebuilds a table others refer to drops it and renames its copy,
    which enforcement forbids (SQLite's documented procedure; the pragma only takes effect outside a
    transaction). Every reference is checked before the transaction commits, and enforcement comes back."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                step(_config(conn), revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"the migration left references without their rows: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def differences(engine: Engine) -> list:
    """What the models declare that the migrated database lacks (or has otherwise): empty when they agree."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
