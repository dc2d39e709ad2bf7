"""Benchmark (the pairing on the calendar): a 12-month term stays flat, and a new month opens for 1,000
branches in one sweep.

Prints, from one run on one machine:
* a 12-month term driven to acceptance through the HTTP API with every duty done on time, the clock
  travelling: the median HTTP completion (CPU time of the process) of the month's visits, report and
  weekly spot checks in month 1 and in month 12, and their ratio (target <= 1.2x); also the pairing's stored state after month 1 and after month 12 (the months and
  weeks are children of their own, so the parent holds only the term's schedule);
* 1,000 branches' pairings waiting for their month 2: the one ``fire_due`` sweep that opens all their months
  (each fired timer starts a month child with its visits, report and first spot check), its time per
  pairing, and that time as a multiple of the median single completion measured above.
Run: ``python bench/bench_calendar.py [branches]``.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import Api, build_app  # noqa: E402
from scenarios import (SUP, START, acceptance, at_china, month_child, open_pairing, quarter_end,  # noqa: E402
                       through_plan, travel)

from service.domain.periods import month_range, weeks_of_month  # noqa: E402
from service.domain.roles import Grant  # noqa: E402
from service.flows import auth, instances  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.timers import fire_due  # noqa: E402
from service.store.models import Branch, Instance  # noqa: E402

CST = timezone(timedelta(hours=8))
SPOT = {"indicators": "台账齐全率", "behind_plan": False}


def timed_post(api: Api, path: str, user: str, body: dict) -> float:
    """CPU time of this process for one HTTP completion (the app, the engine, SQLite): the other loads of a
    shared 2-core machine do not count against it the way they would against wall time."""
    token = api.login(user)
    t0 = time.process_time()
    r = api.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    elapsed = time.process_time() - t0
    assert r.status_code == 200, r.get_json()
    return elapsed


def work_month(api: Api, iid: str, month: int, timings: list[float] | None) -> None:
    """Month ``month`` done on time (by the pairing's own helper and secretary); with ``timings``, the HTTP
    completions are timed."""
    data = api.get(f"/api/instances/{iid}", SUP).get_json()["data"]
    helper, secretary = data["helper"], f"sec_{data['branch']}"
    term_start = START_DATE
    span = month_range(term_start, month)
    travel(api, at_china(span["first"]))
    child = month_child(api, iid, month)["id"]
    for user, element, body in ((helper, "guidance_visits", {"visits": [{"date": span["first"], "content": "指导台账"},
                                                                       {"date": span["last"], "content": "指导党课"}]}),
                                (secretary, "monthly_progress", {"progress": "按方案推进", "completion_rate": 60})):
        task = api.task(user, element, child)
        elapsed = timed_post(api, f"/api/tasks/{task['id']}/complete", user, {"data": body})
        if timings is not None:
            timings.append(elapsed)
    for week in weeks_of_month(term_start, month):
        travel(api, max(api.svc.clock.now(), at_china(week["first"])))
        task = api.task(helper, "spot_check", child)
        elapsed = timed_post(api, f"/api/tasks/{task['id']}/complete", helper, {"data": SPOT})
        if timings is not None:
            timings.append(elapsed)


START_DATE = "2026-04-01"


def term(api: Api) -> tuple[list[float], list[float], int, int]:
    # warm-up: another branch's first month, so month 1 below pays no first-use costs (specs parsed, form
    # validators built) that month 12 would not
    warm = open_pairing(api, branch="sb", helper="zonghe", term_start=START_DATE, months=12)
    through_plan(api, warm)
    work_month(api, warm, 1, None)
    iid = open_pairing(api, term_start=START_DATE, months=12)
    through_plan(api, iid)
    first, last, sizes = [], [], {}
    for month in range(1, 13):
        work_month(api, iid, month, first if month == 1 else last if month == 12 else None)
        with api.svc.uow() as uow:
            sizes[month] = len(uow.session.get(Instance, iid).state)
        if month % 3 == 0:
            quarter_end(api, iid, 88)
    acceptance(api, iid, met=True)
    assert api.get(f"/api/instances/{iid}", SUP).get_json()["outcome"] == "qualified"
    return first, last, sizes[1], sizes[12]


def many_pairings(branches: int) -> tuple[float, int]:
    """``branches`` pairings through their plan, then one sweep at the morning month 2 opens."""
    from service.flows import tasks

    api = Api(build_app(Path(tempfile.mkdtemp())))
    svc = api.svc
    with svc.uow() as uow:
        for i in range(branches):
            uow.add(Branch(code=f"b{i:04d}", name=f"第{i + 1}党支部"))
        uow.flush()
        auth.add_user(svc, uow, "helper_all", "bench-password-1", "帮扶人", [Grant("helper")])
        auth.add_user(svc, uow, "branch_all", "bench-password-1", "支部", [Grant("secretary"), Grant("branch_committee")])
        uow.commit()
    with svc.uow() as uow:
        actors = {name: Actor(name, uow.identity.grants_of(uow.identity.user(name)))
                  for name in ("supervisor", "helper_all", "branch_all")}
    who = {"helper": "helper_all", "supervisor": "supervisor", "secretary": "branch_all", "branch_committee": "branch_all"}
    answers = {"sign_helper": {"signed": True}, "sign_secretary": {"signed": True}, "file_letter": {"archive_no": "A"},
               "diagnosis": {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账", "description": "缺失"}],
                             "summary": "薄弱"},
               "supply_tools": {"tools": [{"name": "模板"}]},
               "improvement_plan": {"actions": [{"action": "补齐", "owner": "书记", "deadline": "2026-05-30"}]},
               "confirm_plan": {"plan_confirmed": True}}
    for i in range(branches):
        with svc.uow() as uow:
            iid = instances.start(svc, uow, actors["supervisor"], "pairing",
                                  dict(START, branch=f"b{i:04d}", helper="helper_all", term_start=START_DATE, months=12)).id
            uow.commit()
        while True:
            with svc.uow() as uow:
                rows = [r for r in uow.inbox.open_of(iid) if r.kind == "user"]
                if not rows:
                    break
                row = rows[0]
                tasks.complete(svc, uow, actors[who[row.role]], row.id, answers[row.element])
                uow.commit()
    svc.clock.set(at_china("2026-04-01"))
    while fire_due(svc).fired:  # month 1 and quarter 2026Q2 open
        pass
    svc.clock.set(at_china("2026-04-30", "23:59"))
    while fire_due(svc).fired:  # month 1's duties (nobody did them here) are reminded and escalated first
        pass
    svc.clock.set(at_china("2026-05-01", "00:01"))  # the first minute of month 2: the sweep only opens it
    t0 = time.perf_counter()
    fired = fire_due(svc).fired
    elapsed = time.perf_counter() - t0
    with svc.uow() as uow:
        months = uow.session.query(Instance).filter(Instance.process_id == "pairing_monthly").count()
    assert months == 2 * branches, months
    return elapsed, len([f for f in fired if f.get("element") == "wait_next"])


def main(branches: int = 1000) -> None:
    api = Api(build_app(Path(tempfile.mkdtemp())))
    first, last, size1, size12 = term(api)
    m1, m12 = statistics.median(first), statistics.median(last)
    ms = lambda v: f"{v * 1000:.2f} ms"  # noqa: E731
    print(f"12-month term, every duty on time: completion (visits, report, spot checks; CPU time) median month 1 "
          f"{ms(m1)} ({len(first)} samples), month 12 {ms(m12)} ({len(last)} samples); ratio {m12 / m1:.2f}x "
          f"(target <= 1.2x)")
    print(f"pairing state after month 1: {size1} bytes; after month 12: {size12} bytes "
          f"(months and weeks live in their own children)")
    elapsed, opened = many_pairings(branches)
    single = statistics.median(first + last)
    print(f"one sweep opening month 2 for {opened} pairings: {elapsed:.2f} s, {ms(elapsed / opened)} per pairing; "
          f"{elapsed / opened / single:.2f}x a single completion ({ms(single)})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
