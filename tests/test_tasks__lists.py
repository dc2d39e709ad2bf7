"""The lists a person's pages show: 已办 (tasks I completed), 我发起的 (instances I started), the processes I may
start, and inbox items that name their instance and branch."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event

from conftest import T0
from service.flows.timers import fire_due
from scenarios import SUP, file_ticket, open_pairing

SEC = "sec_sb"
PLAN = {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}


def items(api, path: str, user: str, **query) -> tuple[list[dict], int]:
    r = api.get(path, user, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"], r.get_json()["total"]


def test_a_completed_task_leaves_the_inbox_and_is_listed_as_done(api):
    tid = file_ticket(api)["id"]
    plan = api.task(SEC, "plan", tid)
    assert (plan["instance_title"], plan["branch_name"]) == ("整改销号 · 设备党支部", "设备党支部")
    assert items(api, "/api/tasks/done", SEC) == ([], 0)
    api.complete(SEC, "plan", PLAN, tid)
    assert [t for t in api.inbox(SEC) if t["id"] == plan["id"]] == []
    done, total = items(api, "/api/tasks/done", SEC)
    assert total == 1 and done[0]["id"] == plan["id"]
    assert (done[0]["status"], done[0]["closed_by"], done[0]["instance_title"], done[0]["branch_name"]) == \
        ("completed", SEC, "整改销号 · 设备党支部", "设备党支部")
    # the most recently completed comes first, pages are stable
    api.travel(T0 + timedelta(hours=1))
    api.complete(SEC, "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    done, total = items(api, "/api/tasks/done", SEC)
    assert [t["element"] for t in done] == ["rectify", "plan"] and total == 2
    second, total = items(api, "/api/tasks/done", SEC, page=2, per_page=1)
    assert [t["element"] for t in second] == ["plan"] and total == 2
    # what one person did is not in a colleague's list
    assert items(api, "/api/tasks/done", "wei_sb") == ([], 0)
    assert items(api, "/api/tasks/done", SUP) == ([], 0)


def test_a_handled_escalation_is_not_a_task_done(api):
    tid = file_ticket(api)["id"]
    api.travel(datetime.fromisoformat("2026-03-11T18:00:01+08:00"))  # the plan's 7 working days are over
    fire_due(api.svc)
    notice = [t for t in api.inbox(SUP) if t["kind"] == "escalation" and t["instance_id"] == tid][0]
    assert (notice["instance_title"], notice["branch_name"]) == ("整改销号 · 设备党支部", None)  # company-wide
    r = api.post(f"/api/tasks/{notice['id']}/complete", SUP, json={"data": {"comment": "请抓紧制定方案"}})
    assert r.status_code == 200, r.get_json()
    assert items(api, "/api/tasks/done", SUP) == ([], 0)


def test_instances_i_started_newest_first_as_the_instance_list_shows_them(api):
    first = file_ticket(api)["id"]
    api.travel(T0 + timedelta(minutes=5))
    second = file_ticket(api, title="党员活动室缺少书报")["id"]
    pairing = open_pairing(api)
    mine, total = items(api, "/api/instances/mine", SEC)
    assert [i["id"] for i in mine] == [second, first] and total == 2
    listed = {i["id"]: i for i in items(api, "/api/instances", SEC, per_page=200)[0]}
    assert mine[0] == listed[second]  # the same item as in the instance list
    assert [i["id"] for i in items(api, "/api/instances/mine", SUP)[0]] == [pairing]
    assert items(api, "/api/instances/mine", SEC, page=2, per_page=1)[0][0]["id"] == first
    assert items(api, "/api/instances/mine", "auditor") == ([], 0)


def test_the_processes_i_may_start_by_chinese_name(api):
    processes, _ = api.get("/api/processes/startable", SEC).get_json()["items"], None
    assert [(p["process"], p["name"], p["via"]) for p in processes] == [
        ("guidance_feedback", "帮扶指导反馈", None), ("rectification", "整改销号", None),
        ("resource_request", "资源需求协调", None)]
    assert processes[1]["form"]["title"] == "登记整改问题" and "branch" in processes[1]["form"]["x-order"]
    # what is listed starts; what is not is refused
    file_ticket(api)
    r = api.post("/api/instances", SEC, json={"process": "pairing", "variables": {}})
    assert r.status_code == 403
    # the supervisor's list names where the rated and inspected processes are started
    supervisor = {p["process"]: p for p in api.get("/api/processes/startable", SUP).get_json()["items"]}
    assert supervisor["plaque_rating"]["via"] == "POST /api/ratings"
    assert supervisor["inspection_round"]["via"] == "POST /api/inspections/rounds"
    assert supervisor["pairing"]["via"] is None and supervisor["pairing"]["name"] == "结对提升"
    names = [p["name"] for p in api.get("/api/processes/startable", SUP).get_json()["items"]]
    assert names == sorted(names) and "月度帮扶" not in names  # a month of a pairing is started by its pairing
    assert api.get("/api/processes/startable", "auditor").get_json()["items"] == []


def test_a_task_shows_its_instance_and_branch(api):
    tid = file_ticket(api)["id"]
    plan = api.task(SEC, "plan", tid)
    body = api.get(f"/api/tasks/{plan['id']}", SEC).get_json()
    assert (body["instance_title"], body["branch_name"], body["overdue"]) == ("整改销号 · 设备党支部", "设备党支部", False)
    assert body["form"]["title"] == "制定整改方案"


def _statements(api, path: str, user: str) -> int:
    api.login(user)
    seen = []

    def count(*_):
        seen.append(1)

    event.listen(api.svc.db_engine, "before_cursor_execute", count)
    try:
        assert api.get(path, user).status_code == 200
    finally:
        event.remove(api.svc.db_engine, "before_cursor_execute", count)
    return len(seen)


def _overdue_plans(api, branches) -> None:
    """Tickets of ``branches`` filed by the supervisor whose plans then run 7 working days over: an escalation
    of each lands in the supervisor's inbox."""
    for branch in branches:
        file_ticket(api, user=SUP, branch=branch)
    api.travel(api.svc.clock.now() + timedelta(days=14))
    fire_due(api.svc)


def test_a_longer_inbox_costs_no_more_queries(api):
    _overdue_plans(api, ("jg1", "jg2"))
    assert len(api.inbox(SUP)) >= 2
    few = _statements(api, "/api/tasks", SUP)
    _overdue_plans(api, ("sc1", "sc2", "sb", "jg1", "jg2", "sb"))
    notices = [t for t in api.inbox(SUP) if t["process"] == "rectification"]
    assert len(notices) == 8 and all(t["instance_title"].startswith("整改销号 · ") for t in notices)
    assert _statements(api, "/api/tasks", SUP) == few
