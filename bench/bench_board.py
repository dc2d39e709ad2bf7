"""Benchmark: the supervisor's overview (督导看板) for 50 branches with a year of history costs a few JSON
inboxes, not a report run.

Prints, from one run on one machine (Flask app, SQLite file): p50/p95 server time of ``GET /api/board``
(JSON), of ``GET /board`` (the page: the same figures, 100 inline SVG charts, the heat map) and of
``GET /api/tasks`` (the JSON inbox, 50 rows), all as the supervisor, requests interleaved so noise hits
each alike, and the ratios board/inbox at p50 and p95 (target p95 ≤ 3×).

The database: the demo organisation plus 45 more branches (each with a secretary and a helper), and for
each of the 50 a year-long pairing on the calendar (term 2025-04-01 … 2026-03-31) written in bulk as the flows
leave it — the parent's summary (term_start, term_last, months, month), a ``pairing_monthly`` child per
term month (visits submitted, as the audit log's complete events hold them) and a ``pairing_quarterly`` child
per calendar quarter (``assessment_result`` once assessed), every duty's inbox row (visits, a monthly report,
4 weekly spot checks, a 24 h remedial when behind, the quarter's quiz, report and assessment — 2026Q1's and
the term's acceptance just opened: the clock is 2 April 2026 — and the 3-working-day tools), about 12 % of
them late, and of the late ones due in the last month about half still undone (the "now" list: 33 tasks),
quarterly plaque ratings and rectification tickets opened and closed over the year. Every instance row
carries a workflow state of its process's size as the seeded company has it (``STATE_BYTES``, 7–40 KB).
"Server time" is the WSGI app handling the request (routing, auth, queries, rendering, the body), as in
``bench_web_inbox``.
Run: ``python bench/bench_board.py [repetitions] [--no-freeze]`` (default 300 per endpoint). The process stands
for a gunicorn worker as deployed: before the requests, the objects alive after start-up are frozen out of the
garbage collector (``gc.freeze``), as ``deploy/gunicorn.conf.py``'s master does before forking its workers;
``--no-freeze`` measures without that.

The bulk load writes its rows around the store, so it rebuilds the board's rollup from them afterwards
(``board_rollup.rebuild``, what migrations 0013 and 0016 do to an existing database): same rows, same figures.

Three runs on this machine (2 shared cores, 300 requests each):
    GET /api/board     p50   28.23 ms  p95   34.55 ms  (168 KB)  vs inbox: p50 2.38×  p95 2.36×
    GET /board (page)  p50   32.76 ms  p95   40.11 ms  (370 KB)  vs inbox: p50 2.76×  p95 2.74×
    GET /api/tasks     p50   11.87 ms  p95   14.65 ms  (28 KB)

    GET /api/board     p50   21.20 ms  p95   32.62 ms  (168 KB)  vs inbox: p50 2.17×  p95 2.21×
    GET /board (page)  p50   25.32 ms  p95   38.31 ms  (370 KB)  vs inbox: p50 2.59×  p95 2.59×
    GET /api/tasks     p50    9.78 ms  p95   14.77 ms  (28 KB)

    GET /api/board     p50   22.88 ms  p95   33.80 ms  (168 KB)  vs inbox: p50 2.26×  p95 2.36×
    GET /board (page)  p50   28.15 ms  p95   38.81 ms  (370 KB)  vs inbox: p50 2.78×  p95 2.71×
    GET /api/tasks     p50   10.12 ms  p95   14.30 ms  (28 KB)
``--no-freeze``, one run: JSON p95 2.54×, page p95 2.75×. The target (p95 ≤ 3×) is met by both in each run.

Where the time goes, per request on a quiet machine: the overview's figures ~13.5 ms (the four summary
reads ~3.7 ms, the duty counts ~2.9 ms, pairings, helpers' visits, ratings and tickets ~1.3–1.7 ms each),
the JSON body ~2.5 ms; for the page, its tables, heat map and 100 charts written in Python
(``web/board_html.py``, ~4–5 ms) and the template around them (~2 ms). What moved it:
- on SQLite an instance row's workflow state comes last (migration 0014): reading a row's status, times or
  summary walked the state's overflow pages before (tens of KB a row: with states of real size the JSON
  board was 3.9× the inbox); the file is read through a memory map (``store/db.py``);
- the duty counts come from ``board_duty_months`` (migration 0013, kept in the transaction of every inbox
  write) and the heat map from each branch's month beside it (``board_branch_months``, migration 0016),
  not a year of inbox rows; overdue, which moves with the clock, is counted over the open rows
  (``ix_inbox_overdue``); the ticket counts read only ``ix_instances_listing`` (migration 0015);
- the statements are built once with bind parameters and fetched at once; the overdue total and the
  secretaries' overdue counts come from the overdue list unless it is cut at its limit;
- the page's rows, cells and charts are written in Python (byte-identical HTML), chart axes and frames once
  per shape; its Jinja environment reads plain dicts directly; the page header's name comes with the
  session's token query.
Keeping the rollup costs a commit that writes inbox rows ~0.1–0.2 ms (two upserts).
"""
from __future__ import annotations

import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_timers import settle, svc_grants  # noqa: E402
from bench_web_inbox import environ, page_client, pct, serve  # noqa: E402
from conftest import DEMO_PASSWORD, Api, make_config  # noqa: E402

from sqlalchemy import func, insert, select  # noqa: E402

from service.app import build_services, create_app  # noqa: E402
from service.domain.calendar import CST  # noqa: E402
from service.domain.roles import Grant  # noqa: E402
from service.flows import auth, instances  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402
from service.store import board_rollup  # noqa: E402
from service.store.models import NO_DUE_DATE, Branch, Event, InboxTask, Instance, Spec  # noqa: E402

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=CST)  # 2026Q1 and the term just ended: assessments and acceptances open
BRANCHES = 50
MONTHS = [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]
WARMUP = 5
TARGET = 3.0


#: the serialized workflow's size per process, as the seeded company's instances have it (tests/scenarios.py
#: ``seed_company``): the rows carry states of that size, so reading an instance row costs what it costs
STATE_BYTES = {"pairing": 21_000, "pairing_monthly": 40_000, "pairing_quarterly": 17_000, "plaque_rating": 7_400,
               "rectification": 10_000}


def _state(process: str) -> str:
    """A stand-in for an instance's serialized workflow, of its process's size (never deserialized here)."""
    return '{"padding": "' + "·" * (STATE_BYTES.get(process, 8_000) // 2) + '"}'


def _at(year, month, day, hour=9) -> datetime:
    return datetime(year, month, min(day, 28), hour, tzinfo=CST).astimezone(timezone.utc)


def build(folder: Path):
    """The database described above, behind the app: (api, duty rows written)."""
    cfg = make_config(folder, NOW)
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
        codes = [b.code for b in uow.identity.branches()]
        for i in range(len(codes), BRANCHES):
            code = f"b{i:02d}"
            uow.add(Branch(code=code, name=f"第{i}党支部"))
            uow.flush()
            auth.add_user(svc, uow, f"sec_{code}", DEMO_PASSWORD, f"第{i}党支部书记",
                          [Grant("secretary", code), Grant("branch_committee", code)])
            auth.add_user(svc, uow, f"help_{code}", DEMO_PASSWORD, f"帮扶人{i}", [Grant("helper", code)])
            codes.append(code)
        uow.commit()
    with svc.uow() as uow:  # one real instance, so the history can pin a real spec
        instances.start(svc, uow, Actor("sec_sb", svc_grants(svc, "sec_sb")), "resource_request",
                        {"branch": "sb", "category": "场地", "need": "活动室", "reason": "开展活动"})
        uow.commit()
    rng = random.Random(22)
    inst_rows, task_rows, event_rows, by_id = [], [], [], {}

    def event(iid, element, data, at):
        """The complete event of a task (the audit log the board reads submitted visits from)."""
        event_rows.append({"instance_id": iid, "seq": 1, "type": "complete", "actor": "bench", "role": None, "at": at,
                           "element": element, "element_name": element, "data": {"task_id": "t", "data": data},
                           "prev_hash": "0" * 64, "hash": "0" * 64})

    def instance(process, code, data, created, status="running", parent=None, closed=None):
        iid = str(uuid.uuid4())
        inst_rows.append({"id": iid, "process_id": process, "spec_sha": spec, "state": _state(process), "version": 1,
                          "status": status, "branch": code, "title": f"{process} · {code}", "summary": data,
                          "parent_id": parent, "head": "0" * 64, "started_by": "bench", "created_at": created,
                          "updated_at": closed or created})
        by_id[iid] = inst_rows[-1]
        return iid

    def task(iid, process, element, role, code, due, opened, late=None):
        late = rng.random() < 0.12 if late is None else late
        closed = None if opened is None else (due + timedelta(hours=rng.randint(2, 72)) if late and due
                                              else (due or opened) - timedelta(hours=rng.randint(1, 20)))
        # a late pairing duty due in the last month may still be undone: the overview's "now" list has work to show
        still_open = closed is not None and (closed > NOW or (late and due is not None and process != "rectification"
                                                              and NOW - timedelta(days=30) < due and rng.random() < 0.5))
        task_rows.append({"id": str(uuid.uuid4()), "instance_id": iid, "process_id": process, "kind": "user",
                          "element": element, "name": element, "role": role, "branch": code, "form": None,
                          "status": "open" if still_open else "completed", "due_at": due, "due_sort": due or NO_DUE_DATE,
                          "provisional": False, "escalation_level": 1 if late and due else 0,
                          "created_at": min(opened, (due or opened)), "closed_at": None if still_open else closed,
                          "closed_by": None if still_open else "bench"})

    with svc.db_engine.begin() as conn:
        spec = conn.scalar(select(Spec.sha256).limit(1))
        for code in codes:
            helper = f"help_{code}" if code.startswith("b") else "supervisor"
            scores = iter([rng.randint(55, 98) for _ in range(4)])
            pairing = instance("pairing", code, {"branch": code, "helper": helper, "term_start": "2025-04-01",
                                                 "term_last": "2026-03-31", "months": 12, "month": 12,
                                                 "week_count": 52, "extended": False}, _at(2025, 4, 1))
            quarter = None
            for n, (y, m) in enumerate(MONTHS, start=1):
                first, last_day = f"{y}-{m:02d}-01", _at(y, m, 28, 18)
                month = instance("pairing_monthly", code, {"helper": helper, "month": n, "month_first": first,
                                                           "month_last": f"{y}-{m:02d}-28", "week_from": 4 * (n - 1)},
                                 _at(y, m, 1), status="running" if (y, m) == (2026, 3) else "completed",
                                 parent=pairing, closed=None if (y, m) == (2026, 3) else last_day)
                visits = [{"date": f"{y}-{m:02d}-{d:02d}", "content": "指导"} for d in (5, 19)][:rng.choice((1, 2, 2, 2))]
                event(month, "guidance_visits", {"visits": visits}, _at(y, m, 20))
                task(month, "pairing_monthly", "guidance_visits", "helper", code, last_day, _at(y, m, 1))
                task(month, "pairing_monthly", "monthly_progress", "secretary", code, last_day, _at(y, m, 1))
                for week in range(4):
                    due = _at(y, m, 7 * week + 7, 18)
                    task(month, "pairing_monthly", "spot_check", "helper", code, due, due - timedelta(days=6))
                    if rng.random() < 0.25:
                        task(month, "pairing_monthly", "remedial", "helper", code, due + timedelta(hours=24), due, None)
                if m in (1, 4, 7, 10):  # a calendar quarter opens its child
                    label = f"{y}Q{(m - 1) // 3 + 1}"
                    quarter = instance("pairing_quarterly", code, {"helper": helper, "quarter": label,
                                                                   "quarter_first": first}, _at(y, m, 1), parent=pairing)
                if m in (3, 6, 9, 12):
                    label = f"{y}Q{(m - 1) // 3 + 1}"
                    for element, role in (("knowledge_quiz", "branch_committee"), ("helper_report", "helper")):
                        task(quarter, "pairing_quarterly", element, role, code, last_day, _at(y, m - 2, 1))
                    ends = _at(y + m // 12, m % 12 + 1, 1, 0)  # the assessment opens as the quarter ends
                    task(quarter, "pairing_quarterly", "assessment", "supervisor", code, ends + timedelta(days=7), ends)
                    if task_rows[-1]["status"] == "completed":
                        score = next(scores)
                        done = {"quarter": label, "score": score, "band": "meets" if score >= 80 else "fail"}
                        by_id[quarter].update(status="completed", updated_at=ends + timedelta(days=5),
                                              summary=dict(by_id[quarter]["summary"], assessment_result=done))
                    instance("plaque_rating", code, {"quarter": label, "composite": rng.randint(600, 980) / 10,
                                                     "final_plaque": rng.choice(("model", "standard", "striving"))},
                             last_day, status="completed", closed=last_day)
                for _ in range(rng.randint(0, 2)):
                    opened = _at(y, m, rng.randint(1, 28))
                    closed = opened + timedelta(days=rng.randint(5, 60))
                    done = closed < NOW.astimezone(timezone.utc)
                    ticket = instance("rectification", code, {"title": "问题", "source": "problem_list"}, opened,
                                      status="completed" if done else "running", closed=closed if done else None)
                    task(ticket, "rectification", "plan", "secretary", code, opened + timedelta(days=9), opened)
            task(pairing, "pairing", "supply_tools", "helper", code, _at(2025, 4, 4, 18), _at(2025, 4, 1))
            task(pairing, "pairing", "improvement_plan", "branch_committee", code, None, _at(2025, 4, 3))
            task(pairing, "pairing", "acceptance", "supervisor", code, _at(2026, 4, 8, 18), _at(2026, 4, 1, 0), False)
        for i in range(0, len(inst_rows), 5000):
            conn.execute(insert(Instance), inst_rows[i:i + 5000])
        for i in range(0, len(task_rows), 5000):
            conn.execute(insert(InboxTask), task_rows[i:i + 5000])
        for i in range(0, len(event_rows), 5000):
            conn.execute(insert(Event), event_rows[i:i + 5000])
        board_rollup.rebuild(conn)  # rows written around the store: their rollup as migration 0013 fills it
    settle(svc)
    return Api(create_app(cfg, svc)), len(task_rows), len(inst_rows)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    reps = int(args[0]) if args else 300
    freeze = "--no-freeze" not in sys.argv
    root = Path(tempfile.mkdtemp(prefix="bf-bench-board-"))
    try:
        t0 = time.perf_counter()
        api, tasks, insts = build(root)
        with api.svc.uow() as uow:
            open_tasks = uow.session.scalar(select(func.count()).select_from(InboxTask).where(InboxTask.status == "open"))
        print(f"database: {BRANCHES} branches, {insts:,} instances, {tasks:,} duty rows ({open_tasks:,} open), "
              f"built in {time.perf_counter() - t0:.0f} s; {reps} requests each, interleaved, after {WARMUP} warm-up")
        user = "supervisor"
        client = page_client(api, user)
        check = api.get("/api/board", user).get_json()
        assert len(check["branches"]) == BRANCHES, len(check["branches"])
        # the service as deployed: gunicorn's master freezes the preloaded app's objects before forking its
        # workers (deploy/gunicorn.conf.py, when_ready); the bench's process is that worker
        if freeze:  # --no-freeze: the process as a plain in-process app, every collection scanning everything
            gc.collect()
            gc.freeze()
        for _ in range(WARMUP):
            assert client.get("/board").status_code == 200
            assert api.get("/api/board", user).status_code == 200
            assert api.get("/api/tasks", user).status_code == 200
        bearer = {"Authorization": f"Bearer {api.login(user)}"}
        cookie = {"Cookie": f"bf_session={client.get_cookie('bf_session').value}"}
        envs = {"GET /api/board": environ("/api/board", {}, bearer), "GET /board (page)": environ("/board", {}, cookie),
                "GET /api/tasks": environ("/api/tasks", {}, bearer)}
        times = {k: [] for k in envs}
        sizes = {}
        names = list(envs)
        for i in range(reps):
            for name in names[i % 3:] + names[:i % 3]:  # each goes first in turn
                status, t, n = serve(api.app, envs[name])
                assert status.startswith("200"), (name, status)
                times[name].append(t)
                sizes[name] = n
        inbox50, inbox95 = statistics.median(times["GET /api/tasks"]), pct(times["GET /api/tasks"], 0.95)
        for name in names:
            p50, p95 = statistics.median(times[name]), pct(times[name], 0.95)
            line = f"{name:<18} p50 {p50 * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms  ({sizes[name] / 1024:.0f} KB)"
            if name != "GET /api/tasks":
                line += f"  vs inbox: p50 {p50 / inbox50:.2f}×  p95 {p95 / inbox95:.2f}× (target p95 ≤ {TARGET}×)"
            print(line)
        api.svc.db_engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
