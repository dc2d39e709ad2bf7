"""Web writes racing timer sweeps on the same instances: no 500, no deadlock victim, no escalation lost.

Live gunicorn workers (4) take claims and completions of 3-working-day duties while two scheduler
processes sweep every 0.1 s with a clock ten days ahead, so every duty's reminder and escalations fall
due while its claim and completion are in flight (the close-of-business rush). Afterwards one more sweep
leaves no timer of an open duty unfired, nothing fired twice, no timer parked as failed, and every
instance verifies. Load: 6 clients × 6 pairings, about 300 HTTP requests, 2 schedulers.
"""
from __future__ import annotations

import os
import signal
import threading
from collections import Counter

from sqlalchemy import select

from conftest import demo_services
from service.store.models import Event, InboxTask, Timer
from scenarios import SCHEDULER_NOW, Server, cli, load_branches

CLIENTS, ROUNDS = 6, 6
STEPS = (("sign_helper", "supervisor", {"signed": True}), ("sign_secretary", "SECRETARY", {"signed": True}),
         ("file_letter", "supervisor", {"archive_no": "JD-2026-01"}),
         ("diagnosis", "supervisor", {"methods": ["看资料", "访党员", "问群众"],
                                      "shortcomings": [{"title": "台账", "description": "缺失"}], "summary": "薄弱"}))


def test_claims_and_completions_racing_sweeps_lose_no_timer_and_answer_no_500(tmp_path):
    cfg, svc = demo_services(tmp_path)
    url = cfg.database_url
    starts = load_branches(svc, CLIENTS * ROUNDS)  # one running pairing per branch: a branch per pairing
    server = Server(url)
    for user in ["supervisor"] + [f"sec_{v['branch']}" for v in starts]:
        server.token(user)
    schedulers = [cli(url, "scheduler", "--tick", "0.1") for _ in range(2)]
    statuses: Counter = Counter()
    errors: list = []
    lock = threading.Lock()

    def call(method, path, body, user):
        status, answer = server.call(method, path, body, user)
        with lock:
            statuses[status] += 1
            if status >= 500:
                errors.append((method, path, status, answer))
        return status, answer

    def client():
        try:
            walk()
        except Exception as exc:  # an assertion in a thread would only warn: collect it for the main thread
            with lock:
                errors.append(repr(exc))

    def walk():
        for _ in range(ROUNDS):
            with lock:
                variables = starts.pop()
            status, inst = call("POST", "/api/instances", {"process": "pairing", "variables": variables}, "supervisor")
            assert status == 201, inst
            for element, user, data in STEPS + (("supply_tools", "supervisor", {"tools": [{"name": "台账模板"}]}),):
                user = f"sec_{variables['branch']}" if user == "SECRETARY" else user
                _, body = call("GET", f"/api/instances/{inst['id']}", None, user)
                task = next(t["id"] for t in body["open_tasks"] if t["element"] == element)
                if element == "supply_tools":  # the duty whose timers the sweeps are firing right now
                    call("POST", f"/api/tasks/{task}/claim", None, user)
                status, _ = call("POST", f"/api/tasks/{task}/complete", {"data": data}, user)
                while status == 409:  # the sweep stepped the instance first: reload and retry, as a client would
                    status, _ = call("POST", f"/api/tasks/{task}/complete", {"data": data}, user)
                assert status in (200, 409), status

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    finally:
        server.stop()
        for s in schedulers:
            os.killpg(s.pid, signal.SIGTERM)
            s.wait(timeout=30)
    assert errors == [], errors[:5]
    assert statuses[201] == CLIENTS * ROUNDS

    sweep = cli(url, "timers", "fire", "--now", SCHEDULER_NOW.isoformat())
    out, _ = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, out
    with svc.uow() as uow:
        s = uow.session
        left = list(s.scalars(select(Timer).where(Timer.status.in_(("pending", "failed")),
                                                  Timer.due_at <= SCHEDULER_NOW)))
        assert left == [], [(t.status, t.error) for t in left]
        events = list(s.scalars(select(Event)))
        fired = Counter(t for e in events if e.type == "timer" for t in e.data["timers"])
        assert fired and max(fired.values()) == 1
        # every escalation of a duty that was open when its escalation fell due landed in an inbox
        escalated = {(e.data["task_id"], e.data["level"]) for e in events if e.type == "escalation"}
        rows = {(r.ref_task_id, r.escalation_level) for r in s.scalars(
            select(InboxTask).where(InboxTask.kind == "escalation"))}
        assert escalated == rows
    verify = cli(url, "audit", "verify")
    out, _ = verify.communicate(timeout=600)
    assert verify.returncode == 0, out[-2000:]
