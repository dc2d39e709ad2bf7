"""Benchmark: POST /api/tasks/{id}/complete vs the bare SpiffWorkflow cycle on the same state.

Prints, from one run on one machine, p50/p95 of the HTTP completion (Flask app, SQLite file, commit
included) of the weekly spot check in a month child instance, and p50/p95 of the bare engine cycle on the
very same instance state (deserialize -> complete -> engine steps -> serialize). Month 12 against month 1
of a term is ``bench/bench_calendar.py``'s.

The service keeps the workflow a worker stepped last in memory (``engine.cache``), so a completion
following another on the same instance in the same worker skips deserializing; the ratio is printed
for that default ("warm") and again with the cache turned off ("cold"), where every completion
deserializes the stored state like the bare cycle does.
Run: ``python bench/bench_complete.py [repetitions]``.

The HTTP figure is the WSGI app handling the request: Flask routing, JSON parsing, authentication,
form validation, the engine cycle, the event, inbox and timer rows, the SQLite commit and the JSON
response. The request environ is built before the clock starts and the response parsed after it
stops: that is the benchmark client's own work (the Flask test client spends about 0.2 ms on it).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import Api, build_app  # noqa: E402
from scenarios import SUP, at_china, load_branches, open_pairing, through_plan, travel  # noqa: E402

from service.engine.determinism import seed_for  # noqa: E402
from service.flows import instances as flows_instances  # noqa: E402


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def child_of(api, iid):
    return [c for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"] if c["status"] == "running"][-1]["id"]


def wsgi_post(api, path, user, payload):
    """POST through the WSGI app; returns (status, body, seconds spent in the app)."""
    environ = EnvironBuilder(path=path, method="POST", json=payload,
                             headers={"Authorization": f"Bearer {api.login(user)}"}).get_environ()
    seen = []
    t0 = time.perf_counter()
    body = b"".join(api.app(environ, lambda status, headers, exc_info=None: seen.append(status)))
    elapsed = time.perf_counter() - t0
    return seen[0], body, elapsed


def measure_month(api, child, reps):
    """Time HTTP completions of the month's open spot checks, and the bare cycle on the same states."""
    svc = api.svc
    http, bare = [], []
    for _ in range(reps):
        task = api.task("supervisor", "spot_check", child)
        with svc.uow() as uow:
            inst = uow.instances.get(child)
            bundle = flows_instances.bundle_of(svc, uow, inst)
            state, version = inst.state, inst.version
        now = svc.clock.now()
        t0 = time.perf_counter()
        wf = svc.engine.load(bundle, state)
        svc.engine.complete(wf, task["id"], {"indicators": "台账齐全率", "behind_plan": False}, now, seed_for(child, version + 1))
        svc.engine.dump(wf)
        bare.append(time.perf_counter() - t0)
        status, body, elapsed = wsgi_post(api, f"/api/tasks/{task['id']}/complete", "supervisor",
                                          {"data": {"indicators": "台账齐全率", "behind_plan": False}})
        http.append(elapsed)
        assert status.startswith("200"), body
    return http, bare


def samples(api, starts):
    """HTTP and bare timings of the month-1 spot checks of one fresh pairing per start (a branch each):
    the term began on 2 March, and on 30 March its five weekly checks are open."""
    http, bare = [], []
    for variables in starts:
        api.travel(at_china("2026-03-02"))
        iid = open_pairing(api, **dict(variables, term_start="2026-03-02"))
        through_plan(api, iid)
        travel(api, at_china("2026-03-30"))
        h, b = measure_month(api, child_of(api, iid), 5)
        http += h
        bare += b
    return http, bare


def main(reps: int = 8):
    api = Api(build_app(Path(tempfile.mkdtemp())))
    starts = load_branches(api.svc, 2 * reps)  # one running pairing per branch
    ms = lambda v: f"{v * 1000:.2f} ms"  # noqa: E731

    def report(label, http, bare):
        print(f"{label}: {len(http)} HTTP completions, {len(bare)} bare engine cycles (same instance states)")
        print(f"  HTTP complete  p50 {ms(pct(http, .5))}  p95 {ms(pct(http, .95))}")
        print(f"  bare engine    p50 {ms(pct(bare, .5))}  p95 {ms(pct(bare, .95))}")
        print(f"  ratio HTTP/bare at p50: {pct(http, .5) / pct(bare, .5):.2f}x (target <= 2x)")
        paired = statistics.median(h / b for h, b in zip(http, bare))
        print(f"  median of paired ratios (same state, back to back): {paired:.2f}x")

    # the HTTP/bare ratio: the same workload twice (fresh pairings, month 1 spot checks), warm then cold
    cache = api.svc.workflows
    hits, misses = cache.hits, cache.misses
    report("warm (default: the worker kept the workflow it stepped last)", *samples(api, starts[:reps]))
    print(f"  warm-cache hits {cache.hits - hits} of {cache.hits - hits + cache.misses - misses} steps")
    cache.size = 0  # BRANCHFLOW_WORKFLOW_CACHE=0: every step deserializes the stored state
    report("cold (cache off: every completion deserializes the state)", *samples(api, starts[reps:]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
