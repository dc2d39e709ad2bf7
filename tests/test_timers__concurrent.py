"""Two OS processes sweeping the same database at the same instant fire every timer exactly once."""
from __future__ import annotations

import multiprocessing as mp
from datetime import datetime

from sqlalchemy import func, select

from conftest import make_config
from service.app import build_services
from service.flows.timers import fire_due
from service.store.models import Event, InboxTask, Timer
from test_timers__escalation import to_supply_tools

T = datetime.fromisoformat
DUE = T("2026-03-05T18:00:01+08:00")  # every supply_tools duty below is overdue (and its reminder due)
INSTANCES = 12


def sweep(tmp_path, url, barrier, out):
    """One scheduler process: its own engine and connections, released by the barrier together with the other."""
    cfg = make_config(tmp_path, DUE, database_url=url)
    cfg.settings.timer_batch = 3  # small batches: the two sweeps interleave claims, even within one instance
    svc = build_services(cfg)
    barrier.wait()
    result = fire_due(svc, DUE)
    out.put(([f["timer"] for f in result.fired], len(result.failed)))


def test_two_processes_fire_each_timer_once(api, tmp_path):
    ids = [to_supply_tools(api) for _ in range(INSTANCES)]
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
