"""Storage faults answer with their cause and change nothing: a full disk (507), a read-only database
(refused at start), partial uploads cleaned up.

The full disk is real: a 3 MB tmpfs mounted for the test (root, as CI and the developers' machines run),
filled to the last byte, then emptied again.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DEMO_PASSWORD, PG_ADMIN_URL, T0, Api, make_config
from service.app import build_services, create_app
from service.config import Config
from service.flows.demo import load_demo
from scenarios import ROOT, START

PDF = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; the filler file's path (delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass
    return filler


def _counts(api) -> tuple[int, int]:
    with api.svc.db_engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in ("instances", "events"))


@pytest.mark.skipif(bool(PG_ADMIN_URL), reason="the SQLite file on a full disk; PostgreSQL's disk is the server's")
def test_a_full_disk_answers_507_changes_nothing_and_recovers(tmp_path, small_disk):
    cfg = make_config(tmp_path)
    db = Path(cfg.database_url.removeprefix("sqlite:///"))
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    svc.db_engine.dispose()
    shutil.copyfile(db, small_disk / "bf.sqlite3")
    cfg.database_url = f"sqlite:///{small_disk / 'bf.sqlite3'}"
    api = Api(create_app(cfg))
    api.login("supervisor")
    before = _counts(api)
    filler = fill(small_disk)
    r = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START})
    assert r.status_code == 507, r.get_data(as_text=True)
    assert r.get_json()["error"]["code"] == "insufficient_storage" and "full" in r.get_json()["error"]["message"]
    filler.unlink()
    assert _counts(api) == before
    r = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START})
    assert r.status_code == 201
    assert api.get(f"/api/instances/{r.get_json()['id']}/verify", "auditor").get_json()["ok"] is True


def test_an_upload_to_a_full_disk_is_507_and_leaves_no_part_file(api, small_disk):
    api.svc.settings.attachments_dir = small_disk / "attachments"
    filler = fill(small_disk)
    r = api.post("/api/attachments", "sec_jg1", data={"branch": "jg1", "file": (io.BytesIO(PDF), "整改.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 507, r.get_data(as_text=True)
    assert list(small_disk.rglob("*.part")) == []
    filler.unlink()
    r = api.post("/api/attachments", "sec_jg1", data={"branch": "jg1", "file": (io.BytesIO(PDF), "整改.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 201


@pytest.mark.skipif(bool(PG_ADMIN_URL), reason="a read-only SQLite database file")
def test_a_read_only_database_is_refused_at_start_naming_the_cause(tmp_path):
    cfg = make_config(tmp_path)
    build_services(cfg).db_engine.dispose()
    path = cfg.database_url.removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"  # what a read-only file or mount looks like to SQLite
    with pytest.raises(SystemExit, match="read-only"):
        build_services(Config(database_url=read_only, now=T0))
    env = dict(os.environ, BRANCHFLOW_DATABASE_URL=read_only)
    serve = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--port", "1"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert serve.returncode != 0 and "read-only" in serve.stderr
