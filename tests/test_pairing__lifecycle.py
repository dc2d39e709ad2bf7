"""The pairing lifecycle driven end to end through the HTTP API."""
from __future__ import annotations

import pytest

from conftest import Api, build_app
from scenarios import (HELPER, SEC, START, SUP, WEI, acceptance, at_china, children, fail_first_acceptance, instance,
                       open_pairing, quarter_child, quarter_end, run_month, run_term, through_plan, travel, urgent_plan)


def elements(api: Api, user: str, iid: str) -> set[str]:
    return {t["element"] for t in api.inbox(user) if t["instance_id"] == iid}


def test_meets_band_then_acceptance_passes(api):
    iid = open_pairing(api)
    through_plan(api, iid)
    for month in (1, 2, 3):
        run_month(api, iid, month, behind_week=2)
    q = quarter_end(api, iid, 80)
    assert "interview" not in elements(api, "committee", q["id"])
    assert q["status"] == "completed" and q["data"]["assessment_result"] == {"quarter": "2026Q2", "score": 80, "band": "meets"}
    acceptance(api, iid, met=True)
    inst = instance(api, iid)
    assert inst["status"] == "completed" and inst["outcome"] == "qualified"
    assert inst["data"]["outcome_label"] == "帮扶合格" and inst["data"]["secretary_bonus"] == 5
    kinds = sorted(c["title"] for c in inst["children"])
    assert kinds == ["季度考核 · 机关二支部", "月度帮扶 · 机关二支部 · 第1月", "月度帮扶 · 机关二支部 · 第2月",
                     "月度帮扶 · 机关二支部 · 第3月"]


@pytest.mark.parametrize("score,band", [(79.99, "needs_improvement"), (60, "needs_improvement")])
def test_needs_improvement_band_interviews_and_continues(api, score, band):
    iid = open_pairing(api)
    through_plan(api, iid)
    run_term(api, iid, score)
    q = quarter_child(api, iid)
    # 党群部部长 is this pairing's helper: 党委 assesses, interviews and accepts it
    assert "interview" in elements(api, "committee", q["id"]) and elements(api, SUP, q["id"]) == set()
    api.complete("committee", "interview", {"interviewed_on": "2026-07-02", "notes": "指出差距"}, q["id"])
    assert elements(api, "committee", iid) == {"acceptance"}
    assert quarter_child(api, iid)["data"]["band"] == band


def test_failing_band_interviews_and_remakes_the_plan(api):
    iid = open_pairing(api, months=6)
    through_plan(api, iid)
    for month in (1, 2, 3):
        run_month(api, iid, month)
    q = quarter_end(api, iid, 59.99)
    api.complete("committee", "interview", {"interviewed_on": "2026-07-02", "notes": "方案不落地"}, q["id"])
    assert elements(api, WEI, q["id"]) == {"remake_plan"}
    plan = {"actions": [{"action": "重新制定", "owner": "书记", "deadline": "2026-07-31"}]}
    api.complete(WEI, "remake_plan", plan, q["id"])
    # the plan is the branch's and the helper's together: the helper sends it back once, then confirms
    api.complete(HELPER, "confirm_remake", {"plan_confirmed": False, "comment": "措施不具体"}, q["id"])
    api.complete(WEI, "remake_plan", plan, q["id"])
    api.complete(HELPER, "confirm_remake", {"plan_confirmed": True}, q["id"])
    history = [(e["type"], e["element"]) for e in api.get(f"/api/instances/{q['id']}/history", "auditor").get_json()]
    assert [e for t, e in history if t == "complete" and e in ("remake_plan", "confirm_remake")] == ["remake_plan", "confirm_remake"] * 2
    # the term goes on: month 4 opened on its own date (1 July), whatever the assessment's outcome
    assert instance(api, iid)["data"]["month"] == 4
    assert quarter_child(api, iid, "2026Q2")["status"] == "completed"
    assert quarter_child(api, iid)["data"]["quarter"] == "2026Q3"  # the next quarter opened on 1 July


def test_failed_acceptance_extends_once_then_passes(api):
    iid = fail_first_acceptance(api)
    assert elements(api, WEI, iid) == {"urgent_plan"}
    urgent_plan(api, iid)
    # the extension month (1–31 July) is opened at once, with no quarterly assessment
    assert instance(api, iid)["data"]["month"] == 4
    run_month(api, iid, 4)
    assert len(children(api, iid, "pairing_quarterly")) == 1
    assert elements(api, "committee", iid) == set()  # the re-acceptance waits for the extension to end
    acceptance(api, iid, met=True)
    inst = instance(api, iid)
    assert inst["outcome"] == "qualified" and inst["data"]["extended"] is True


def test_failing_the_second_acceptance_orders_rectification(api):
    iid = fail_first_acceptance(api)
    urgent_plan(api, iid)
    run_month(api, iid, 4)
    acceptance(api, iid, met=False)
    api.complete("committee", "final_interview", {"interviewed_on": "2026-08-04", "rectify_by": "2026-08-31",
                                                  "notes": "限期整改", "problems": [{"title": "三会一课记录不全"}]}, iid)
    inst = instance(api, iid)
    assert inst["status"] == "completed" and inst["outcome"] == "rectification_ordered"
    # 限期整改 is followed like any other problem: a ticket of the branch, to 销号
    [ticket] = api.get("/api/tickets?branch=jg2", SUP).get_json()["items"]
    assert (ticket["title"], ticket["source"], ticket["deadline"], ticket["status"], ticket["source_instance"]) == (
        "三会一课记录不全", "acceptance", "2026-08-31", "open", iid)


def test_inboxes_are_isolated_by_role_and_branch(api):
    iid = open_pairing(api)
    assert elements(api, SEC, iid) == {"sign_secretary"}
    assert elements(api, "sec_jg1", iid) == set()
    assert elements(api, "zonghe", iid) == set()  # helper of another branch
    assert elements(api, "auditor", iid) == set()
    t = api.task(SEC, "sign_secretary", iid)
    r = api.post(f"/api/tasks/{t['id']}/complete", "sec_jg1", json={"data": {"signed": True}})
    assert r.status_code == 404  # another branch cannot even see it
    r = api.post(f"/api/tasks/{t['id']}/complete", "committee", json={"data": {"signed": True}})
    assert r.status_code == 403  # sees it (company-wide) but holds the wrong role
    r = api.post(f"/api/tasks/{t['id']}/complete", "auditor", json={"data": {"signed": True}})
    assert r.status_code == 403
    assert api.get("/api/tasks").status_code == 401
    assert api.get("/api/tasks/no-such-task", SEC).status_code == 404


def test_form_violations_name_each_field_and_change_nothing(api):
    iid = open_pairing(api)
    through_plan(api, iid)
    travel(api, at_china("2026-04-01"))
    q = quarter_child(api, iid)["id"]
    quarter_end_task = api.task(WEI, "knowledge_quiz", q)
    before = instance(api, q)["version"]
    r = api.post(f"/api/tasks/{quarter_end_task['id']}/complete", WEI,
                 json={"data": {"participants": 0, "average_score": 101, "extra": 1}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["error"]["errors"]}
    assert fields == {"data.participants", "data.average_score", "data.extra"}
    assert instance(api, q)["version"] == before
    assert api.get(f"/api/tasks/{quarter_end_task['id']}", WEI).get_json()["status"] == "open"
    r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": dict(START, months=1, branch="xx")})
    assert r.status_code == 422
    assert {"variables.months", "variables.branch"} <= {e["field"] for e in r.get_json()["error"]["errors"]}


def test_double_and_stale_completion_conflict(api):
    iid = open_pairing(api)
    t = api.task(HELPER, "sign_helper", iid)
    version = instance(api, iid)["version"]
    ok = api.post(f"/api/tasks/{t['id']}/complete", HELPER, json={"data": {"signed": True}, "version": version})
    assert ok.status_code == 200
    again = api.post(f"/api/tasks/{t['id']}/complete", HELPER, json={"data": {"signed": True}})
    assert again.status_code == 409
    other = api.task(SEC, "sign_secretary", iid)
    stale = api.post(f"/api/tasks/{other['id']}/complete", SEC, json={"data": {"signed": True}, "version": version})
    assert stale.status_code == 409
    assert api.get(f"/api/tasks/{other['id']}", SEC).get_json()["status"] == "open"


def test_claimed_task_is_reserved_for_the_claimant(api):
    """The improvement plan is the branch committee's: the secretary and the 组织委员 both hold that role, so
    only the claim keeps the 组织委员 out."""
    iid = open_pairing(api)
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    api.complete(SEC, "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": "JD-2026-01"}, iid)
    api.complete(HELPER, "diagnosis", {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [
        {"title": "台账不全", "description": "三会一课记录缺失"}], "summary": "台账管理薄弱"}, iid)
    api.complete(HELPER, "supply_tools", {"tools": [{"name": "台账模板"}]}, iid)
    t = api.task(SEC, "improvement_plan", iid)
    assert t["id"] in {x["id"] for x in api.inbox(WEI)}  # both may act on it before the claim
    assert api.post(f"/api/tasks/{t['id']}/claim", SEC).get_json()["claimed_by"] == SEC
    plan = {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}
    r = api.post(f"/api/tasks/{t['id']}/complete", WEI, json={"data": plan})
    assert r.status_code == 409 and "claimed by sec_jg2" in r.get_json()["error"]["message"]
    assert api.post(f"/api/tasks/{t['id']}/complete", SEC, json={"data": plan}).status_code == 200


def test_a_restarted_service_continues_from_the_database(tmp_path):
    first = Api(build_app(tmp_path))
    iid = open_pairing(first)
    through_plan(first, iid)
    run_month(first, iid, 1)
    second = Api(build_app(tmp_path))  # new app, new engine, same SQLite file
    second.travel(first.svc.clock.now())
    assert instance(second, iid)["data"]["month"] == 1
    run_month(second, iid, 2)
    assert instance(second, iid)["data"]["month"] == 2
    run_month(second, iid, 3)
    quarter_end(second, iid, 90)
    acceptance(second, iid, met=True)
    assert instance(second, iid)["outcome"] == "qualified"
