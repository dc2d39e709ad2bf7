"""kill -9 in the middle of a load: the gunicorn master with its workers, and the scheduler, at once.

After both come back, every request that was answered 2xx is in the database and in the audit log,
`branchflow audit verify` passes, and every timer due fired exactly once (none lost, none twice).
The web clock stands at T0; the scheduler's clock stands ten days later, so each task the load opens
has its reminders and escalations due while the load runs.
"""
from __future__ import annotations

import http.client
import os
import signal
import threading
from collections import Counter

from sqlalchemy import select

from conftest import demo_services
from service.store.models import Event, InboxTask, Instance, Timer
from scenarios import SCHEDULER_NOW, Server, cli, load_branches

CLIENTS = 6
#: 2xx answers wanted before the kill, and again after the restart
BEFORE, AFTER = 60, 30


class Load:
    """Client threads walking pairings through their first steps; they record every 2xx they get."""

    def __init__(self):
        self.server: Server | None = None
        self.up = threading.Event()
        self.stop = threading.Event()
        self.done = threading.Condition()
        self.started: list[str] = []         # instance ids answered 201
        self.completed: list[str] = []       # task ids answered 200
        self.duties: list[str] = []          # instances left with supply_tools (and its timers) open
        self.starts: list[dict] = []         # start variables left, one branch each (one running pairing per branch)
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]

    def successes(self) -> int:
        return len(self.started) + len(self.completed)

    def wait_for(self, count: int, duties: int) -> None:
        """Until ``count`` 2xx answers are in and ``duties`` pairings wait on their duty (timers to fire)."""
        with self.done:
            assert self.done.wait_for(lambda: self.successes() >= count and len(self.duties) >= duties,
                                      timeout=300), (self.successes(), len(self.duties))

    def call(self, method, path, body=None, user=None):
        """One request; a dead server answers (None, None) after it comes back up."""
        self.up.wait()
        try:
            return self.server.call(method, path, body, user)
        except (OSError, http.client.HTTPException):  # killed mid-request (or mid-answer): outcome unknown, not recorded
            return None, None

    def record(self, kind: list, value: str) -> None:
        with self.done:
            kind.append(value)
            self.done.notify_all()

    def client(self):
        # supply_tools carries a 3-working-day duty: its reminder and escalations race its completion
        steps = (("sign_helper", "supervisor"), ("sign_secretary", "SECRETARY"), ("file_letter", "supervisor"),
                 ("diagnosis", "supervisor"), ("supply_tools", "supervisor"))
        data = {"sign_helper": {"signed": True}, "sign_secretary": {"signed": True},
                "file_letter": {"archive_no": "JD-2026-01"},
                "diagnosis": {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账", "description": "缺失"}],
                              "summary": "薄弱"},
                "supply_tools": {"tools": [{"name": "台账模板"}]}}
        rounds = 0
        while not self.stop.is_set():
            with self.done:
                if not self.starts:  # every load branch has its pairing: this client is done
                    return
                variables = self.starts.pop()
            status, body = self.call("POST", "/api/instances", {"process": "pairing", "variables": variables}, "supervisor")
            if status != 201:
                continue
            self.record(self.started, body["id"])
            rounds += 1
            # every other pairing (the first one included) leaves supply_tools open: its timers must fire
            leave_open = rounds % 2 == 1
            for element, user in steps[:-1] if leave_open else steps:
                user = f"sec_{variables['branch']}" if user == "SECRETARY" else user
                status, inst = self.call("GET", f"/api/instances/{body['id']}", user=user)
                if status != 200:
                    break
                ids = [t["id"] for t in inst["open_tasks"] if t["element"] == element]
                if not ids:
                    break
                status, _ = self.call("POST", f"/api/tasks/{ids[0]}/complete", {"data": data[element]}, user)
                if status == 200:
                    self.record(self.completed, ids[0])
                    if leave_open and element == "diagnosis":
                        self.record(self.duties, body["id"])


def test_kill_9_mid_load_loses_no_answered_request_and_no_timer(tmp_path):
    cfg, svc = demo_services(tmp_path)
    url = cfg.database_url

    load = Load()
    load.starts = load_branches(svc, 300)
    load.server, scheduler = Server(url), cli(url, "scheduler", "--tick", "0.2")
    for user in ("supervisor", "sec_jg2"):
        load.server.token(user)
    load.up.set()
    for t in load.threads:
        t.start()
    load.wait_for(BEFORE, duties=3)

    load.up.clear()
    tokens = load.server.tokens
    load.server.kill()
    os.killpg(scheduler.pid, signal.SIGKILL)
    assert scheduler.wait(timeout=30) == -signal.SIGKILL
    killed_at, duties_at = load.successes(), len(load.duties)

    load.server, scheduler = Server(url), cli(url, "scheduler", "--tick", "0.2")
    load.server.tokens = tokens  # tokens live in the database: they survive the crash
    load.up.set()
    load.wait_for(killed_at + AFTER, duties=duties_at + 3)
    load.stop.set()
    for t in load.threads:
        t.join(timeout=60)
    load.server.stop()
    scheduler.terminate()
    assert scheduler.wait(timeout=30) == 0

    # the operator's sweep at the scheduler's instant: whatever the dead sweep had in hand fires now
    sweep = cli(url, "timers", "fire", "--now", SCHEDULER_NOW.isoformat())
    out, _ = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, out

    with svc.uow() as uow:
        s = uow.session
        events = list(s.scalars(select(Event)))
        instances = set(s.scalars(select(Instance.id)))
        completed_events = {e.data["task_id"] for e in events if e.type == "complete"}
        assert set(load.started) <= instances
        assert set(load.started) <= {e.instance_id for e in events if e.type == "start"}
        assert set(load.completed) <= completed_events
        assert set(load.completed) <= set(s.scalars(select(InboxTask.id).where(InboxTask.status == "completed")))
        # every timer due fired, once
        unfired = list(s.scalars(select(Timer).where(Timer.status.in_(("pending", "firing", "failed")),
                                                     Timer.due_at <= SCHEDULER_NOW)))
        assert unfired == []
        fired = Counter(t for e in events if e.type == "timer" for t in e.data["timers"])
        statuses = Counter(s.scalars(select(Timer.status)))
        assert fired and max(fired.values()) == 1, (statuses, len(load.started), len(load.completed), out)
        assert set(fired) == set(s.scalars(select(Timer.id).where(Timer.status == "fired")))
        escalations = Counter((e.data["task_id"], e.data["level"]) for e in events if e.type == "escalation")
        assert escalations and max(escalations.values()) == 1

    verify = cli(url, "audit", "verify")
    out, _ = verify.communicate(timeout=600)
    assert verify.returncode == 0, out[-2000:]
