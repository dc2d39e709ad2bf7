"""Personal member duties: only their person sees and acts on them; when the person's account is disabled or
they move to another party group, their open personal duties go back to the branch committee (支委会), which
reassigns them; the history records each step."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from test_duty__lifecycle import POSTS, SEC, SUP, claims_by_member, done, instance, task_of

T = datetime.fromisoformat


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path, now=T("2026-04-01T09:00:00+08:00")))


def personal_claim(api) -> tuple[str, dict]:
    """jg1's quarter opened and published; jg1_m01's claim made personal to them: (claim instance, task)."""
    iid = api.post("/api/duty/quarters", SUP, json={"quarter": "2026Q2", "branches": ["jg1"]}).get_json()["ids"][0]
    done(api, SEC, "publish_posts", iid, {"meeting_date": "2026-04-01", "posts": POSTS, "claim_by": "2026-04-08"})
    claim = claims_by_member(api, iid)["jg1_m01"]
    task = task_of(api, "jg1_m01", "fill_claim", claim)
    if task["assignee"] is None:  # the branch committee hands it to its member
        r = api.post(f"/api/tasks/{task['id']}/assign", SEC, json={"assignee": "jg1_m01", "reason": "本人认领"})
        assert r.status_code == 200, r.get_json()
    return claim, task


def test_a_personal_duty_is_invisible_and_refused_to_other_members(api):
    claim, task = personal_claim(api)
    assert task["id"] in [t["id"] for t in api.inbox("jg1_m01")]
    assert task["id"] not in [t["id"] for t in api.inbox("jg1_m02")]
    r = api.post(f"/api/tasks/{task['id']}/complete", "jg1_m02", json={"data": {"basic": ["B1"], "strengths": "代填"}})
    assert r.status_code in (403, 404)
    # a member of the branch may not hand duties around; another branch's secretary neither
    assert api.post(f"/api/tasks/{task['id']}/assign", "jg1_m03", json={"assignee": "jg1_m03", "reason": "自己认领"}).status_code == 403
    assert api.post(f"/api/tasks/{task['id']}/assign", "sec_sc1", json={"assignee": "sc1_m01", "reason": "跨支部指派"}).status_code == 403
    done(api, "jg1_m01", "fill_claim", claim, {"basic": ["B1"], "strengths": "熟悉业务"})


def test_a_disabled_members_duty_goes_back_to_the_committee_which_reassigns_it(api):
    claim, task = personal_claim(api)
    r = api.call("PATCH", "/api/people/jg1_m01", "admin", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    back = task_of(api, "wei_jg1", "fill_claim", claim)
    assert back["id"] == task["id"] and back["assignee"] is None and back["role"] == "branch_committee"
    history = api.get(f"/api/instances/{claim}/history", "auditor").get_json()
    returned = [e for e in history if e["type"] == "return_to_branch"]
    assert len(returned) == 1 and returned[0]["data"]["previous"] == "jg1_m01"
    assert returned[0]["data"]["reason"] == "account disabled"
    r = api.post(f"/api/tasks/{task['id']}/assign", "wei_jg1", json={"assignee": "jg1_m02", "reason": "原认领人已停用"})
    assert r.status_code == 200, r.get_json()
    assert task["id"] not in [t["id"] for t in api.inbox("wei_jg1")]
    done(api, "jg1_m02", "fill_claim", claim, {"basic": ["B2"], "strengths": "代为认领"})
    assert api.get(f"/api/instances/{claim}/verify", "auditor").get_json()["ok"] is True


def test_moving_group_sends_the_open_personal_duties_back_and_the_cli_disable_does_too(api, tmp_path):
    claim, task = personal_claim(api)
    other = next(g for g in api.get("/api/groups", "admin", query_string={"branch": "jg1"}).get_json()["items"]
                 if "jg1_m01" not in [m["username"] for m in g["members"]])
    moved = api.call("PATCH", "/api/people/jg1_m01", "admin", json={"group_id": other["id"]}).get_json()
    assert moved["group_id"] == other["id"]
    assert task_of(api, "wei_jg1", "fill_claim", claim)["assignee"] is None
    history = api.get(f"/api/instances/{claim}/history", "auditor").get_json()
    assert [e["data"]["reason"] for e in history if e["type"] == "return_to_branch"] == ["moved to another party group"]
    # the committee gives it back; the CLI's disable returns it again
    assert api.post(f"/api/tasks/{task['id']}/assign", SEC, json={"assignee": "jg1_m01", "reason": "仍由本人认领"}).status_code == 200
    from test_org__api import run
    assert run(api, tmp_path, "users", "disable", "jg1_m01").exit_code == 0
    assert task_of(api, "wei_jg1", "fill_claim", claim)["assignee"] is None
    assert instance(api, claim)["status"] == "running"
    assert api.get(f"/api/instances/{claim}/verify", "auditor").get_json()["ok"] is True
