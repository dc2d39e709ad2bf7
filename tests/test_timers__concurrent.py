"""Two OS processes sweeping the same database at the same instant fire every timer exactly once."""
from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from conftest import PG_ADMIN_URL, make_config
from service.app import build_services
from service.flows.timers import fire_due
from service.store.models import Event, InboxTask, Timer
from scenarios import load_branches, to_supply_tools

T = datetime.fromisoformat
DUE = T("2026-03-05T18:00:01+08:00")  # every supply_tools duty below is overdue (and its reminder due)
INSTANCES = 12
ROOT = Path(__file__).resolve().parents[1]


def sweep(tmp_path, url, barrier, out):
    """One scheduler process: its own engine and connections, released by the barrier together with the other."""
    cfg = make_config(tmp_path, DUE, database_url=url)
    svc = build_services(cfg)
    barrier.wait()
    result = fire_due(svc, DUE)
    out.put(([f["timer"] for f in result.fired], len(result.failed)))


def test_two_processes_fire_each_timer_once(api, tmp_path):
    ids = [to_supply_tools(api, v["branch"], "supervisor") for v in load_branches(api.svc, INSTANCES)]
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    url = api.svc.db_engine.url.render_as_string(hide_password=False)
    procs = [ctx.Process(target=sweep, args=(tmp_path, url, barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    fired = [t for timers, _ in results for t in timers]
    assert [failed for _, failed in results] == [0, 0]
    assert len(fired) == len(set(fired)) == 2 * INSTANCES  # a reminder and an overdue escalation each
    with api.svc.uow() as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(InboxTask).where(InboxTask.kind == "escalation")) == INSTANCES
        assert s.scalar(select(func.count()).select_from(Event).where(Event.type == "escalation")) == INSTANCES
        assert s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired")) == 2 * INSTANCES
        assert set(s.scalars(select(InboxTask.instance_id).where(InboxTask.kind == "escalation"))) == set(ids)


@pytest.mark.skipif(not PG_ADMIN_URL, reason="PostgreSQL: on SQLite a waiting sweep holds nothing yet (one writer)")
def test_a_sweep_killed_while_firing_leaves_its_timers_due(api, tmp_path):
    """kill -9 a sweep at a known point: it holds the instance and has begun firing, and waits for the
    instance's timer rows (held here, as no writer of ours would: every writer takes the instance first).
    Nothing it did may survive it; the next sweep fires each timer once."""
    iid = to_supply_tools(api)
    url = api.svc.db_engine.url.render_as_string(hide_password=False)
    holder = create_engine(url)
    watcher = create_engine(url, isolation_level="AUTOCOMMIT")  # its own view of pg_stat_activity
    with holder.connect() as conn, watcher.connect() as watch:
        conn.execute(text("SELECT id FROM timers WHERE instance_id = :i FOR UPDATE"), {"i": iid})
        env = dict(os.environ, BRANCHFLOW_DATABASE_URL=url, BRANCHFLOW_AUTO_MIGRATE="0")
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "timers", "fire", "--now", DUE.isoformat()],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        waiting = []
        for _ in range(600):  # polling another process's state, not timing behaviour
            waiting = watch.execute(text("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND datname = current_database()")).scalars().all()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the sweep never reached the timer rows"
        proc.kill()
        proc.wait(timeout=30)
        conn.rollback()  # release the timers: the dead sweep's backend runs on and finds its client gone
        for _ in range(600):
            alive = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"),
                                  {"p": list(waiting)}).scalar()
            if not alive:
                break
            time.sleep(0.05)
        assert not alive
    watcher.dispose()
    holder.dispose()
    with api.svc.uow() as uow:
        assert {t.status for t in uow.timers.due_of(iid, DUE)} == {"pending"}  # nothing half-fired
    result = fire_due(api.svc, DUE)
    assert sorted(f["kind"] for f in result.fired) == ["escalate", "remind"]
    assert fire_due(api.svc, DUE).fired == []
