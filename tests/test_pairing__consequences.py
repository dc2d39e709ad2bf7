"""The pairing's consequences as the letter and the seed write them: acceptance against every target of the
letter and the two core targets, joint plans, 限期整改 as a ticket, and separation of duties."""
from __future__ import annotations

import pytest

from scenarios import (CORE_MET, SUP, WEI, assessor, at_china, instance,
                       open_pairing, run_term, term_end, through_plan, to_supply_tools, travel)


def accept(api, iid, expect=200, **fields):
    body = dict(CORE_MET, target_results=[{"name": "台账齐全率", "met": True}, {"name": "三会一课完成率", "met": True}])
    body.update(fields)
    who = assessor(api, iid)
    r = api.post(f"/api/tasks/{api.task(who, 'acceptance', iid)['id']}/complete", who, json={"data": body})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_acceptance_judges_every_target_of_the_letter_by_name(api):
    iid = open_pairing(api)
    through_plan(api, iid)
    run_term(api, iid)
    term_end(api, iid)
    before = instance(api, iid)["version"]
    for results, why in (([{"name": "台账齐全率", "met": True}], "缺少：三会一课完成率"),
                         ([{"name": "台账齐全率", "met": True}, {"name": "三会一课完成率", "met": True},
                           {"name": "自拟指标", "met": True}], "责任书中没有这些目标：自拟指标")):
        r = accept(api, iid, expect=422, target_results=results)
        [error] = r["error"]["errors"]
        assert error["field"] == "data.target_results" and why in error["message_zh"]
    assert instance(api, iid)["version"] == before  # nothing changed
    accept(api, iid)
    assert instance(api, iid)["outcome"] == "qualified"


@pytest.mark.parametrize("core", [{"handbook_practice_included": False}, {"survey_awareness": 99.5},
                                  {"survey_satisfaction": 84.9}])
def test_acceptance_fails_without_the_handbook_practice_or_the_members_survey(api, core):
    iid = open_pairing(api)
    through_plan(api, iid)
    run_term(api, iid)
    term_end(api, iid)
    accept(api, iid, **core)
    assert "urgent_plan" in {t["element"] for t in api.inbox(WEI) if t["instance_id"] == iid}
    assert instance(api, iid)["data"]["acceptances"] == [{"extended": False, "accepted": False}]


def test_the_plan_is_made_together_the_helper_confirms_or_sends_it_back(api):
    iid = open_pairing(api, branch="sb", helper="zonghe")
    for user, element, data in (("zonghe", "sign_helper", {"signed": True}), ("sec_sb", "sign_secretary", {"signed": True}),
                                (SUP, "file_letter", {"archive_no": "A"}),
                                ("zonghe", "diagnosis", {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [
                                    {"title": "台账", "description": "缺失"}], "summary": "薄弱"}),
                                ("zonghe", "supply_tools", {"tools": [{"name": "模板"}]})):
        api.complete(user, element, data, iid)
    plan = {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}
    api.complete("wei_sb", "improvement_plan", plan, iid)
    task = api.task("zonghe", "confirm_plan", iid)
    assert task["assignee"] == "zonghe"  # the helper named in the pairing, personally
    r = api.post(f"/api/tasks/{task['id']}/complete", "zonghe", json={"data": {"plan_confirmed": False}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "data.comment"  # say why
    api.complete("zonghe", "confirm_plan", {"plan_confirmed": False, "comment": "缺少完成时限的分解"}, iid)
    api.complete("wei_sb", "improvement_plan", plan, iid)
    api.complete("zonghe", "confirm_plan", {"plan_confirmed": True}, iid)
    history = api.get(f"/api/instances/{iid}/history", "auditor").get_json()
    steps = [e["element"] for e in history if e["type"] == "complete" and e["element"] in ("improvement_plan", "confirm_plan")]
    assert steps == ["improvement_plan", "confirm_plan"] * 2
    # who the rule gave each confirmation to, and by which rule, is in the history
    given = [(e["data"]["assignee"], e["data"]["rule"], e["actor"]) for e in history
             if e["type"] == "assigned" and e["element"] == "confirm_plan"]
    assert given == [("zonghe", "assignee_field:helper", "system")] * 2
    assert instance(api, iid)["data"]["term_last"] == "2026-06-30"  # the term is scheduled once confirmed


def test_a_helper_never_assesses_accepts_or_receives_escalations_of_their_own_pairing(api):
    """党群部部长 (supervisor) is 机关二支部's helper: his pairing's assessment and acceptance go to 党委, and his own
    overdue duty escalates to 党委, not to his own inbox; 设备党支部's pairing (helper 综合部部长) stays with 党群部."""
    own, other = open_pairing(api), open_pairing(api, branch="sb", helper="zonghe")
    for iid in (own, other):
        through_plan(api, iid)
        run_term(api, iid)
        term_end(api, iid)
    assert {t["element"] for t in api.inbox(SUP) if t["instance_id"] == own} == set()
    assert {t["element"] for t in api.inbox("committee") if t["instance_id"] == own} == {"acceptance"}
    assert {t["element"] for t in api.inbox(SUP) if t["instance_id"] == other} == {"acceptance"}
    r = api.post(f"/api/tasks/{api.task('committee', 'acceptance', own)['id']}/complete", SUP, json={"data": {}})
    assert r.status_code == 403


def test_the_helpers_own_overdue_duty_escalates_past_him(api):
    own = to_supply_tools(api)  # helper: supervisor; tools due Thu 5 March 18:00
    other = to_supply_tools(api, "sb", "zonghe")
    travel(api, at_china("2026-03-05", "18:01"))
    notices = {(t["instance_id"], t["role"]) for r in ("supervisor", "committee") for t in api.inbox(r)
               if t["kind"] == "escalation"}
    assert notices == {(own, "committee"), (other, "supervisor")}
