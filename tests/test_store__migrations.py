"""Alembic migrations: they build exactly the schema the models declare, and the service refuses a stale one."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from service.app import build_services
from service.cli import main
from service.config import Config
from service.store import migrate
from service.store.db import make_engine
from service.store.models import Base


def test_the_migrations_build_what_the_models_declare(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    assert migrate.current(engine) is None
    assert migrate.upgrade(engine) == migrate.head()
    assert migrate.differences(engine) == []
    assert migrate.upgrade(engine) == migrate.head()  # idempotent
    # the append-only triggers come with the schema
    with engine.connect() as conn:
        triggers = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    assert triggers == {"events_no_update", "events_no_delete"}


def test_a_model_change_without_a_migration_is_caught(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:  # as if a migration had forgotten a column
        conn.execute(text("ALTER TABLE attachments DROP COLUMN uploaded_by"))
    assert any("uploaded_by" in str(d) for d in migrate.differences(engine))


def test_a_database_from_before_migrations_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    Base.metadata.create_all(engine)
    with pytest.raises(migrate.SchemaError, match="before migrations"):
        migrate.upgrade(engine)


def test_without_auto_migrate_the_service_refuses_an_unmigrated_database_and_the_cli_upgrades_it(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    cfg = Config(database_url=url, auto_migrate=False)
    with pytest.raises(SystemExit, match="branchflow db upgrade"):
        build_services(cfg)
    monkeypatch.setenv("BRANCHFLOW_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "current"]).exit_code == 1
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0 and migrate.head() in result.output
    assert runner.invoke(main, ["db", "current"]).exit_code == 0
    svc = build_services(cfg)
    assert "instances" in inspect(svc.db_engine).get_table_names()


def test_the_suite_database_matches_the_models_and_refuses_event_edits(api):
    """Whichever database the suite runs on (SQLite, or PostgreSQL under .ci/run): migrated to head,
    equal to the models, and its events table refuses UPDATE and DELETE."""
    engine = api.svc.db_engine
    assert migrate.current(engine) == migrate.head()
    assert migrate.differences(engine) == []
    from test_pairing__lifecycle import open_pairing
    from sqlalchemy.exc import DatabaseError

    open_pairing(api)
    for statement in ("UPDATE events SET actor = 'x'", "DELETE FROM events"):
        with pytest.raises(DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
