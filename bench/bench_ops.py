"""Benchmark (issue 19): timers fire on time, and logging + metrics cost little on a completion.

Prints, from one run on one machine:
* the firing delay after due — p50/p95 over 100 timers — of the ticker the service runs (`branchflow
  serve`/`scheduler`): 100 instances of a one-task diagram with the production duty timers on the 24-hour
  rule, started 0.2 s apart, so their reminders fall due 0.2 s apart over 20 s of real time (the service
  clock runs, offset to just before the first). The delay is the ticker's own figure: service time when
  the firing transaction has committed minus the timer's due instant. Target p95 <= 1 s (before: a sweep
  every 30 s, 0–30 s; `--polling` measures that too, 30 s more);
* the cost of request ids, the JSON access line and the Prometheus observation on an HTTP completion
  (WSGI app, SQLite file, commit included): p50 with observability on vs off, interleaved in one run on the
  same database, JSON log lines written to a file. Target <= 5 % of p50.
Run: ``python bench/bench_ops.py [--polling]``.
"""
from __future__ import annotations

import json
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from conftest import DEMO_PASSWORD, Api, make_config  # noqa: E402
from tools.bpmn_layout import El, Flow, render  # noqa: E402
from tools.draw_diagrams import duty_timers, lanes  # noqa: E402

from werkzeug.test import EnvironBuilder  # noqa: E402

from service.app import build_services, create_app  # noqa: E402
from service.config import configure_logging  # noqa: E402
from service.domain.clock import Clock  # noqa: E402
from service.flows import instances  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402
from service.scheduler import Ticker  # noqa: E402
from service.scheduler.metrics import Metrics  # noqa: E402
from service.store.models import Timer  # noqa: E402

T0 = datetime.fromisoformat("2026-03-02T09:00:00+08:00")
TIMERS, SPACING = 100, 0.2


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def bundle(folder: Path) -> None:
    """``bench_wait``: one user task carrying the production duty timers on the 24-hour rule, looping."""
    e = [El("start", "startEvent", "开始", "helper", 0), El("record", "userTask", "记录抽查结果", "helper", 1),
         El("gw", "exclusiveGateway", "还有？", "helper", 2, default="f_done"), El("end", "endEvent", "结束", "helper", 3)]
    f = [Flow("f_start", "start", "record"), Flow("f_rec", "record", "gw"), Flow("f_more", "gw", "record", "是", "more"),
         Flow("f_done", "gw", "end", "否")]
    (folder / "bpmn").mkdir()
    (folder / "bpmn" / "bench_wait.bpmn").write_text(render("bench_wait", "基准等待", lanes("helper"), e, f,
                                                            duty_timers("record", "24h", "记录"),
                                                            docs={"record": "记录一次抽查的结果。"}))
    forms = folder / "forms" / "bench_wait"
    forms.mkdir(parents=True)
    (forms / "start.json").write_text(json.dumps({"title": "基准", "type": "object", "properties": {
        "branch": {"type": "string"}}, "x-start-roles": ["supervisor"], "x-defaults": {"more": True}}))
    (forms / "record.json").write_text(json.dumps({"title": "记录", "type": "object", "properties": {
        "value": {"type": "number"}, "more": {"type": "boolean"}}}))


def services(folder: Path):
    bundle(folder)
    cfg = make_config(folder)
    cfg.settings.bpmn_dir, cfg.settings.forms_dir = folder / "bpmn", folder / "forms"
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    with svc.uow() as uow:
        sup = Actor("supervisor", uow.identity.grants_of(uow.identity.user("supervisor")))  # helper of jg2
    return cfg, svc, sup


class Recorder:
    """Stands in for the delay histogram: keeps every observation."""

    def __init__(self):
        self.values: list[float] = []

    def observe(self, value: float) -> None:
        self.values.append(value)


class Running(Clock):
    """The service clock running in real time, offset to a chosen instant."""

    def __init__(self, at: datetime):
        super().__init__()
        self.offset = at - datetime.now(timezone.utc)

    def now(self):
        return datetime.now(timezone.utc) + self.offset


def firing_delays(polling: bool = False) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="bf-bench-ops-"))
    cfg, svc, sup = services(folder)
    for i in range(TIMERS):  # instances started 0.2 s apart: their reminders fall due 0.2 s apart
        svc.clock.set(T0 + timedelta(seconds=i * SPACING))
        with svc.uow() as uow:
            instances.start(svc, uow, sup, "bench_wait", {"branch": "jg2"})
            uow.commit()
    with svc.uow() as uow:
        reminders = sorted(t.due_at for t in uow.session.query(Timer).filter_by(kind="remind"))
    assert len(reminders) == TIMERS
    metrics = Metrics()
    metrics.fire_delay = Recorder()
    svc.clock = Running(reminders[0] - timedelta(seconds=1))
    ticker = Ticker(svc, idle=30, metrics=metrics)
    if polling:  # the old ticker: a sweep every 30 s whatever is due, nothing wakes it
        ticker._plan = lambda: 30.0
        svc.wakeups = None
    ticker.start()
    end = time.monotonic() + TIMERS * SPACING + (40 if polling else 15)
    while len(metrics.fire_delay.values) < TIMERS and time.monotonic() < end:
        time.sleep(0.1)
    ticker.stop()
    assert len(metrics.fire_delay.values) == TIMERS, len(metrics.fire_delay.values)
    return metrics.fire_delay.values


def completion_cost(pairs: int = 400) -> tuple[list[float], list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="bf-bench-obs-"))
    cfg, svc, sup = services(folder)
    log_file = open(folder / "app.log", "w")
    handler = configure_logging("INFO", "json", log_file)
    apps = {}
    for on in (True, False):
        cfg.observability = on
        apps[on] = Api(create_app(cfg, svc))
    token = apps[True].login("supervisor")
    with svc.uow() as uow:
        ids = []
        for _ in range(20):
            ids.append(instances.start(svc, uow, sup, "bench_wait", {"branch": "jg2"}).id)
        uow.commit()
    times = {True: [], False: []}

    def complete(on: bool, iid: str) -> float:
        with svc.uow() as uow:
            task = [r for r in uow.inbox.open_of(iid) if r.kind == "user"][0]
        environ = EnvironBuilder(path=f"/api/tasks/{task.id}/complete", method="POST",
                                 json={"data": {"value": 1, "more": True}},
                                 headers={"Authorization": f"Bearer {token}"}).get_environ()
        seen = []
        t0 = time.perf_counter()
        b"".join(apps[on].app(environ, lambda status, headers, exc_info=None: seen.append(status)))
        elapsed = time.perf_counter() - t0
        assert seen[0].startswith("200"), seen
        return elapsed

    for k in range(40):  # warm both apps
        complete(k % 2 == 0, ids[k % len(ids)])
    order = random.Random(19)
    for k in range(pairs):  # pairs in random order, each on the next instances of the same set
        first = order.random() < 0.5
        for on in (first, not first):
            times[on].append(complete(on, ids[(2 * k + on) % len(ids)]))
    logging.getLogger().removeHandler(handler)
    log_file.close()
    lines = sum(1 for _ in open(folder / "app.log"))
    assert lines >= pairs, lines
    return times[True], times[False]


def main() -> None:
    polling = "--polling" in sys.argv
    delays = firing_delays()
    p50, p95 = statistics.median(delays), pct(delays, 0.95)
    print(f"firing delay after due over {len(delays)} timers (due {SPACING:g} s apart): p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms (target p95 <= 1000 ms)")
    if polling:
        old = firing_delays(polling=True)
        print(f"  the old 30-second poll, same timers: p50 {statistics.median(old):.1f} s, p95 {pct(old, 0.95):.1f} s")
    on, off = completion_cost()
    p_on, p_off = statistics.median(on), statistics.median(off)
    paired = statistics.median(a - b for a, b in zip(on, off))
    print(f"HTTP completion with request ids + JSON access log + metrics: p50 {p_on * 1000:.2f} ms "
          f"(p95 {pct(on, 0.95) * 1000:.2f}), without: p50 {p_off * 1000:.2f} ms (p95 {pct(off, 0.95) * 1000:.2f}); "
          f"cost {(p_on - p_off) / p_off * 100:+.1f} % of p50 (median of paired differences "
          f"{paired * 1e6:+.0f} us = {paired / p_off * 100:+.1f} %; target <= 5 %), {len(on)} + {len(off)} completions")


if __name__ == "__main__":
    main()
