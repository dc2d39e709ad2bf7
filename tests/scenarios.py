"""Scenario helpers the tests share: the demo's people, lifecycles walked to a known step, a live
gunicorn server, hostile database writes. One place, instead of test modules importing each other."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from conftest import DEMO_PASSWORD, T0, Api


HELPER, SEC, WEI, SUP = "supervisor", "sec_jg2", "wei_jg2", "supervisor"


# -- from test_pairing__lifecycle ---------------------------------------------------------

START = {"branch": "jg2", "helper": "supervisor", "term_start": "2026-04-01", "months": 3,
         "targets": [{"name": "台账齐全率", "target": "100%"}, {"name": "三会一课完成率", "target": "100%"}]}


def open_pairing(api: Api, **overrides) -> str:
    r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": dict(START, **overrides)})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


#: the demo's pairings: each branch with a helper, and that helper (one running pairing per branch)
PAIRS = (("jg2", "supervisor"), ("sb", "zonghe"), ("sc1", "jiwei"), ("sc2", "gonghui"))


def through_plan(api: Api, iid: str, confirm: bool = True) -> None:
    """Letter, diagnosis, tools and plan, each by whom the pairing's branch and helper name (``confirm``: the
    helper confirms the plan, as pairings on the current spec ask)."""
    data = instance(api, iid)["data"]
    helper, branch = data["helper"], data["branch"]
    api.complete(helper, "sign_helper", {"signed": True}, iid)
    api.complete(f"sec_{branch}", "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": "JD-2026-01"}, iid)
    api.complete(helper, "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                       "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                                       "summary": "台账管理薄弱"}, iid)
    api.complete(helper, "supply_tools", {"tools": [{"name": "台账模板"}]}, iid)
    api.complete(f"wei_{branch}", "improvement_plan",
                 {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}, iid)
    if confirm:
        api.complete(helper, "confirm_plan", {"plan_confirmed": True}, iid)  # a joint plan: the helper confirms it


def assessor(api: Api, iid: str) -> str:
    """Who assesses and accepts a pairing: 党群部, or 党委 when 党群部部长 is the pairing's own helper."""
    return "committee" if instance(api, iid)["data"].get("helper") == SUP else SUP


def at_china(day: str, clock: str = "09:00") -> datetime:
    """An instant in China time: ``at_china("2026-04-01")`` is 09:00 that morning."""
    return datetime.fromisoformat(f"{day}T{clock}:00+08:00")


def travel(api: Api, to: datetime) -> list[dict]:
    """Move the clock to ``to`` and fire every timer due by then, sweep after sweep (a fired period timer
    opens a child whose own timers may be due already); what fired, in order."""
    from service.flows.timers import fire_due
    api.travel(to)
    fired = []
    while True:
        batch = fire_due(api.svc).fired
        if not batch:
            return fired
        fired += batch


def children(api: Api, iid: str, process: str) -> list[dict]:
    """The parent's children of ``process``, oldest first (each with its data)."""
    out = []
    for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"]:
        child = api.get(f"/api/instances/{c['id']}", SUP).get_json()
        if child["process"] == process:
            out.append(child)
    return out


def month_child(api: Api, iid: str, month: int) -> dict:
    return next(c for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == month)


def run_month(api: Api, iid: str, month: int, behind_week: int | None = None) -> dict:
    """Travel to term month ``month``'s first morning and do its work on time: two visits, the report, and
    each week's spot check on that week's first morning. Returns the month child."""
    data = instance(api, iid)["data"]
    from service.domain.periods import month_range, weeks_of_month
    span = month_range(data["term_start"], month)
    travel(api, at_china(span["first"]))
    child = month_child(api, iid, month)["id"]
    helper, secretary = data["helper"], f"sec_{data['branch']}"
    visits = [{"date": span["first"], "content": "指导台账"}, {"date": span["last"], "content": "指导组织生活"}]
    api.complete(helper, "guidance_visits", {"visits": visits}, child)
    api.complete(secretary, "monthly_progress", {"progress": "台账补齐一半", "completion_rate": 50}, child)
    for n, week in enumerate(weeks_of_month(data["term_start"], month), start=1):
        travel(api, max(api.svc.clock.now(), at_china(week["first"])))
        behind = n == behind_week
        api.complete(helper, "spot_check", {"indicators": "台账齐全率", "behind_plan": behind}, child)
        if behind:
            api.complete(helper, "remedial", {"talked_with_secretary": True, "measures": "本周补录"}, child)
    return api.get(f"/api/instances/{child}", SUP).get_json()


def instance(api: Api, iid: str) -> dict:
    return api.get(f"/api/instances/{iid}", SUP).get_json()


def quarter_child(api: Api, iid: str, quarter: str | None = None) -> dict:
    found = children(api, iid, "pairing_quarterly")
    return next(c for c in reversed(found) if quarter is None or c["data"]["quarter"] == quarter)


def quarter_end(api: Api, iid: str, score: float, quarter: str | None = None) -> dict:
    """The quarter's quiz and report on time, then travel to the morning after the quarter ends and
    assess; returns the quarter child."""
    q = quarter_child(api, iid, quarter)
    api.complete(f"wei_{instance(api, iid)['data']['branch']}", "knowledge_quiz", {"participants": 12, "average_score": 88}, q["id"])
    api.complete(instance(api, iid)["data"]["helper"], "helper_report", {"summary": "本季度下沉指导六次，台账基本补齐"}, q["id"])
    from service.domain.periods import add_days
    travel(api, max(api.svc.clock.now(), at_china(add_days(q["data"]["quarter_last"], 1))))
    api.complete(assessor(api, iid), "assessment", {"score": score}, q["id"])
    return api.get(f"/api/instances/{q['id']}", SUP).get_json()


def term_end(api: Api, iid: str) -> None:
    """Travel to the morning after the term (or its extension) ends: the acceptance opens."""
    from service.domain.periods import add_days, month_range
    data = instance(api, iid)["data"]
    last = month_range(data["term_start"], data["month"])["last"] if data.get("extended") else data["term_last"]
    travel(api, max(api.svc.clock.now(), at_china(add_days(last, 1))))


#: the acceptance's two core targets besides the letter's own: a practice in the handbook, the members' survey
CORE_MET = {"handbook_practice_included": True, "handbook_practice": "三会一课台账模板", "survey_awareness": 100,
            "survey_satisfaction": 90}


def acceptance(api: Api, iid: str, met: bool) -> None:
    term_end(api, iid)
    api.complete(assessor(api, iid), "acceptance", dict(CORE_MET, target_results=[
        {"name": "台账齐全率", "met": True}, {"name": "三会一课完成率", "met": met}]), iid)


def urgent_plan(api: Api, iid: str, deadline: str = "2026-07-30") -> None:
    """The urgent plan after a failed acceptance: drafted by the branch, confirmed by the helper."""
    data = instance(api, iid)["data"]
    api.complete(f"wei_{data['branch']}", "urgent_plan",
                 {"actions": [{"action": "加急补课", "owner": "书记", "deadline": deadline}]}, iid)
    api.complete(data["helper"], "confirm_urgent", {"plan_confirmed": True}, iid)


def run_term(api: Api, iid: str, score: float = 85) -> None:
    """Every month of a 3-month term (from April) done on time and its quarter (2026Q2) assessed at ``score``."""
    for month in (1, 2, 3):
        run_month(api, iid, month)
    quarter_end(api, iid, score)


def fail_first_acceptance(api: Api, **overrides) -> str:
    """A 3-month pairing that passes its quarter but fails the term-end acceptance."""
    iid = open_pairing(api, **overrides)
    through_plan(api, iid)
    run_term(api, iid)
    acceptance(api, iid, met=False)
    return iid


# -- from test_timers__escalation ---------------------------------------------------------

def to_supply_tools(api, branch: str = "jg2", helper: str = "supervisor"):
    """A pairing through its diagnosis (Mon 2 Mar 09:00): the helper's 3-working-day duty is open."""
    iid = open_pairing(api, branch=branch, helper=helper)
    api.complete(helper, "sign_helper", {"signed": True}, iid)
    api.complete(f"sec_{branch}", "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": "A1"}, iid)
    api.complete(helper, "diagnosis", {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [
        {"title": "台账", "description": "缺失"}], "summary": "薄弱"}, iid)  # Mon 2 Mar 09:00
    return iid

# -- from test_requests__lifecycle --------------------------------------------------------

REQUEST = {"branch": "sb", "category": "场地", "need": "党员活动室改造", "reason": "现有场地无法开展主题党日"}

# -- from test_tickets__rectification -----------------------------------------------------

def file_ticket(api, user="sec_sb", expect=201, **variables) -> dict:
    body = {"branch": "sb", "source": "problem_list", "title": "党员活动室制度未上墙", "rectify_by": "2026-03-13"}
    r = api.post("/api/instances", user, json={"process": "rectification", "variables": dict(body, **variables)})
    assert r.status_code == expect, r.get_json()
    return r.get_json()

# -- from test_inspections__lifecycle -----------------------------------------------------

TEAM_SC1 = ["wei_jg1", "wei_jg2"]  # committee members of 机关一/二支部 inspect 生产一支部


TEAM_JG2 = ["wei_sc1"]


def publish(api, teams=None, expect=201, **extra) -> dict:
    teams = teams or [{"branch": "sc1", "members": TEAM_SC1}, {"branch": "jg2", "members": TEAM_JG2}]
    r = api.post("/api/inspections/rounds", SUP, json={"quarter": "2026Q1", "teams": teams, **extra})
    assert r.status_code == expect, r.get_json()
    return r.get_json()

# -- from test_deploy__gunicorn -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving service.wsgi:app, plus a tiny JSON client."""

    def __init__(self, url: str, workers: int = 4):
        self.port = _free_port()
        env = dict(os.environ, BRANCHFLOW_DATABASE_URL=url, BRANCHFLOW_NOW=T0.isoformat(),
                   BRANCHFLOW_BIND=f"127.0.0.1:{self.port}", BRANCHFLOW_WORKERS=str(workers),
                   BRANCHFLOW_AUTO_MIGRATE="0")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                                      "service.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.tokens: dict[str, str] = {}
        for _ in range(300):
            try:
                self.call("GET", "/api/openapi.json")
                return
            except OSError:
                time.sleep(0.1)  # polling a starting server, not timing behaviour
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def call(self, method: str, path: str, body=None, user: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, body = self.call("POST", "/api/auth/login", {"username": user, "password": DEMO_PASSWORD})
            assert status == 200, body
            self.tokens[user] = body["token"]
        return self.tokens[user]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        """kill -9 the master and every worker at once (they share the session started for them)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def task_of(srv, iid: str, element: str, user: str) -> str:
    status, body = srv.call("GET", f"/api/instances/{iid}", user=user)
    return [t["id"] for t in body["open_tasks"] if t["element"] == element][0]


def at_once(jobs) -> list:
    """Run the callables in threads released together; return their results."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results

# -- from test_deploy__crash --------------------------------------------------------------

SCHEDULER_NOW = T0 + timedelta(days=10)


def cli(url: str, *args: str, now=SCHEDULER_NOW, **popen) -> subprocess.Popen:
    env = dict(os.environ, BRANCHFLOW_DATABASE_URL=url, BRANCHFLOW_NOW=now.isoformat(), BRANCHFLOW_AUTO_MIGRATE="0")
    # a long-running process (the scheduler logs a JSON line per timer it fires) writes to a file nobody has
    # to drain; a pipe no one reads would fill and block it
    out = tempfile.NamedTemporaryFile(prefix=f"branchflow-{args[0]}-", suffix=".log", delete=False) \
        if args and args[0] in ("scheduler", "serve") else subprocess.PIPE
    return subprocess.Popen([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, start_new_session=True,
                            stdout=out, stderr=subprocess.STDOUT, **popen)

# -- from test_audit__verify --------------------------------------------------------------


def redeploy_with(api, tmp_path, folder: str, filename: str, old: str, new: str) -> None:
    """Deploy the service's ``folder`` (``bpmn`` or ``dmn``) with ``old`` replaced by ``new`` in ``filename``:
    a new version of every bundle that file is part of; running instances keep theirs."""
    copy = tmp_path / folder
    shutil.copytree(getattr(api.svc.settings, f"{folder}_dir"), copy)
    path = copy / filename
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    setattr(api.svc.settings, f"{folder}_dir", copy)
    api.svc.bundles.redeploy()


AUDITOR = "auditor"


def sql(api, statement: str, **params) -> None:
    """What an attacker with database access does (the append-only triggers dropped first)."""
    with api.svc.db_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_append_only ON events")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS events_no_delete")
        conn.execute(text(statement), params)


# -- load tests: many pairings at once (one runs per branch, so each load pairing gets a branch of its own) --

def load_branches(svc, n: int) -> list[dict]:
    """``n`` extra branches for load tests, each with its own secretary ``sec_<code>`` (also its committee)
    and organisation committee member ``wei_<code>`` (who drafts the joint plans), and the supervisor as
    every branch's helper; the start variables of one pairing per branch."""
    from service.domain.roles import Grant
    from service.flows import auth
    from service.store.models import Branch

    codes = [f"ld{i:03d}" for i in range(n)]
    with svc.uow() as uow:
        for code in codes:
            uow.add(Branch(code=code, name=f"负载测试{code}支部"))
        uow.flush()
        for code in codes:
            auth.add_user(svc, uow, f"sec_{code}", DEMO_PASSWORD, f"{code}书记",
                          [Grant("secretary", code), Grant("branch_committee", code)])
            auth.add_user(svc, uow, f"wei_{code}", DEMO_PASSWORD, f"{code}组织委员", [Grant("branch_committee", code)])
            uow.identity.grant("supervisor", "helper", code, None)
        uow.commit()
    return [dict(START, branch=code) for code in codes]


# -- from test_board (督导看板) -------------------------------------------------------------

#: helper of each paired branch in the demo organisation (机关一支部 has none)
HELPERS = {"jg2": "supervisor", "sb": "zonghe", "sc1": "jiwei", "sc2": "gonghui"}


def plan_for(api: Api, iid: str, code: str, tools: bool = True) -> None:
    """Sign, file and diagnose a pairing of ``code``; supply tools and make the plan when ``tools``."""
    helper = HELPERS[code]
    api.complete(helper, "sign_helper", {"signed": True}, iid)
    api.complete(f"sec_{code}", "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": f"JD-2026-{code}"}, iid)
    api.complete(helper, "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                       "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                                       "summary": "台账管理薄弱"}, iid)
    if tools:
        tools_and_plan(api, iid, code)


def tools_and_plan(api: Api, iid: str, code: str) -> None:
    api.complete(HELPERS[code], "supply_tools", {"tools": [{"name": "台账模板"}]}, iid)
    api.complete(f"wei_{code}", "improvement_plan", {"actions": [{"action": "补齐台账", "owner": "组织委员",
                                                                  "deadline": "2026-04-30"}]}, iid)
    api.complete(HELPERS[code], "confirm_plan", {"plan_confirmed": True}, iid)  # the helper confirms the joint plan


def _open_duties(api: Api, parents: dict[str, str]) -> list[tuple[str, object]]:
    """(branch, open user-task row) of the pairings ``parents`` (branch → id) and every child they opened."""
    from service.store.models import InboxTask, Instance
    branch_of = {iid: code for code, iid in parents.items()}
    with api.svc.uow() as uow:
        for kid in uow.session.query(Instance).filter(Instance.parent_id.in_(list(parents.values()))):
            branch_of[kid.id] = branch_of[kid.parent_id]
        rows = (uow.session.query(InboxTask).filter(InboxTask.instance_id.in_(list(branch_of)),
                                                    InboxTask.status == "open", InboxTask.kind == "user")
                .order_by(InboxTask.created_at, InboxTask.id).all())
        return [(branch_of[r.instance_id], r) for r in rows]


def _month_of(api: Api, row) -> dict:
    from service.store.models import Instance
    with api.svc.uow() as uow:
        return dict(uow.session.get(Instance, row.instance_id).data)


#: what each duty of the seeded company is answered with (by whom: the pairing's helper, the branch's people)
def _answer(api: Api, code: str, row, behind: bool = False) -> None:
    helper = HELPERS[code]
    if row.element == "guidance_visits":
        month = _month_of(api, row)
        days = [month["month_first"], add_days_iso(month["month_first"], 14)]
        who, body = helper, {"visits": [{"date": d, "content": "指导台账"} for d in days]}
    else:
        who, body = {
            "spot_check": (helper, {"indicators": "台账齐全率", "behind_plan": behind}),
            "remedial": (helper, {"talked_with_secretary": True, "measures": "本周补录"}),
            "monthly_progress": (f"sec_{code}", {"progress": "台账补齐一半", "completion_rate": 50}),
            "knowledge_quiz": (f"wei_{code}", {"participants": 12, "average_score": 88}),
            "helper_report": (helper, {"summary": "本季度下沉指导六次，台账基本补齐"}),
            # 党群部部长 is 机关二支部's helper: 党委 assesses and interviews for that pairing
            "interview": ("committee" if helper == SUP else SUP,
                          {"interviewed_on": "2026-04-02", "notes": "约谈书记，限期补齐台账"}),
        }[row.element]
    r = api.post(f"/api/tasks/{row.id}/complete", who, json={"data": body})
    assert r.status_code == 200, (code, row.element, r.get_json())


def add_days_iso(day: str, n: int) -> str:
    from service.domain.periods import add_days
    return add_days(day, n)


_ROUTINE = ("guidance_visits", "monthly_progress", "spot_check", "knowledge_quiz", "helper_report")

#: the seeded company's clock when it is done: Thursday 2 April 2026, 10:00 (2026Q1 just assessed)
SEEDED_NOW = at_china("2026-04-02", "10:00")


def seed_company(api: Api) -> dict:
    """A quarter of the demo company on the calendar: four pairings from Monday 5 January 2026 (3-month terms:
    months from the 5th, 13 weeks, 2026Q1 assessed), the clock travelling through Q1 to Thursday 2 April
    10:00 and every timer fired on the way. Each Monday morning (and on a few other days) the helpers and
    branches do the duties open then, except:

    * 机关二支部: the check of the week of 9 Feb finds the plan behind; its 24 h remedial is done on the
      Wednesday (late, escalated); 2026Q1 assessed 75 → the 约谈 held on 2 April;
    * 生产一支部: tools supplied on Friday 9 Jan, after their 3-working-day deadline (escalated); the check of
      the week of 2 Feb done the Monday after (late); no visit recorded in March (its month's visits
      are due 3 April); the quarter's quiz
      never held (overdue since 31 March); its assessment still open;
    * 生产二支部: tools never supplied (overdue since 8 Jan, escalated): its term never began;
    * 设备党支部: everything on time; 2026Q1 assessed 92;
    * 机关一支部 (no pairing): a rectification ticket filed 16 March whose 7-working-day plan is overdue;
    * the 2026Q1 plaques of all five branches, rated on 2 April.
    Returns the pairing ids by branch and the ticket's id."""
    api.travel(at_china("2026-01-05"))
    ids = {code: open_pairing(api, branch=code, helper=helper, term_start="2026-01-05", months=3)
           for code, helper in HELPERS.items()}
    for code, iid in ids.items():
        plan_for(api, iid, code, tools=code in ("jg2", "sb"))
    pairings = {c: ids[c] for c in ("jg2", "sb", "sc1")}
    steps = ["2026-01-05 09:30", "2026-01-09 10:00"] + [
        f"{add_days_iso('2026-01-12', 7 * w)} 09:00" for w in range(12)] + ["2026-02-11 09:00", "2026-04-01 09:00"]
    for step in sorted(steps):
        day, clock = step.split()
        travel(api, at_china(day, clock))
        if day == "2026-01-09":
            tools_and_plan(api, ids["sc1"], "sc1")  # a day after the tools' deadline
            travel(api, at_china(day, "10:01"))      # the term catches up: month 1 and 2026Q1 open at once
        if day == "2026-03-16":
            ids["ticket"] = file_ticket(api, "sec_jg1", branch="jg1", rectify_by="2026-03-31")["id"]
        for code, row in _open_duties(api, pairings):
            created = row.created_at.astimezone(at_china(day).tzinfo).date().isoformat()
            if row.element not in _ROUTINE or (code, row.element) == ("sc1", "knowledge_quiz"):
                continue  # answered below, or never
            if (code, row.element, created) == ("sc1", "spot_check", "2026-02-02") and day == "2026-02-02":
                continue  # done next Monday, late
            if row.element in ("knowledge_quiz", "helper_report") and day < "2026-03-16":
                continue  # the quarter's quiz and report in its last weeks
            if (code, row.element) == ("sc1", "guidance_visits") and created >= "2026-03-05":
                continue  # no visit in March yet (due by its term month's last working day, 3 April)
            _answer(api, code, row, behind=(code, row.element, created) == ("jg2", "spot_check", "2026-02-09"))
        if day == "2026-02-11":  # the remedial was due Tuesday 09:00
            [row] = [r for c, r in _open_duties(api, pairings) if r.element == "remedial"]
            _answer(api, "jg2", row)
    scores = {"jg2": 75, "sb": 92}
    for code, row in _open_duties(api, pairings):
        if row.element == "assessment" and code in scores:
            who = "committee" if HELPERS[code] == SUP else SUP
            r = api.post(f"/api/tasks/{row.id}/complete", who, json={"data": {"score": scores[code]}})
            assert r.status_code == 200, r.get_json()
    travel(api, SEEDED_NOW)
    [(_, interview)] = [(c, r) for c, r in _open_duties(api, pairings) if r.element == "interview"]
    _answer(api, "jg2", interview)
    r = api.post("/api/ratings", SUP, json={"quarter": "2026Q1",
                                            "stars": {"jg1": 95, "jg2": 80, "sc1": 70, "sc2": 50, "sb": 92},
                                            "inspection": {c: 90 for c in ("jg1", "jg2", "sc1", "sc2", "sb")},
                                            "pairing": {"jg1": 90, "sc1": 80, "sc2": 60}})
    assert r.status_code == 201, r.get_json()
    return ids
