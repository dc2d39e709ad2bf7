"""Benchmark (issue 16): a quarter's duty claiming at company scale.

Prints, from one run on one machine:
* the time to open a quarter's claiming for every branch in one sweep (``POST /api/duty/quarters``), per
  branch, with 50 branches × 40 members, and for one branch of 20 members;
* p50/p95 of ``GET /api/tasks`` for a member (their personal claim open) and for a branch committee member
  (ten claims of their branch waiting for review) with all 2,000 claims of the company open, against the
  same queries with 20 members, requests interleaved across the two companies — the ratio of the p95s must
  stay <= 1.5;
* the median time of the scheduler's duty calendar run (``claiming.open_due``) when everything current is
  open already (what it costs every few minutes).
Run: ``python bench/bench_claiming.py``.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import DEMO_PASSWORD, Api, make_config  # noqa: E402

from sqlalchemy import insert, select  # noqa: E402

from service.app import build_services, create_app  # noqa: E402
from service.flows import auth, claiming, tasks  # noqa: E402
from service.flows.actors import Actor  # noqa: E402
from service.flows.demo import load_demo  # noqa: E402
from service.store.models import Branch, InboxTask, PartyGroup, RoleGrant, User  # noqa: E402

T0 = datetime.fromisoformat("2026-04-01T09:00:00+08:00")
POSTS = [{"code": "B1", "kind": "basic", "title": "学习教育岗", "duty": "按时参加组织生活"},
         {"code": "T1", "kind": "tough", "title": "台账攻坚岗", "duty": "补齐台账"}]
REPS = 200
#: claims of the measured branch filled and waiting for the committee's review (the same in both runs)
REVIEWED = 10


def personal(svc) -> None:
    """Each open claim personal to its member (what a claim task's ``assignee_field`` does), in bulk."""
    with svc.uow() as uow:
        for row in uow.session.query(InboxTask).filter(InboxTask.element == "fill_claim", InboxTask.assignee.is_(None)):
            row.assignee = uow.instances.get(row.instance_id).data["member"]
        uow.commit()


def company(folder: Path, branches: int, members: int):
    """The demo accounts plus ``branches`` branches (codes b000…) of ``members`` members each, four groups a
    branch, a secretary and a committee member each: (config, services)."""
    cfg = make_config(folder, T0)
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
        pw = auth.hasher(svc).hash(DEMO_PASSWORD)
    with svc.db_engine.begin() as conn:
        conn.execute(insert(Branch), [{"code": f"b{b:03d}", "name": f"第{b}党支部"} for b in range(branches)])
        conn.execute(insert(PartyGroup), [{"branch": f"b{b:03d}", "name": f"第{g}党小组", "leader": None}
                                          for b in range(branches) for g in range(4)])
        groups = {(b, n): gid for gid, b, n in conn.execute(select(PartyGroup.id, PartyGroup.branch, PartyGroup.name))}
        people = []
        for b in range(branches):
            code = f"b{b:03d}"
            people += [(f"sec_{code}", "书记", code, None, ("secretary", "branch_committee")),
                       (f"wei_{code}", "委员", code, None, ("branch_committee",))]
            people += [(f"{code}_m{i:02d}", f"党员{i}", code, groups[(code, f"第{i % 4}党小组")], ("member",))
                       for i in range(members)]
        conn.execute(insert(User), [{"username": u, "display_name": n, "password_hash": pw, "active": True,
                                     "branch": code, "group_id": gid, "email": None} for u, n, code, gid, _ in people])
        ids = dict(conn.execute(select(User.username, User.id)).all())
        conn.execute(insert(RoleGrant), [{"user_id": ids[u], "role": r, "branch": code, "source": None}
                                         for u, _n, code, _g, roles in people for r in roles])
    return cfg, svc


def run_quarter(api: Api, svc, branches: int, members: int, label: str) -> dict:
    t0 = time.perf_counter()
    r = api.post("/api/duty/quarters", "supervisor", json={"quarter": "2026Q2",
                                                            "branches": [f"b{b:03d}" for b in range(branches)]})
    opened = time.perf_counter() - t0
    assert r.status_code == 201 and r.get_json()["started"] == branches, r.get_json()
    for b, iid in enumerate(r.get_json()["ids"]):  # each secretary publishes the post list: one claim per member
        code = f"b{b:03d}"
        with svc.uow() as uow:
            row = next(t for t in uow.inbox.open_of(iid) if t.element == "publish_posts")
            actor = Actor(f"sec_{code}", uow.identity.grants_of(uow.identity.user(f"sec_{code}")))
            tasks.complete(svc, uow, actor, row.id, {"meeting_date": "2026-04-01", "posts": POSTS, "claim_by": "2026-04-08"})
    with svc.uow() as uow:
        claims = uow.session.scalar(select(InboxTask.id).where(InboxTask.element == "fill_claim").limit(1))
        count = uow.session.query(InboxTask).filter(InboxTask.element == "fill_claim", InboxTask.status == "open").count()
    assert claims and count == branches * members, count
    personal(svc)
    # ten claims of the measured branch are filled: its committee has them to review
    code = "b000"
    with svc.uow() as uow:
        rows = [t for t in uow.session.query(InboxTask).filter(InboxTask.element == "fill_claim", InboxTask.branch == code,
                                                                InboxTask.status == "open")][:REVIEWED]
        ids = [t.id for t in rows]
    for task_id in ids:
        with svc.uow() as uow:
            row = uow.inbox.get(task_id)
            who = row.assignee or uow.instances.get(row.instance_id).data["member"]
            actor = Actor(who, uow.identity.grants_of(uow.identity.user(who)))
            tasks.complete(svc, uow, actor, task_id, {"basic": ["B1"], "strengths": "认真"})
    out = {"open_per_branch_ms": opened / branches * 1000, "claims": count}
    # the scheduler's duty calendar run: the first opens the month's meetings; the next ones find all open
    claiming.open_due(svc)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = claiming.open_due(svc)
        runs.append(time.perf_counter() - t0)
        assert not any(r.get("started") for r in result.values()), result
    out["calendar_ms"] = statistics.median(runs) * 1000
    out["who"] = {"member": f"{code}_m{members - 1:02d}", "committee": f"wei_{code}"}
    return out


def inboxes(apis: dict, results: dict) -> None:
    """p50/p95 of each company's member and committee inbox, requests interleaved across the two companies
    so the machine's noise falls on both alike; stored in ``results[label][kind]``."""
    times = {(label, kind): [] for label in apis for kind in ("member", "committee")}
    visible = {}
    for _ in range(REPS):
        for (label, kind), series in times.items():
            t0 = time.perf_counter()
            r = apis[label].get("/api/tasks", results[label]["who"][kind])
            series.append(time.perf_counter() - t0)
            assert r.status_code == 200
            visible[label, kind] = r.get_json()["total"]
    for (label, kind), series in times.items():
        series.sort()
        results[label][kind] = (statistics.median(series) * 1000, series[int(0.95 * len(series)) - 1] * 1000,
                                visible[label, kind])


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bf-bench-claiming-"))
    try:
        results, apis, services = {}, {}, []
        for label, branches, members in (("small", 1, 20), ("large", 50, 40)):
            (root / label).mkdir()
            cfg, svc = company(root / label, branches, members)
            apis[label] = Api(create_app(cfg, svc))
            results[label] = run_quarter(apis[label], svc, branches, members, label)
            results[label]["label"] = f"{branches} branch(es) × {members} members"
            services.append(svc)
        inboxes(apis, results)
        for out in results.values():
            print(f"{out['label']}: {out['claims']:,} claims open; opening the quarter: {out['open_per_branch_ms']:.1f} ms "
                  f"per branch; member inbox p50 {out['member'][0]:.2f} ms p95 {out['member'][1]:.2f} ms "
                  f"({out['member'][2]} visible); committee inbox p50 {out['committee'][0]:.2f} ms p95 "
                  f"{out['committee'][1]:.2f} ms ({out['committee'][2]} visible); a duty calendar run with "
                  f"everything open: {out['calendar_ms']:.0f} ms")
        for svc in services:
            svc.db_engine.dispose()
        small, large = results["small"], results["large"]
        for kind in ("member", "committee"):
            print(f"{kind} inbox p95, 2,000 members vs 20: {large[kind][1] / small[kind][1]:.2f}x (target <= 1.5x)")
        print(f"opening a quarter per branch, 50 branches vs 1: "
              f"{large['open_per_branch_ms'] / small['open_per_branch_ms']:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
