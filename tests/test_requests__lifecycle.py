"""Resource requests (协调责任, 5 working days) and guidance feedback (反馈责任, 5 working days) via HTTP."""
from __future__ import annotations

from datetime import datetime

from service.flows.timers import fire_due
from scenarios import REQUEST, SUP, open_pairing

T = datetime.fromisoformat
HELPER_SB, SEC_SB = "zonghe", "sec_sb"
FEEDBACK = {"branch": "sb", "issue": "指导内容偏重机关台账，不适合生产一线", "expectation": "结合设备检修班组开展指导"}


def start(api, process: str, variables: dict, user: str = SEC_SB, expect: int = 201) -> dict:
    r = api.post("/api/instances", user, json={"process": process, "variables": variables})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def escalations(api, user: str) -> list[dict]:
    return [t for t in api.inbox(user) if t["kind"] == "escalation"]


def test_resource_request_resolved_within_five_working_days(api):
    pairing = open_pairing(api, branch="sb", helper=HELPER_SB)
    iid = start(api, "resource_request", dict(REQUEST, pairing=pairing))["id"]  # Mon 2 Mar 2026 09:00
    task = api.task(HELPER_SB, "coordinate", iid)
    assert task["name"] == "对接相关部门协调解决（5个工作日内）"
    assert task["due_at"] == "2026-03-09T10:00:00+00:00"  # Mon 9 Mar 18:00 CST: 5 working days after Mon 2 Mar
    # the helper of another branch does not see it
    assert [t for t in api.inbox("jiwei") if t["instance_id"] == iid] == []
    api.complete(HELPER_SB, "coordinate", {"departments": ["综合部"], "resolved": True, "measures": "调配会议室"}, iid)
    body = api.get(f"/api/instances/{iid}", SUP).get_json()
    assert body["status"] == "completed" and body["outcome"] == "resolved"


def test_unresolved_request_needs_a_reason_and_goes_to_the_supervisor(api):
    iid = start(api, "resource_request", REQUEST)["id"]
    task = api.task(HELPER_SB, "coordinate", iid)
    r = api.post(f"/api/tasks/{task['id']}/complete", HELPER_SB,
                 json={"data": {"departments": ["财务部"], "resolved": False, "measures": "已沟通"}})
    assert r.status_code == 422
    assert [e["field"] for e in r.get_json()["error"]["errors"]] == ["data.reason_unresolved"]
    assert api.task(HELPER_SB, "coordinate", iid)["status"] == "open"
    api.complete(HELPER_SB, "coordinate", {"departments": ["财务部"], "resolved": False, "measures": "已沟通",
                                           "reason_unresolved": "年度预算已用完"}, iid)
    api.complete(SUP, "review_reason", {"opinion": "纳入明年预算", "next_step": "纳入下季度计划"}, iid)
    assert api.get(f"/api/instances/{iid}", SUP).get_json()["outcome"] == "explained"


def test_overdue_request_escalates_to_supervisor_then_committee(api):
    iid = start(api, "resource_request", REQUEST)["id"]
    api.travel(T("2026-03-09T18:00:01+08:00"))
    fire_due(api.svc)
    assert api.task(HELPER_SB, "coordinate", iid)["overdue"] is True
    assert [t["name"] for t in escalations(api, SUP)] == ["督办（一级）：对接相关部门协调解决（5个工作日内）"]
    api.travel(T("2026-03-11T18:00:01+08:00"))
    fire_due(api.svc)
    assert len(escalations(api, "committee")) == 1
    api.complete(HELPER_SB, "coordinate", {"departments": ["综合部"], "resolved": True, "measures": "已解决"}, iid)
    assert escalations(api, SUP) == [] and escalations(api, "committee") == []


def test_guidance_feedback_is_the_supervisors_duty_and_escalates_to_the_committee(api):
    iid = start(api, "guidance_feedback", FEEDBACK)["id"]
    task = api.task(SUP, "adjust", iid)
    assert task["due_at"] == "2026-03-09T10:00:00+00:00"
    api.travel(T("2026-03-09T18:00:01+08:00"))
    fire_due(api.svc)
    assert escalations(api, SUP) == []
    assert [t["refers_to"] for t in escalations(api, "committee")] == [task["id"]]
    api.complete(SUP, "adjust", {"adjustment": "改为班组现场指导", "change_helper": False}, iid)
    api.complete(HELPER_SB, "acknowledge", {"acknowledged": True, "plan": "下周起到班组指导"}, iid)
    assert api.get(f"/api/instances/{iid}", SUP).get_json()["outcome"] == "adjusted"


def test_requests_are_scoped_to_the_branch_and_its_pairing(api):
    other = open_pairing(api)  # 机关二支部
    r = api.post("/api/instances", SEC_SB, json={"process": "resource_request", "variables": dict(REQUEST, pairing=other)})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "variables.pairing"
    r = api.post("/api/instances", SEC_SB, json={"process": "resource_request",
                                                 "variables": dict(REQUEST, pairing="00000000-0000-0000-0000-000000000000")})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "variables.pairing"
    # a secretary files requests for her own branch only; a helper cannot file them
    start(api, "resource_request", dict(REQUEST, branch="jg2"), expect=403)
    start(api, "guidance_feedback", FEEDBACK, user=HELPER_SB, expect=403)
    with api.svc.uow() as uow:
        assert uow.queries.instance_page(process="resource_request")[1] == 0
