"""The wheel carries everything the service needs (diagrams, forms, calendar data, migrations, web assets):
built from a copy of the source, installed offline from a wheelhouse into a fresh venv in a temp dir, it
answers `branchflow --version` and runs `branchflow serve --demo` from a folder that is not the checkout —
as README's offline bundle does on a host without internet."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scenarios import ROOT, _free_port

IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", "build", "dist", "*.egg-info", "tests",
                                "test-artifacts", "docs", "bench", "*.sqlite3*", "branchflow-attachments")


def _run(*args, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel --no-deps`` of a copy of the source tree (the checkout itself stays untouched)."""
    folder = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, folder / "src", ignore=IGNORE)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", folder / "dist",
         folder / "src")
    (built,) = (folder / "dist").glob("branchflow-*.whl")
    return built


def _wheelhouse(wheel: Path) -> Path:
    """Wheels of every dependency (``pip wheel`` of the project: PyPI or the pip cache), kept between runs
    in the system's temp folder, keyed by the dependency list."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    key = hashlib.sha256(pyproject.encode()).hexdigest()[:16]
    house = Path(os.environ.get("TMPDIR", "/tmp")) / f"branchflow-wheelhouse-{key}"
    if not (house / ".complete").exists():
        house.mkdir(exist_ok=True)
        _run(sys.executable, "-m", "pip", "wheel", "-q", "-w", house, wheel)
        (house / ".complete").write_text("ok")
    for old in house.glob("branchflow-*.whl"):
        old.unlink()  # only dependencies stay: the project's own wheel comes from this run
    return house


def test_the_wheel_holds_the_data_the_service_reads(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for process in (p.stem for p in (ROOT / "bpmn").glob("*.bpmn")):
        assert f"service/_data/bpmn/{process}.bpmn" in names
        assert any(n.startswith(f"service/_data/forms/{process}/") for n in names), process
    assert "service/_data/calendar/README.md" in names
    assert any(n.startswith("service/store/migrations/versions/0001") for n in names)
    assert {"service/web/static/app.css", "service/web/templates/base.html", "service/api/static/redoc/redoc.standalone.js",
            "service/web/templates/ops_overview.html"} <= names


def test_the_wheel_installs_offline_in_a_fresh_venv_and_serves_the_demo(wheel, tmp_path):
    house = _wheelhouse(wheel)
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    # offline, as on the intranet host: only the wheelhouse and the project's wheel
    _run(venv / "bin" / "pip", "install", "-q", "--no-index", "--find-links", house, wheel)
    version = _run(venv / "bin" / "branchflow", "--version").stdout
    assert re.fullmatch(r"branchflow \d+\.\d+\.\d+\S*\n", version)

    workdir = tmp_path / "somewhere-else"
    workdir.mkdir()
    port = _free_port()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    proc = subprocess.Popen([venv / "bin" / "branchflow", "serve", "--demo", "--port", str(port)], cwd=workdir,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        lines = []
        while True:  # the demo accounts, then the banner
            line = proc.stdout.readline()
            assert line, "serve stopped: " + "".join(lines)
            lines.append(line)
            if line.startswith("branchflow "):
                break
        password = next(l.split()[-1] for l in lines if l.strip().startswith("supervisor "))
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # polling a starting server
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        page = urllib.request.urlopen(f"{base}/", timeout=30)  # → /login
        assert page.status == 200 and "支部标准化工作台" in page.read().decode()
        spec = json.load(urllib.request.urlopen(f"{base}/api/openapi.json", timeout=30))
        assert "/api/tasks" in spec["paths"] and "/api/outbox" in spec["paths"]
        assert urllib.request.urlopen(f"{base}/static/app.css", timeout=30).status == 200
        login = urllib.request.Request(f"{base}/api/auth/login", method="POST", headers={"Content-Type": "application/json"},
                                       data=json.dumps({"username": "supervisor", "password": password}).encode())
        token = json.load(urllib.request.urlopen(login, timeout=30))["token"]
        startable = json.load(urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/processes/startable", headers={"Authorization": f"Bearer {token}"}), timeout=30))
        assert any(p["process"] == "pairing" for p in startable["items"])  # diagrams and forms came with the wheel
        assert (workdir / "branchflow.sqlite3").exists()  # the database is where the operator stands
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
