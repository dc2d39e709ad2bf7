"""Work that reaches nobody: refused at the start, routed to 党群部 where the diagram says so, and listed
when its last holder goes, for an admin or the supervisor to assign to a person."""
from __future__ import annotations

from datetime import datetime

from click.testing import CliRunner

from service.cli import main as cli
from service.flows.timers import fire_due
from scenarios import REQUEST, file_ticket, open_pairing, to_supply_tools

T = datetime.fromisoformat
HELPER_SC1 = "jiwei"


def run(api, tmp_path, *args):
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    return CliRunner().invoke(cli, list(args), env=env)


def test_a_resource_request_of_a_branch_without_a_helper_goes_to_the_supervisor(api):
    """机关一支部 has no helper: 党群部 coordinates its requests (the diagram's fallback_role)."""
    r = api.post("/api/instances", "sec_jg1", json={"process": "resource_request",
                                                      "variables": dict(REQUEST, branch="jg1")})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    task = api.task("supervisor", "coordinate", iid)
    assert task["role"] == "supervisor" and task["branch"] == "jg1"
    api.complete("supervisor", "coordinate", {"departments": ["综合部"], "resolved": True, "measures": "调配会议室"}, iid)
    assert api.get(f"/api/instances/{iid}", "supervisor").get_json()["outcome"] == "resolved"
    # a branch with a helper keeps its helper
    sb = api.post("/api/instances", "sec_sb", json={"process": "resource_request", "variables": REQUEST}).get_json()
    assert api.task("zonghe", "coordinate", sb["id"])["role"] == "helper"


def test_a_start_whose_first_task_reaches_nobody_is_refused_naming_the_role(api, tmp_path):
    assert run(api, tmp_path, "users", "disable", "sec_sb").exit_code == 0
    r = api.post("/api/instances", "supervisor", json={"process": "rectification", "variables": {
        "branch": "sb", "source": "problem_list", "title": "党员活动室制度未上墙", "rectify_by": "2026-03-13"}})
    assert r.status_code == 422
    error = r.get_json()["error"]["errors"][0]
    assert error["field"] == "variables.branch" and "secretary" in error["message"] and "设备党支部" in error["message"]
    with api.svc.uow() as uow:
        assert uow.queries.instance_page(process="rectification")[1] == 0  # nothing was started
    assert run(api, tmp_path, "users", "enable", "sec_sb").exit_code == 0
    file_ticket(api, user="supervisor")


def test_a_disabled_helper_leaves_stranded_tasks_an_admin_assigns_and_the_new_holder_completes(api, tmp_path):
    iid = to_supply_tools(api)  # another instance, left untouched: it still verifies
    sc1 = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": {
        "branch": "sc1", "helper": HELPER_SC1, "term_start": "2026-03-02", "months": 3,
        "targets": [{"name": "台账齐全率", "target": "100%"}]}}).get_json()["id"]
    sign = api.task(HELPER_SC1, "sign_helper", sc1)
    assert api.get("/api/tasks/stranded", "admin").get_json()["items"] == []

    assert run(api, tmp_path, "users", "disable", HELPER_SC1).exit_code == 0
    stranded = api.get("/api/tasks/stranded", "supervisor").get_json()["items"]
    assert [(s["task"]["id"], s["task"]["role"]) for s in stranded] == [(sign["id"], "helper")]
    # the helper's tasks are personal to the helper the pairing names: stranded because that account is off
    assert HELPER_SC1 in stranded[0]["reason"] and "disabled" in stranded[0]["reason"]
    assert api.get("/api/tasks/stranded", "sec_sc1").status_code == 403
    listed = run(api, tmp_path, "tasks", "stranded")
    assert listed.exit_code == 0 and sign["id"] in listed.stdout

    # assign to someone who may answer for it: not an auditor, not a member of another branch
    for who, field in (("auditor", "assignee"), ("sec_jg1", "assignee"), ("nobody", "assignee")):
        r = api.post(f"/api/tasks/{sign['id']}/assign", "admin", json={"assignee": who, "reason": "帮扶人停用"})
        assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == field, (who, r.get_json())
    r = api.post(f"/api/tasks/{sign['id']}/assign", "admin",
                 json={"assignee": "supervisor", "reason": "帮扶人停用，由党群部代为签署"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "supervisor"
    assert api.get("/api/tasks/stranded", "admin").get_json()["items"] == []
    # a personal task: in the supervisor's inbox although not sc1's helper; nobody else acts on it, not even
    # the helper back in office
    assert sign["id"] in {t["id"] for t in api.inbox("supervisor")}
    assert run(api, tmp_path, "users", "enable", HELPER_SC1).exit_code == 0
    api.tokens.pop(HELPER_SC1)  # disabling revoked the helper's token: a new login
    r = api.post(f"/api/tasks/{sign['id']}/complete", HELPER_SC1, json={"data": {"signed": True}})
    assert r.status_code == 403 and "assigned to supervisor" in r.get_json()["error"]["message"]
    api.complete("supervisor", "sign_helper", {"signed": True}, sc1)
    history = api.get(f"/api/instances/{sc1}/history", "auditor").get_json()
    assign = [e for e in history if e["type"] == "assign"]
    assert [(e["actor"], e["data"]["assignee"], e["data"]["reason"]) for e in assign] == [
        ("admin", "supervisor", "帮扶人停用，由党群部代为签署")]
    assert [e["actor"] for e in history if e["type"] == "complete"] == ["supervisor"]
    assert api.get(f"/api/instances/{sc1}/verify", "auditor").get_json()["ok"] is True
    assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True


def to_supply_tools_of_sc1(api) -> str:
    """A pairing of 生产一支部 (helper: 纪委副书记) waiting on the helper's 3-working-day duty."""
    iid = open_pairing(api, branch="sc1", helper=HELPER_SC1)
    api.complete(HELPER_SC1, "sign_helper", {"signed": True}, iid)
    api.complete("sec_sc1", "sign_secretary", {"signed": True}, iid)
    api.complete("supervisor", "file_letter", {"archive_no": "A1"}, iid)
    api.complete(HELPER_SC1, "diagnosis", {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [
        {"title": "台账", "description": "缺失"}], "summary": "薄弱"}, iid)
    return iid


def test_the_escalation_of_a_stranded_duty_reaches_the_supervisor(api, tmp_path):
    iid = to_supply_tools_of_sc1(api)
    duty = api.task(HELPER_SC1, "supply_tools", iid)
    assert run(api, tmp_path, "users", "disable", HELPER_SC1).exit_code == 0
    assert [s["task"]["id"] for s in api.get("/api/tasks/stranded", "admin").get_json()["items"]] == [duty["id"]]
    api.travel(T("2026-03-05T18:00:01+08:00"))
    fire_due(api.svc)
    escalations = [t for t in api.inbox("supervisor") if t["kind"] == "escalation"]
    assert [t["refers_to"] for t in escalations] == [duty["id"]]


def test_an_escalation_whose_target_nobody_holds_goes_up_to_the_committee(api, tmp_path):
    iid = to_supply_tools_of_sc1(api)
    duty = api.task(HELPER_SC1, "supply_tools", iid)
    assert run(api, tmp_path, "users", "disable", "supervisor").exit_code == 0
    api.travel(T("2026-03-05T18:00:01+08:00"))
    fire_due(api.svc)
    escalations = [t for t in api.inbox("committee") if t["kind"] == "escalation"]
    assert [(t["refers_to"], t["escalation_level"], t["role"]) for t in escalations] == [(duty["id"], 1, "committee")]
    history = api.get(f"/api/instances/{iid}/history", "auditor").get_json()
    assert [e["data"]["to"] for e in history if e["type"] == "escalation"] == ["committee"]
