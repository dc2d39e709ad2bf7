"""Benchmark (issue 3): a timer sweep costs what is due, not what is pending; the inbox stays fast when full.

Prints, from one run on one machine:
* one ``fire_due`` sweep firing 1,000 due timers (500 resource requests, each with its reminder and its
  overdue escalation due) in a database with 1,500 pending timers, and the very same sweep in a copy of
  that database holding 100,000 pending timers — the ratio must stay <= 1.5;
* p50/p95 of ``GET /api/tasks`` (through the Flask app, SQLite file) for users with large and small
  inboxes while the database holds 100,000 open tasks — target p95 < 20 ms.
Run: ``python bench/bench_timers.py``.
"""
from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import DEMO_PASSWORD, Api, clone_database, make_config  # noqa: E402

from sqlalchemy import func, insert, select  # noqa: E402

from service.app import build_services, create_app  # noqa: E402
from service.flows.demo import DEMO_BRANCHES as BRANCHES  # noqa: E402
from service.flows import instances  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402
from service.flows.timers import fire_due  # noqa: E402
from service.store.models import NO_DUE_DATE, InboxTask, Instance, Spec, Timer  # noqa: E402

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
DUE = datetime.fromisoformat("2026-03-09T18:00:01+08:00")  # reminder and 5wd deadline due, 2nd level not yet
REQUESTS = 500


def base_db(folder: Path) -> None:
    """Demo organisation plus 500 resource requests, started through the real engine."""
    svc = build_services(make_config(folder, T0))
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    secretary = Actor("sec_sb", svc_grants(svc, "sec_sb"))
    for i in range(REQUESTS):
        with svc.uow() as uow:
            instances.start(svc, uow, secretary, "resource_request",
                            {"branch": "sb", "category": "场地", "need": f"需求{i:04d}", "reason": "开展活动"})
            uow.commit()
    svc.db_engine.dispose()


def svc_grants(svc, username):
    with svc.uow() as uow:
        return uow.identity.grants_of(uow.identity.user(username))


def filler_instance(conn, now, spec_sha) -> str:
    iid = str(uuid.uuid4())
    conn.execute(insert(Instance), [{"id": iid, "process_id": "filler", "spec_sha": spec_sha, "state": "{}", "version": 1,
                                     "status": "running", "branch": None, "title": "filler", "summary": {},
                                     "head": "0" * 64, "started_by": "bench", "created_at": now, "updated_at": now}])
    return iid


def settle(svc) -> None:
    """After a bulk load, what PostgreSQL's autovacuum would soon do: statistics and the visibility map
    (index-only scans and counts depend on both). SQLite needs nothing."""
    if svc.db_engine.dialect.name == "postgresql":
        with svc.db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def add_pending_timers(svc, count: int) -> None:
    """Pending timers due over the next year (none due at the sweep), in bulk."""
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with svc.db_engine.begin() as conn:
        spec = conn.scalar(select(Spec.sha256).limit(1))
        owners = [filler_instance(conn, now, spec) for _ in range(100)]
        rows = [{"id": str(uuid.uuid4()), "instance_id": owners[i % 100], "element": "filler", "name": "filler",
                 "kind": "escalate", "level": 1, "rule": "5wd", "provisional": False, "status": "pending",
                 "due_at": DUE + timedelta(days=1 + rng.random() * 365)} for i in range(count)]
        for i in range(0, count, 10_000):
            conn.execute(insert(Timer), rows[i:i + 10_000])
    settle(svc)


def count_pending(svc) -> tuple[int, int]:
    with svc.uow() as uow:
        s = uow.session
        total = s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending"))
        due = s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending", Timer.due_at <= DUE))
    return total, due


def sweep(folder: Path, extra: int) -> tuple[float, int, int, int]:
    svc = build_services(make_config(folder, DUE))
    if extra:
        add_pending_timers(svc, extra)
    total, due = count_pending(svc)
    t0 = time.perf_counter()
    result = fire_due(svc, DUE)
    elapsed = time.perf_counter() - t0
    assert not result.failed and len(result.fired) == due
    svc.db_engine.dispose()
    return elapsed, total, due, len(result.fired)


def bench_sweep(root: Path) -> None:
    base = root / "base"
    base.mkdir()
    base_db(base)
    small, big = root / "small", root / "big"
    clone_database(base, small)
    clone_database(base, big)
    _, pending_small, _, _ = sweep_dry(small)
    t_small, p_small, d_small, f_small = sweep(small, 0)
    t_big, p_big, d_big, f_big = sweep(big, 100_000 - pending_small)
    print(f"sweep A: {p_small:,} pending / {d_small:,} due -> fired {f_small:,} in {t_small:.2f} s")
    print(f"sweep B: {p_big:,} pending / {d_big:,} due -> fired {f_big:,} in {t_big:.2f} s")
    print(f"ratio B/A: {t_big / t_small:.2f}x (target <= 1.5x)")


def sweep_dry(folder: Path):
    svc = build_services(make_config(folder, DUE))
    total, due = count_pending(svc)
    svc.db_engine.dispose()
    return None, total, due, None


def inbox_database(folder: Path, open_tasks: int = 100_000):
    """The demo organisation, one real resource request, and ``open_tasks`` open inbox rows spread over every
    role and branch (80 % with a due date) on 1,000 filler instances: (config, services)."""
    cfg = make_config(folder, T0)
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    rng = random.Random(11)
    now = datetime.now(timezone.utc)
    scopes = [(r, b) for r in ("helper", "secretary", "branch_committee", "member") for b in BRANCHES] + \
             [("supervisor", None), ("committee", None)]
    with svc.uow() as uow:  # one real instance, so the filler rows can pin a real spec
        instances.start(svc, uow, Actor("sec_sb", svc_grants(svc, "sec_sb")), "resource_request",
                        {"branch": "sb", "category": "场地", "need": "活动室", "reason": "开展活动"})
        uow.commit()
    with svc.db_engine.begin() as conn:
        spec = conn.scalar(select(Spec.sha256).limit(1))
        owners = [filler_instance(conn, now, spec) for _ in range(1000)]
        rows = []
        for i in range(open_tasks):
            role, branch = rng.choice(scopes)
            due = DUE + timedelta(hours=rng.randint(-500, 2000)) if rng.random() < 0.8 else None
            rows.append({"id": str(uuid.uuid4()), "instance_id": owners[i % 1000], "process_id": "pairing",
                         "kind": "user", "element": "task", "name": f"任务{i}", "role": role, "branch": branch,
                         "form": None, "status": "open", "due_at": due, "due_sort": due or NO_DUE_DATE, "provisional": False, "escalation_level": 0,
                         "created_at": now})
        for i in range(0, open_tasks, 10_000):
            conn.execute(insert(InboxTask), rows[i:i + 10_000])
    settle(svc)
    return cfg, svc


def bench_inbox(root: Path, open_tasks: int = 100_000, reps: int = 200) -> None:
    folder = root / "inbox"
    folder.mkdir()
    cfg, svc = inbox_database(folder, open_tasks)
    api = Api(create_app(cfg, svc))
    with svc.uow() as uow:
        total_open = uow.session.scalar(select(func.count()).select_from(InboxTask).where(InboxTask.status == "open"))
    print(f"inbox: {total_open:,} open tasks in the database")
    for user in ("supervisor", "sec_jg2", "committee"):
        times, visible = [], 0
        for i in range(reps):
            t0 = time.perf_counter()
            r = api.get("/api/tasks", user, query_string={"page": 1 + i % 3})
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200
            visible = r.get_json()["total"]
        times.sort()
        p50, p95 = statistics.median(times), times[int(0.95 * len(times)) - 1]
        print(f"GET /api/tasks as {user:<10} ({visible:>6,} visible): p50 {p50 * 1000:.2f} ms  p95 {p95 * 1000:.2f} ms"
              f"  (target p95 < 20 ms)")
    overdue = []
    for _ in range(reps // 2):
        t0 = time.perf_counter()
        api.get("/api/tasks", "supervisor", query_string={"overdue": "true"})
        overdue.append(time.perf_counter() - t0)
    overdue.sort()
    print(f"GET /api/tasks?overdue=true as supervisor: p95 {overdue[int(0.95 * len(overdue)) - 1] * 1000:.2f} ms")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bf-bench-"))
    try:
        bench_sweep(root)
        bench_inbox(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
