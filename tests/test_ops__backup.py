"""branchflow backup FILE / restore FILE: the database and the evidence files together; a restore into an
empty place passes `audit verify` on everything (SQLite here, PostgreSQL under BRANCHFLOW_TEST_PG)."""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

import conftest
from scenarios import PAIRS, ROOT, open_pairing, through_plan

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "BRANCHFLOW_AUTO_MIGRATE": "0", **env})


def empty_place(tmp_path: Path, name: str) -> dict:
    """A database nobody has touched and an attachments folder that does not exist yet."""
    if conftest.PG_ADMIN_URL:
        db = f"bf_restore_{hashlib.sha1(str(tmp_path / name).encode()).hexdigest()[:12]}"
        admin = create_engine(conftest.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {db}")
        admin.dispose()
        conftest._PG_DATABASES.add(db)
        url = conftest._pg_url(db)
    else:
        url = f"sqlite:///{tmp_path / name / 'restored.sqlite3'}"
    return {"BRANCHFLOW_DATABASE_URL": url, "BRANCHFLOW_ATTACHMENTS_DIR": str(tmp_path / name / "attachments")}


@pytest.fixture
def live(api, tmp_path):
    """A service with history (two pairings through their plan) and an evidence file."""
    for branch, helper in PAIRS[:2]:
        through_plan(api, open_pairing(api, branch=branch, helper=helper))
    r = api.post("/api/attachments", "sec_sb", data={"branch": "sb", "file": (io.BytesIO(PDF), "整改.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    env = {"BRANCHFLOW_DATABASE_URL": api.svc.db_engine.url.render_as_string(hide_password=False),
           "BRANCHFLOW_ATTACHMENTS_DIR": str(api.svc.settings.attachments_dir)}
    return api, env, r.get_json()


def test_backup_then_restore_into_an_empty_place_verifies_everything(live, tmp_path):
    api, env, attachment = live
    archive = tmp_path / "bf-backup.tar.gz"
    made = run(env, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    with api.svc.uow() as uow:
        count = len(uow.instances.all_ids())
    assert f"{count} instance(s), 1 evidence file(s)" in made.stdout
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    sha = hashlib.sha256(PDF).hexdigest()
    assert {"manifest.json", f"attachments/{sha}", manifest["database"]["file"]} == names
    assert manifest["database"]["schema"] and manifest["attachments"] == [sha]

    place = empty_place(tmp_path, "elsewhere")
    restored = run(place, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert (Path(place["BRANCHFLOW_ATTACHMENTS_DIR"]) / sha[:2] / sha).read_bytes() == PDF
    verified = run(place, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    reports = [json.loads(line) for line in verified.stdout.splitlines()]
    assert len(reports) == manifest["instances"] >= 2 and all(r["ok"] for r in reports)
    assert f"verified {len(reports)} instance(s), 0 failed" in verified.stderr
    # the restored service serves the evidence file and the same history
    cfg = conftest.Config(database_url=place["BRANCHFLOW_DATABASE_URL"], now=conftest.T0)
    cfg.settings.attachments_dir = Path(place["BRANCHFLOW_ATTACHMENTS_DIR"])
    cfg.settings.password_profile = "fast"
    other = conftest.Api(conftest.create_app(cfg, conftest.build_services(cfg)))
    assert other.get(f"/api/attachments/{attachment['id']}", "supervisor").data == PDF

    again = run(place, "restore", str(archive))  # the place is not empty any more
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_damaged_archive_is_refused_before_anything_is_written(live, tmp_path):
    api, env, _ = live
    archive = tmp_path / "bf.tar.gz"
    assert run(env, "backup", str(archive)).returncode == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("attachments/"):
                data = data.replace(b"%%EOF", b"%%EOX")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    place = empty_place(tmp_path, "damaged-place")
    refused = run(place, "restore", str(damaged))
    assert refused.returncode != 0 and "does not match its sha256" in refused.stderr
    assert not Path(place["BRANCHFLOW_ATTACHMENTS_DIR"]).exists()
    engine = create_engine(place["BRANCHFLOW_DATABASE_URL"])
    if engine.dialect.name != "sqlite" or Path(engine.url.database).exists():
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    engine.dispose()
