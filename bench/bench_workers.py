"""Benchmark (issue 6): task completions through a real gunicorn, 4 workers vs 1, on PostgreSQL, in one run.

Each configuration gets its own fresh database and the same workload: 16 client threads, each completing
the two signature tasks of its own pairings over HTTP (token auth, form validation, engine step, commit).
Prints completions/s and p50/p95 latency for 1 and 4 workers and the throughput ratio.
Run: ``BRANCHFLOW_TEST_PG=$(.ci/pg) python bench/bench_workers.py [instances]`` (default 400).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import DEMO_PASSWORD, drop_test_databases, make_config  # noqa: E402
from test_deploy__gunicorn import Server  # noqa: E402
from test_pairing__lifecycle import START  # noqa: E402

from service.app import build_services  # noqa: E402
from service.flows import instances as flows_instances  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402

CLIENTS = 16


def prepare(n: int):
    """A fresh database with ``n`` pairings waiting for both signatures; returns (url, [(task, user)] per client)."""
    cfg = make_config(Path(tempfile.mkdtemp()))
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    work = [[] for _ in range(CLIENTS)]
    for i in range(n):
        with svc.uow() as uow:
            inst = flows_instances.start(svc, uow, Actor.system(), "pairing", dict(START))
            uow.commit()
            rows = {r.element: r.id for r in uow.inbox.open_of(inst.id)}
        work[i % CLIENTS] += [(rows["sign_helper"], "supervisor"), (rows["sign_secretary"], "sec_jg2")]
    svc.db_engine.dispose()
    return cfg.database_url, work


def run(workers: int, n: int) -> dict:
    url, work = prepare(n)
    srv = Server(url, workers=workers)
    try:
        for user in ("supervisor", "sec_jg2"):
            srv.token(user)
        latencies, errors = [], []
        barrier = threading.Barrier(CLIENTS + 1)

        def client(jobs):
            barrier.wait()
            for task, user in jobs:
                t0 = time.perf_counter()
                status, body = srv.call("POST", f"/api/tasks/{task}/complete", {"data": {"signed": True}}, user)
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append((status, body))

        threads = [threading.Thread(target=client, args=(jobs,)) for jobs in work]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        srv.stop()
    assert not errors, errors[:3]
    latencies.sort()
    return {"workers": workers, "completions": len(latencies), "seconds": elapsed,
            "per_second": len(latencies) / elapsed, "p50": latencies[len(latencies) // 2],
            "p95": latencies[int(0.95 * len(latencies))]}


def main(n: int = 400) -> None:
    if not os.environ.get("BRANCHFLOW_TEST_PG"):
        raise SystemExit("set BRANCHFLOW_TEST_PG=$(.ci/pg): this benchmark runs on PostgreSQL")
    try:
        results = [run(1, n), run(4, n)]
    finally:
        drop_test_databases()
    for r in results:
        print(f"{r['workers']} worker(s): {r['completions']} completions in {r['seconds']:.1f} s = "
              f"{r['per_second']:.1f}/s; latency p50 {r['p50'] * 1000:.1f} ms, p95 {r['p95'] * 1000:.1f} ms "
              f"({CLIENTS} concurrent clients)")
    print(f"throughput 4 workers / 1 worker: {results[1]['per_second'] / results[0]['per_second']:.2f}x "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
