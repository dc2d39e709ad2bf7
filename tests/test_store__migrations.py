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


def test_the_instances_rebuild_keeps_every_row_and_reference(tmp_path):
    """0014 rebuilds the instances table on SQLite with the workflow state last: every row and reference
    survives, foreign keys are enforced again afterwards, and the downgrade restores the order before."""
    from datetime import datetime, timezone

    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from service.store.models import Event, Instance, Spec

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine, "0013")
    at = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(Spec), [{"sha256": "s" * 64, "process_id": "pairing", "bpmn_xml": "<x/>", "forms": {},
                                     "created_at": at}])
        conn.execute(insert(Instance), [{
            "id": f"i{n}", "process_id": "pairing", "spec_sha": "s" * 64, "state": "{" + "x" * 40_000 + "}",
            "version": 1, "status": "running", "branch": "jg1", "title": f"结对 {n}", "summary": {"month": n},
            "head": "0" * 64, "started_by": "supervisor", "created_at": at, "updated_at": at} for n in range(3)])
        conn.execute(insert(Event), [{"instance_id": "i1", "seq": 1, "type": "start", "actor": "supervisor",
                                      "at": at, "data": {}, "prev_hash": "0" * 64, "hash": "h" * 64}])

    def columns():
        with engine.connect() as conn:
            return [r[1] for r in conn.execute(text("PRAGMA table_info(instances)"))]

    def rows():
        with engine.connect() as conn:
            return sorted(tuple(r._mapping[c] for c in sorted(r._mapping.keys()))
                          for r in conn.execute(select(Instance.__table__)))

    before = rows()
    assert columns().index("state") == 3

    assert migrate.upgrade(engine) == migrate.head()
    assert columns()[-2:] == ["summary", "state"] and rows() == before
    assert migrate.differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT instance_id FROM events")).scalar() == "i1"
    with pytest.raises(IntegrityError), engine.begin() as conn:  # enforcement is back
        conn.execute(insert(Event), [{"instance_id": "nobody", "seq": 1, "type": "start", "actor": "x", "at": at,
                                      "data": {}, "prev_hash": "0" * 64, "hash": "h" * 64}])

    migrate.downgrade(engine, "0013")
    assert columns().index("state") == 3 and rows() == before
