"""The production shape under concurrency: a real gunicorn with 4 workers (deploy/gunicorn.conf.py) on
the suite's database (PostgreSQL in .ci/run's second pass), hit by many clients at once over HTTP."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import DEMO_PASSWORD, T0, demo_services
from service.store.models import Event
from test_pairing__lifecycle import START

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving service.wsgi:app, plus a tiny JSON client."""

    def __init__(self, url: str, workers: int = 4):
        self.port = _free_port()
        env = dict(os.environ, BRANCHFLOW_DATABASE_URL=url, BRANCHFLOW_NOW=T0.isoformat(),
                   BRANCHFLOW_BIND=f"127.0.0.1:{self.port}", BRANCHFLOW_WORKERS=str(workers),
                   BRANCHFLOW_AUTO_MIGRATE="0")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                                      "service.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.tokens: dict[str, str] = {}
        for _ in range(300):
            try:
                self.call("GET", "/api/openapi.json")
                return
            except OSError:
                time.sleep(0.1)  # polling a starting server, not timing behaviour
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def call(self, method: str, path: str, body=None, user: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, body = self.call("POST", "/api/auth/login", {"username": user, "password": DEMO_PASSWORD})
            assert status == 200, body
            self.tokens[user] = body["token"]
        return self.tokens[user]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        """kill -9 the master and every worker at once (they share the session started for them)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    cfg, svc = demo_services(tmp_path)
    srv = Server(cfg.database_url)
    srv.svc = svc
    yield srv
    srv.stop()


def open_pairing(srv) -> str:
    status, body = srv.call("POST", "/api/instances", {"process": "pairing", "variables": START}, "supervisor")
    assert status == 201, body
    return body["id"]


def task_of(srv, iid: str, element: str, user: str) -> str:
    status, body = srv.call("GET", f"/api/instances/{iid}", user=user)
    return [t["id"] for t in body["open_tasks"] if t["element"] == element][0]


def at_once(jobs) -> list:
    """Run the callables in threads released together; return their results."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_many_clients_completing_one_task_get_one_200_and_the_rest_409(server):
    iid = open_pairing(server)
    tid = task_of(server, iid, "sign_helper", "supervisor")
    server.token("supervisor")
    results = at_once([lambda: server.call("POST", f"/api/tasks/{tid}/complete", {"data": {"signed": True}},
                                           "supervisor") for _ in range(16)])
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [409] * 15, results
    with server.svc.uow() as uow:
        n = uow.session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == iid, Event.type == "complete"))
    assert n == 1
    status, body = server.call("GET", f"/api/instances/{iid}/verify", user="auditor")
    assert status == 200 and body["ok"] is True


def test_many_clients_on_different_instances_lose_no_update(server):
    ids = [open_pairing(server) for _ in range(8)]
    for user in ("supervisor", "sec_jg2"):
        server.token(user)

    def sign_both(iid):
        def job():
            a = server.call("POST", f"/api/tasks/{task_of(server, iid, 'sign_helper', 'supervisor')}/complete",
                            {"data": {"signed": True}}, "supervisor")
            b = server.call("POST", f"/api/tasks/{task_of(server, iid, 'sign_secretary', 'sec_jg2')}/complete",
                            {"data": {"signed": True}}, "sec_jg2")
            return a[0], b[0]
        return job

    assert at_once([sign_both(i) for i in ids]) == [(200, 200)] * len(ids)
    for iid in ids:
        status, body = server.call("GET", f"/api/instances/{iid}", user="supervisor")
        assert body["version"] == 3 and [t["element"] for t in body["open_tasks"]] == ["file_letter"]
        assert server.call("GET", f"/api/instances/{iid}/verify", user="auditor")[1]["ok"] is True
