"""Benchmark (issue 5): replay of a 200-event instance versus bare SpiffWorkflow running the same 200 steps,
and the time to verify 1,000 instances.

The 200-event instance runs a loop diagram drawn here with the project's layout tool: one user task
with the production duty timers (reminder, overdue escalation, second escalation on the working-day
calendar) completed 199 times after the start. "Bare" is SpiffWorkflow alone, in memory: the same
workflow, the same task data, the same 199 completions with engine steps, no serialization.
Run: ``python bench/bench_replay.py``.
"""
from __future__ import annotations

import json
import statistics
from datetime import datetime, timezone
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from conftest import DEMO_PASSWORD, make_config  # noqa: E402
from tools.bpmn_layout import El, Flow, render  # noqa: E402
from tools.draw_diagrams import duty_timers, lanes  # noqa: E402

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from service.app import build_services  # noqa: E402
from service.engine import determinism  # noqa: E402
from service.flows import audit, instances, tasks  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402

STEPS = 199  # + the start event = 200 events


def loop_bundle(folder: Path) -> None:
    e = [El("start", "startEvent", "开始", "helper", 0),
         El("record", "userTask", "记录抽查结果", "helper", 1),
         El("count", "scriptTask", "计数", "helper", 2, script="i = i + 1"),
         El("gw", "exclusiveGateway", "还有？", "helper", 3, default="f_done"),
         El("end", "endEvent", "结束", "helper", 4)]
    f = [Flow("f_start", "start", "record"), Flow("f_rec", "record", "count"), Flow("f_count", "count", "gw"),
         Flow("f_more", "gw", "record", "是", "i < n"), Flow("f_done", "gw", "end", "否")]
    b = duty_timers("record", "3wd", "记录")
    (folder / "bpmn").mkdir()
    (folder / "bpmn" / "bench_loop.bpmn").write_text(render("bench_loop", "基准循环", lanes("helper"), e, f, b,
                                                            docs={"record": "记录一次抽查的结果。"}))
    forms = folder / "forms" / "bench_loop"
    forms.mkdir(parents=True)
    (forms / "start.json").write_text(json.dumps({
        "title": "基准", "type": "object", "properties": {"branch": {"type": "string"}, "n": {"type": "integer"}},
        "x-start-roles": ["supervisor"], "x-defaults": {"i": 0}}))
    (forms / "record.json").write_text(json.dumps({
        "title": "记录", "type": "object", "properties": {"indicator": {"type": "string"}, "value": {"type": "number"}}}))


def build(folder: Path, count: int, steps: int):
    loop_bundle(folder)
    cfg = make_config(folder)
    cfg.settings.bpmn_dir, cfg.settings.forms_dir = folder / "bpmn", folder / "forms"
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    with svc.uow() as uow:
        sup = Actor("supervisor", uow.identity.grants_of(uow.identity.user("supervisor")))  # also the helper of jg2
    ids = []
    for _ in range(count):
        with svc.uow() as uow:
            inst = instances.start(svc, uow, sup, "bench_loop", {"branch": "jg2", "n": steps + 1})
            uow.commit()
            ids.append(inst.id)
        for k in range(steps):
            with svc.uow() as uow:
                row = [r for r in uow.inbox.open_of(ids[-1]) if r.kind == "user"][0]
            with svc.uow() as uow:
                tasks.complete(svc, uow, sup, row.id, {"indicator": "台账齐全率", "value": k})
    return svc, ids


def bare(bundle, steps: int) -> float:
    """SpiffWorkflow alone: the same diagram, data and completions, in memory."""
    t0 = time.perf_counter()
    with determinism.step(datetime.now(timezone.utc), 1):
        wf = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=SVC.engine.script_engine)
        wf.get_tasks(state=TaskState.READY)[0].data.update({"branch": "jg2", "n": steps + 1, "i": 0})
        wf.do_engine_steps()
        for k in range(steps):
            task = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual][0]
            task.data.update({"indicator": "台账齐全率", "value": k})
            task.run()
            wf.refresh_timers()
            wf.do_engine_steps()
    return time.perf_counter() - t0


def main() -> None:
    global SVC
    root = Path(tempfile.mkdtemp(prefix="bf-replay-"))
    (root / "one").mkdir()
    SVC, (iid,) = build(root / "one", 1, STEPS)
    with SVC.uow() as uow:
        rec = audit.record_of(uow, uow.instances.get(iid))
    bundle = audit.bundle_of_record(SVC, rec)
    assert len(rec.events) == STEPS + 1
    replays, bares = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        _, state = audit.Replayer(SVC, rec.schedules).run(bundle, iid, rec.events)
        replays.append(time.perf_counter() - t0)
        assert state == rec.instance["state"]
        bares.append(bare(bundle, STEPS))
    r, b = statistics.median(replays), statistics.median(bares)
    print(f"replay of {len(rec.events)} events: median {r * 1000:.0f} ms; bare SpiffWorkflow, same 200 steps: "
          f"{b * 1000:.0f} ms; ratio {r / b:.2f}x (target <= 1.5x)")
    t0 = time.perf_counter()
    report = list(audit.verify_all(SVC))
    print(f"verify (chain + replay + compare) of that instance: {(time.perf_counter() - t0) * 1000:.0f} ms, ok={report[0].ok}")
    (root / "many").mkdir()
    svc, ids = build(root / "many", 1000, 3)
    t0 = time.perf_counter()
    reports = list(audit.verify_all(svc))
    elapsed = time.perf_counter() - t0
    events = sum(x.events for x in reports)
    print(f"verify of {len(reports):,} instances ({events:,} events): {elapsed:.1f} s total, "
          f"{elapsed / len(reports) * 1000:.1f} ms each, all ok={all(x.ok for x in reports)}")


if __name__ == "__main__":
    main()
