"""A PostgreSQL restart under load: clients hear 503 with Retry-After (never a 500), and the service recovers
by itself. Load: 4 clients reading inboxes and starting pairings through 4 gunicorn workers while the server
restarts twice (about 400 requests)."""
from __future__ import annotations

import glob
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest

from conftest import PG_ADMIN_URL
from scenarios import load_branches

DATA = os.path.join(os.environ.get("PGBF_DIR", "/tmp/branchflow-pg"), "data")
pytestmark = pytest.mark.skipif(not PG_ADMIN_URL or not os.path.exists(os.path.join(DATA, "PG_VERSION")),
                                reason="needs the throwaway PostgreSQL server of .ci/pg")


def restart_postgres() -> None:
    pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    log = os.path.join(os.path.dirname(DATA), "log")
    cmd = [pg_ctl, "-D", DATA, "-l", log, "restart", "-m", "fast", "-w"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    # the server inherits no pipe of ours (it would hold it open for ever)
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)


def test_a_restart_answers_503_with_retry_after_and_recovers(server):
    server.token("supervisor")
    starts = load_branches(server.svc, 300)  # one running pairing per branch: each start names a branch of its own
    stop, lock = threading.Event(), threading.Lock()
    statuses: Counter = Counter()
    no_retry_after: list = []

    def client():
        while not stop.is_set():
            with lock:
                if len(starts) < 2:  # keep one for the check after recovery
                    return
                variables = starts.pop()
            for method, path, body in (("GET", "/api/tasks", None),
                                       ("POST", "/api/instances", {"process": "pairing", "variables": variables})):
                req = urllib.request.Request(
                    f"http://127.0.0.1:{server.port}{path}", method=method,
                    data=None if body is None else __import__("json").dumps(body).encode(),
                    headers={"Authorization": f"Bearer {server.tokens['supervisor']}",
                             "Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, headers = r.status, r.headers
                except urllib.error.HTTPError as e:
                    status, headers = e.code, e.headers
                with lock:
                    statuses[status] += 1
                    if status == 503 and not headers.get("Retry-After"):
                        no_retry_after.append(path)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(2):
            restart_postgres()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert statuses[500] == 0, statuses
    assert set(statuses) <= {200, 201, 503}, statuses
    assert no_retry_after == []
    # recovered without anyone doing anything
    assert server.call("GET", "/api/tasks", user="supervisor")[0] == 200
    assert server.call("POST", "/api/instances", {"process": "pairing", "variables": starts.pop()}, "supervisor")[0] == 201
