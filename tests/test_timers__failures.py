"""A timer that cannot fire: parked as failed only for good reasons, shown to an admin, re-queued, then fired.

A passing fault (another transaction holding the instance) leaves the timers pending for the next sweep;
a broken instance parks them as failed with the error; the admin lists them (API and CLI), repairs the
cause and re-queues them; the next sweep fires them once.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from sqlalchemy import create_engine, select, text

from conftest import PG_ADMIN_URL
from service.flows.timers import fire_due
from service.store.models import Timer
from scenarios import ROOT, to_supply_tools

DUE = datetime.fromisoformat("2026-03-05T18:00:01+08:00")  # the supply_tools duty's reminder and escalation


def _statuses(api, iid) -> dict:
    with api.svc.uow() as uow:
        return {t.kind: t.status for t in uow.session.scalars(select(Timer).where(Timer.instance_id == iid))
                if t.due_at <= DUE}


def test_broken_instance_parks_timers_failed_admin_requeues_and_next_sweep_fires(api):
    broken, healthy = to_supply_tools(api), to_supply_tools(api, "sb", "zonghe")
    with api.svc.uow() as uow:
        inst = uow.instances.get(broken)
        good_state, inst.state = inst.state, "{not json"
        uow.commit()
    api.travel(DUE)
    result = fire_due(api.svc)
    assert {f["instance"] for f in result.fired} == {healthy}  # the sweep went on past the broken one
    assert [f["instance"] for f in result.failed] == [broken]
    assert _statuses(api, broken) == {"remind": "failed", "escalate": "failed"}

    r = api.get("/api/timers/failed", "admin")
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert {(i["instance_id"], i["kind"]) for i in items} == {(broken, "remind"), (broken, "escalate")}
    assert all("JSONDecodeError" in i["error"] or "Expecting" in i["error"] for i in items), items
    assert api.get("/api/timers/failed", "supervisor").status_code == 403
    # a sweep does not retry what it parked: the admin decides
    assert fire_due(api.svc).fired == []

    with api.svc.uow() as uow:
        uow.instances.get(broken).state = good_state
        uow.commit()
    r = api.post("/api/timers/requeue", "admin", json={"ids": ["no-such-timer"]})
    assert r.status_code == 404 and r.get_json()["error"]["errors"][0]["field"] == "ids"
    assert _statuses(api, broken) == {"remind": "failed", "escalate": "failed"}
    r = api.post("/api/timers/requeue", "admin", json={})
    assert r.status_code == 200 and len(r.get_json()["requeued"]) == 2
    fired = fire_due(api.svc)
    assert {(f["instance"], f["kind"]) for f in fired.fired} == {(broken, "remind"), (broken, "escalate")}
    assert _statuses(api, broken) == {"remind": "fired", "escalate": "fired"}
    assert api.get(f"/api/instances/{broken}/verify", "auditor").get_json()["ok"] is True


def test_parking_leaves_rows_another_transaction_fired_or_cancelled(api):
    iid = to_supply_tools(api)
    with api.svc.uow() as uow:
        rows = list(uow.session.scalars(select(Timer).where(Timer.instance_id == iid).order_by(Timer.due_at)))
        uow.update_rows(Timer, [rows[0].id], status="fired")
        uow.update_rows(Timer, [rows[1].id], status="cancelled")
        parked = uow.timers.park_failed([r.id for r in rows], "boom")
        uow.commit()
    assert parked == sorted(r.id for r in rows[2:])
    with api.svc.uow() as uow:
        statuses = [uow.session.get(Timer, r.id).status for r in rows]
    assert statuses[:2] == ["fired", "cancelled"] and set(statuses[2:]) == {"failed"}


def test_instance_held_by_another_transaction_is_left_pending_not_failed(api):
    """On PostgreSQL the sweep skips an instance a web step holds; on SQLite the step holds the whole
    database, so the sweep waits for it: either way nothing is parked and the timers fire once."""
    iid = to_supply_tools(api)
    api.travel(DUE)
    url = api.svc.db_engine.url.render_as_string(hide_password=False)
    if not PG_ADMIN_URL:
        result = fire_due(api.svc)
        assert result.failed == [] and len(result.fired) == 2
        return
    holder = create_engine(url).connect()
    try:
        holder.execute(text("SELECT id FROM instances WHERE id = :id FOR UPDATE"), {"id": iid})
        result = fire_due(api.svc)
        assert result.fired == [] and result.failed == []
        assert _statuses(api, iid) == {"remind": "pending", "escalate": "pending"}
    finally:
        holder.rollback()
        holder.close()
    result = fire_due(api.svc)
    assert len(result.fired) == 2 and result.failed == []


def test_cli_lists_and_requeues_failed_timers(api):
    iid = to_supply_tools(api)
    with api.svc.uow() as uow:
        inst = uow.instances.get(iid)
        good_state, inst.state = inst.state, "{not json"
        uow.commit()
    assert fire_due(api.svc, DUE).failed
    env = {"BRANCHFLOW_DATABASE_URL": api.svc.db_engine.url.render_as_string(hide_password=False),
           "BRANCHFLOW_AUTO_MIGRATE": "0", "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "service.cli", "timers", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    listed = run("failed")
    assert listed.returncode == 0, listed.stderr
    assert {json.loads(line)["instance_id"] for line in listed.stdout.splitlines()} == {iid}
    assert run("requeue").returncode != 0  # neither ids nor --all
    with api.svc.uow() as uow:
        uow.instances.get(iid).state = good_state
        uow.commit()
    requeued = run("requeue", "--all")
    assert requeued.returncode == 0 and "re-queued 2" in requeued.stdout
    assert len(fire_due(api.svc, DUE).fired) == 2
