"""The operator's command line: --version, timers fire --dry-run, audit verify streaming with progress, a
summary and several processes."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from sqlalchemy import select

from service.store.models import Event, Timer
from scenarios import PAIRS, ROOT, open_pairing, through_plan, to_supply_tools

DUE = datetime.fromisoformat("2026-03-05T18:00:01+08:00")


def run(api, *args: str) -> subprocess.CompletedProcess:
    env = {"BRANCHFLOW_DATABASE_URL": api.svc.db_engine.url.render_as_string(hide_password=False),
           "BRANCHFLOW_AUTO_MIGRATE": "0", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_version():
    done = subprocess.run([sys.executable, "-m", "service.cli", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("branchflow ") and done.stdout.split()[1][0].isdigit()


def test_timers_fire_dry_run_lists_what_would_fire_and_changes_nothing(api):
    iid = to_supply_tools(api)
    with api.svc.uow() as uow:
        events_before = len(list(uow.session.scalars(select(Event))))
    dry = run(api, "timers", "fire", "--now", DUE.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    rows = [json.loads(line) for line in dry.stdout.splitlines()]
    assert {(r["instance"], r["kind"], r["would"]) for r in rows} == {(iid, "remind", "fire"), (iid, "escalate", "fire")}
    assert "2 timer(s) would fire" in dry.stderr and "nothing was changed" in dry.stderr
    with api.svc.uow() as uow:
        assert len(list(uow.session.scalars(select(Event)))) == events_before
        assert {t.status for t in uow.session.scalars(select(Timer).where(Timer.instance_id == iid))} == {"pending"}
        assert uow.outbox.listed() == []
    real = run(api, "timers", "fire", "--now", DUE.isoformat())
    assert real.returncode == 0 and "fired 2" in real.stderr


def test_audit_verify_streams_each_report_with_progress_and_a_summary(api):
    for branch, helper in PAIRS[:3]:
        through_plan(api, open_pairing(api, branch=branch, helper=helper))
    with api.svc.uow() as uow:
        ids = uow.instances.all_ids()
    one = run(api, "audit", "verify", "--progress")
    assert one.returncode == 0, one.stderr
    reports = [json.loads(line) for line in one.stdout.splitlines()]
    assert [r["instance"] for r in reports] == ids and all(r["ok"] for r in reports)
    assert f"{len(ids)}/{len(ids)} (0 failed)" in one.stderr  # the progress bar's last state
    assert f"verified {len(ids)} instance(s), 0 failed in" in one.stderr
    parallel = run(api, "audit", "verify", "--jobs", "2", "--no-progress")
    assert parallel.returncode == 0, parallel.stderr
    assert [json.loads(line) for line in parallel.stdout.splitlines()] == reports  # same reports, same order
    assert "2 process(es)" in parallel.stderr and "/" not in parallel.stderr.split("verified")[0]


def test_audit_verify_names_the_failures_in_its_summary(api):
    iid = open_pairing(api)
    through_plan(api, iid)
    with api.svc.db_engine.begin() as conn:  # a tampered state: replay no longer reproduces it
        conn.exec_driver_sql("UPDATE instances SET state = replace(state, 'JD-2026-01', 'JD-2099-99') WHERE id = "
                             f"'{iid}'")
    done = run(api, "audit", "verify", "--jobs", "2")
    assert done.returncode == 1
    assert "1 failed" in done.stderr and iid in done.stderr.split("failed:")[-1]
