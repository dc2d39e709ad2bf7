"""Shared fixtures: a real SQLite file, the real engine and the app's test client, with a travelling clock."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from service.app import build_services, create_app
from service.config import Config
from service.flows.demo import load_demo
from service.store import migrate
from service.store.db import make_engine
from sqlalchemy import create_engine

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")  # a Monday
DEMO_PASSWORD = "demo-password-1"


_TEMPLATE: list[Path] = []


def _migrated_template() -> Path:
    """An empty database at the migration head, built once per test run and copied for each test
    (running every migration for each of the suite's databases would cost seconds)."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.sqlite3"
        migrate.upgrade(make_engine(f"sqlite:///{path}"))
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


#: set by .ci/run for the PostgreSQL pass: an admin URL of a throwaway server (see .ci/pg)
PG_ADMIN_URL = os.environ.get("BRANCHFLOW_TEST_PG")
_PG_DATABASES: set[str] = set()


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_database(tmp_path) -> str:
    """A fresh PostgreSQL database for one test, cloned from a migrated template (fast: a file copy)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not _TEMPLATE:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS bf_template")
            conn.exec_driver_sql("CREATE DATABASE bf_template")
            engine = make_engine(_pg_url("bf_template"))
            migrate.upgrade(engine)
            engine.dispose()
            _TEMPLATE.append(Path("bf_template"))
        name = "bf_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]
        if name not in _PG_DATABASES:  # a second app on the same tmp_path reopens the same database
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE bf_template")
            _PG_DATABASES.add(name)
    admin.dispose()
    return _pg_url(name)


def drop_test_databases() -> None:
    """Drop every PostgreSQL database this process created, the template included (a throwaway server
    still should not keep a copy of each test's database: a few runs would fill its disk)."""
    if not PG_ADMIN_URL or not (_PG_DATABASES or _TEMPLATE):
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in sorted(_PG_DATABASES) + [str(t) for t in _TEMPLATE]:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()
    _PG_DATABASES.clear()
    _TEMPLATE.clear()


def pytest_sessionfinish(session, exitstatus):
    drop_test_databases()


def clone_database(src, dst) -> None:
    """Copy the test database of folder ``src`` to folder ``dst`` (a file copy, or a PostgreSQL template clone)."""
    if not PG_ADMIN_URL:
        shutil.copytree(src, dst)
        return
    Path(dst).mkdir(parents=True, exist_ok=True)
    source = "bf_" + hashlib.sha1(str(src).encode()).hexdigest()[:16]
    target = "bf_" + hashlib.sha1(str(dst).encode()).hexdigest()[:16]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}'")
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {target} TEMPLATE {source}")
    admin.dispose()
    _PG_DATABASES.add(target)


def make_config(tmp_path, now=T0, database_url: str | None = None) -> Config:
    """Test configuration on a fresh database (or on ``database_url``, e.g. another process's)."""
    if not database_url:
        if PG_ADMIN_URL:
            database_url = _pg_database(tmp_path)
        else:
            db = Path(tmp_path) / "bf.sqlite3"
            if not db.exists():
                shutil.copyfile(_migrated_template(), db)
            database_url = f"sqlite:///{db}"
    cfg = Config(database_url=database_url, now=now)
    cfg.settings.password_profile = "fast"
    cfg.settings.calendar_dir = tmp_path / "no-calendar-files"
    cfg.settings.attachments_dir = tmp_path / "attachments"
    cfg.settings.duty_calendar_minutes = 0  # tests open duty periods themselves (claiming.open_due)
    return cfg


class Api:
    """A thin JSON client over the Flask test client with per-user tokens."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    @property
    def svc(self):
        return self.app.extensions["branchflow"]

    def login(self, username: str) -> str:
        if username not in self.tokens:
            r = self.client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, **kw):
        headers = dict(kw.pop("headers", {}), **({"Authorization": f"Bearer {self.login(user)}"} if user else {}))
        return self.client.open(path, method=method, headers=headers, **kw)

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.call("POST", path, user, **kw)

    def inbox(self, user: str, **query) -> list[dict]:
        r = self.get("/api/tasks", user, query_string=dict(query, per_page=200))
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    def task(self, user: str, element: str, instance: str | None = None) -> dict:
        items = [t for t in self.inbox(user) if t["element"] == element and (instance is None or t["instance_id"] == instance)]
        assert items, f"{user} has no {element} task; inbox: {[t['element'] for t in self.inbox(user)]}"
        return items[0]

    def complete(self, user: str, element: str, data: dict, instance: str | None = None, expect=200) -> dict:
        t = self.task(user, element, instance)
        r = self.post(f"/api/tasks/{t['id']}/complete", user, json={"data": data})
        assert r.status_code == expect, r.get_json()
        return t

    def travel(self, to: datetime) -> None:
        """Move the clock; tokens expire like real ones, so everybody logs in again."""
        self.svc.clock.set(to)
        self.tokens.clear()


def demo_services(tmp_path, now=T0):
    """A fresh test database with the demo organisation, and the services on it: (config, services)."""
    cfg = make_config(tmp_path, now)
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    return cfg, svc


def build_app(tmp_path, now=T0):
    cfg, svc = demo_services(tmp_path, now)
    return create_app(cfg, svc)


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path))


# -- fixtures shared by several test modules ------------------------------------------------------------


@pytest.fixture
def pairing(api) -> str:
    """A pairing of 机关二支部 through its improvement plan."""
    from scenarios import open_pairing, through_plan

    iid = open_pairing(api)
    through_plan(api, iid)  # 7 completions after the start
    return iid


@pytest.fixture
def server(tmp_path):
    """A live gunicorn (4 workers) on a fresh demo database."""
    from scenarios import Server

    cfg, svc = demo_services(tmp_path)
    srv = Server(cfg.database_url)
    srv.svc = svc
    yield srv
    srv.stop()
