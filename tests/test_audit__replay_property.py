"""Property: for random valid paths through the diagrams — completions mixed with the task operations
(send back, withdraw, transfer, delegate, countersign, claim and release, urge, carbon copy, terminate) —
replaying the log to any event reproduces the state that was stored right after it, and the whole log
verifies. The live steps run on warm workflows (kept in memory between steps) and replay loads and dumps
at every event: both must agree."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Api, build_app
from service.flows import audit
from service.flows.timers import fire_due
from scenarios import CORE_MET, START, SUP

USER_OF_ROLE = {"helper": "supervisor", "secretary": "sec_jg2", "branch_committee": "wei_jg2",
                "supervisor": "supervisor", "committee": "committee", "admin": "admin"}
PLAN = {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-06-30"}]}


def form_data(element: str, draw, seen: dict) -> dict:
    """Valid data for each user task (``seen``: the process data it sees); the fields that route the process
    are drawn."""
    fixed = {
        "sign_helper": {"signed": True}, "sign_secretary": {"signed": True}, "file_letter": {"archive_no": "A1"},
        "diagnosis": {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账", "description": "缺失"}],
                      "summary": "台账薄弱"},
        "supply_tools": {"tools": [{"name": "台账模板"}]}, "improvement_plan": PLAN, "urgent_plan": PLAN,
        "remake_plan": PLAN, "confirm_plan": {"plan_confirmed": True}, "confirm_urgent": {"plan_confirmed": True},
        "confirm_remake": {"plan_confirmed": True},
        "monthly_progress": {"progress": "进展顺利", "completion_rate": 50},
        "remedial": {"talked_with_secretary": True, "measures": "本周补录"},
        "knowledge_quiz": {"participants": 12, "average_score": 88},
        "helper_report": {"summary": "本季度下沉指导六次，台账基本补齐"},
        "interview": {"interviewed_on": "2026-06-02", "notes": "指出差距"},
        "final_interview": {"interviewed_on": "2026-07-06", "rectify_by": "2026-08-31", "notes": "限期整改",
                            "problems": [{"title": "台账不全"}]},
        "review_reason": {"opinion": "纳入明年预算", "next_step": "纳入下季度计划"},
        "adjust": {"adjustment": "改为班组现场指导", "change_helper": False},
        "acknowledge": {"acknowledged": True, "plan": "下周执行"},
    }
    if element in fixed:
        return fixed[element]
    if element == "spot_check":
        return {"indicators": "台账齐全率", "behind_plan": draw(st.booleans())}
    if element == "assessment":
        return {"score": draw(st.sampled_from([55, 59.99, 60, 79.99, 80, 95]))}
    if element == "guidance_visits":  # two visits inside the task's own month
        return {"visits": [{"date": seen["month_first"], "content": "指导台账"}, {"date": seen["month_last"], "content": "指导党课"}]}
    if element == "acceptance":
        return dict(CORE_MET, target_results=[{"name": t["name"], "met": draw(st.booleans())} for t in START["targets"]])
    if element == "coordinate":
        resolved = draw(st.booleans())
        return {"departments": ["综合部"], "resolved": resolved, "measures": "已协调",
                **({} if resolved else {"reason_unresolved": "预算不足"})}
    raise AssertionError(f"no form data for {element}")


def open_tasks(api: Api, roots: list[str]) -> list[dict]:
    tasks = []
    for iid in roots:
        body = api.get(f"/api/instances/{iid}", SUP).get_json()
        tasks += body["open_tasks"]
        for child in body["children"]:
            if child["status"] == "running":
                tasks += api.get(f"/api/instances/{child['id']}", SUP).get_json()["open_tasks"]
    # a stable order (ids are random): the same draws must pick the same tasks when hypothesis replays
    return sorted(tasks, key=lambda t: (t["process"], t["element"], t["kind"], t["created_at"], t["name"]))


#: a colleague holding the same role in the walk's branch, for transfers and delegations
COLLEAGUE = {"sec_jg2": "wei_jg2", "wei_jg2": "sec_jg2", "supervisor": "committee", "committee": "supervisor"}


def operate(api: Api, task: dict, user: str, roots: list[str], draw) -> None:
    """One task operation on ``task``; every answer must be a success or a documented refusal."""
    op = draw(st.sampled_from(["send_back", "withdraw", "transfer", "delegate", "countersign", "claim_release",
                               "urge", "cc", "terminate"]), label="op")
    tid, other = task["id"], COLLEAGUE.get(user, "supervisor")
    if op == "send_back":
        targets = api.get(f"/api/tasks/{tid}/send-back", user).get_json()["items"]
        if targets:
            target = draw(st.sampled_from([t["element"] for t in targets]), label="target")
            r = api.post(f"/api/tasks/{tid}/send-back", user, json={"target": target, "reason": "请重新办理"})
            assert r.status_code == 200, r.get_json()
    elif op == "withdraw":
        done = api.get("/api/tasks/done", user, query_string={"per_page": 1}).get_json()["items"]
        if done:
            assert api.post(f"/api/tasks/{done[0]['id']}/withdraw", user).status_code in (200, 409)
    elif op == "transfer":
        assert api.post(f"/api/tasks/{tid}/transfer", user, json={"to": other, "reason": "工作调整"}).status_code in (200, 422)
    elif op == "delegate":
        assert api.post(f"/api/tasks/{tid}/delegate", user, json={"to": other, "reason": "请代为起草"}).status_code == 200
    elif op == "countersign":
        when = draw(st.sampled_from(["before", "after"]), label="when")
        assert api.post(f"/api/tasks/{tid}/countersign", user,
                        json={"signer": "supervisor" if user != "supervisor" else "committee", "when": when,
                              "reason": "请审核"}).status_code == 201
    elif op == "claim_release":
        assert api.post(f"/api/tasks/{tid}/claim", user).status_code in (200, 403, 409)
        assert api.post(f"/api/tasks/{tid}/release", user).status_code in (200, 403, 409)
    elif op == "urge":
        assert api.post(f"/api/tasks/{tid}/urge", "supervisor", json={}).status_code in (200, 429)
    elif op == "cc":
        assert api.post(f"/api/instances/{task['instance_id']}/cc", user, json={"recipients": ["auditor"]}).status_code == 200
    elif op == "terminate" and task["instance_id"] in roots[1:]:  # a request or a feedback, never the pairing
        assert api.post(f"/api/instances/{task['instance_id']}/terminate", "supervisor",
                        json={"reason": "重复提交"}).status_code == 200


def stored_states(api: Api) -> dict[tuple[str, int], str]:
    with api.svc.uow() as uow:
        return {(i.id, i.version): i.state for i in uow.queries.instance_page(limit=1000)[0]}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_replay_reproduces_every_stored_state(data):
    api = Api(build_app(Path(tempfile.mkdtemp())))
    r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": START})
    pairing = r.get_json()["id"]
    roots = [pairing]
    for process, variables in (("resource_request", {"branch": "jg2", "pairing": pairing, "category": "场地",
                                                     "need": "活动室", "reason": "开展主题党日"}),
                               ("guidance_feedback", {"branch": "jg2", "issue": "指导偏重台账", "expectation": "结合业务"})):
        r = api.post("/api/instances", "sec_jg2", json={"process": process, "variables": variables})
        assert r.status_code == 201, r.get_json()
        roots.append(r.get_json()["id"])
    seen = stored_states(api)
    steps = 0  # completions of user tasks: each one runs on the workflow this app kept warm
    for _ in range(data.draw(st.integers(min_value=30, max_value=90), label="steps")):
        if data.draw(st.integers(0, 9), label="wait") == 0:  # let time pass: reminders, escalations
            api.travel(api.svc.clock.now() + timedelta(hours=data.draw(st.sampled_from([5, 30, 80, 200]))))
            fire_due(api.svc)
        else:
            tasks = open_tasks(api, roots)
            if not tasks:
                break
            task = data.draw(st.sampled_from(tasks), label="task")
            user = task["assignee"] or USER_OF_ROLE[task["role"]]
            if task["kind"] in ("sign_before", "sign_after"):
                r = api.post(f"/api/tasks/{task['id']}/complete", user,
                             json={"data": {"approved": data.draw(st.booleans(), label="approve")}})
                assert r.status_code == 200, r.get_json()
                seen.update(stored_states(api))
                continue
            if task["kind"] == "user" and data.draw(st.integers(0, 3), label="operate") == 0:
                operate(api, task, user, roots, data.draw)
                seen.update(stored_states(api))
                continue
            body = {"comment": "请尽快办理"} if task["kind"] == "escalation" else form_data(
                task["element"], data.draw, api.get(f"/api/tasks/{task['id']}", user).get_json().get("process_data") or {})
            r = api.post(f"/api/tasks/{task['id']}/complete", user, json={"data": body})
            assert r.status_code in (200, 409), (task["element"], r.get_json())  # 409: a 前加签 still open
            steps += task["kind"] == "user" and r.status_code == 200 and not api.get(
                f"/api/tasks/{task['id']}", user).get_json().get("draft")
        seen.update(stored_states(api))
    # completions ran on warm workflows (engine.cache): the states they stored are checked below too
    assert api.svc.workflows.hits >= steps // 2
    # every state ever stored is what replay gives right after that event
    records = {}
    with api.svc.uow() as uow:
        for inst in uow.queries.instance_page(limit=1000)[0]:
            records[inst.id] = audit.record_of(uow, inst)
    for (iid, version), state in seen.items():
        rec = records[iid]
        bundle = audit.bundle_of_record(api.svc, rec)
        for faithful in (False, True):  # in-memory replay and the live path's load-step-dump agree
            _, replayed = audit.Replayer(api.svc, rec.schedules).run(bundle, iid, rec.events, version, faithful)
            assert replayed == state, f"instance {iid} at event {version} (faithful={faithful})"
    reports = list(audit.verify_all(api.svc))
    assert reports and all(r.ok for r in reports), [r for r in reports if not r.ok]
