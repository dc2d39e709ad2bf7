"""A quarter of 党员标准化责任认领 for 机关一支部 through the API with time travel: the post list published at
the 党员大会, every member's claim (one sent back), the 公示 with an objection, the weekly and monthly checks
of the 《党员履职台账》 (one missed and escalated), the monthly 党小组会 with 晒履职 in both groups, the
monthly scores at the band edges, the 公示栏 and the points ledger; every instance then verifies."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from service.flows.timers import fire_due

T = datetime.fromisoformat
BRANCH, SEC, WEI, SUP = "jg1", "sec_jg1", "wei_jg1", "supervisor"
MEMBERS = [f"jg1_m{i:02d}" for i in range(1, 11)]
POSTS = [
    {"code": "B1", "kind": "basic", "title": "学习教育岗", "duty": "按时参加组织生活，完成学习任务"},
    {"code": "B2", "kind": "basic", "title": "安全生产岗", "duty": "本岗位零违章，带头落实安全规程"},
    {"code": "T1", "kind": "tough", "title": "台账规范攻坚岗", "duty": "牵头补齐支部标准化台账"},
    {"code": "S1", "kind": "service", "title": "群众服务岗", "duty": "每月走访联系群众不少于2人"},
]


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path, now=T("2026-04-01T09:00:00+08:00")))  # the quarter's first day


def instance(api, iid):
    return api.get(f"/api/instances/{iid}", SUP).get_json()


def children(api, parent, process):
    items = api.get("/api/instances", SUP, query_string={"process": process, "per_page": 200}).get_json()["items"]
    return [i for i in items if i["parent_id"] == parent]


def task_of(api, user, element, iid):
    found = [t for t in api.inbox(user) if t["element"] == element and t["instance_id"] == iid]
    assert found, f"{user} has no {element} in {iid}"
    return found[0]


def done(api, user, element, iid, data, expect=200):
    t = task_of(api, user, element, iid)
    r = api.post(f"/api/tasks/{t['id']}/complete", user, json={"data": data})
    assert r.status_code == expect, r.get_json()
    return r


def claims_by_member(api, quarter_iid):
    return {instance(api, c["id"])["data"]["member"]: c["id"] for c in children(api, quarter_iid, "duty_claim")}


def open_quarter(api):
    r = api.post("/api/duty/quarters", SUP, json={"quarter": "2026Q2", "branches": [BRANCH]})
    assert r.status_code == 201 and r.get_json()["started"] == 1, r.get_json()
    again = api.post("/api/duty/quarters", SUP, json={"quarter": "2026Q2"}).get_json()
    assert (again["started"], again["skipped"]) == (4, 1)  # the other four branches; jg1 is not opened twice
    iid = r.get_json()["ids"][0]
    assert [m["member"] for m in instance(api, iid)["data"]["members"]] == MEMBERS
    done(api, SEC, "publish_posts", iid, {"meeting_date": "2026-04-01", "posts": POSTS, "claim_by": "2026-04-08"})
    return iid


def claim_all(api, quarter_iid) -> dict:
    claims = claims_by_member(api, quarter_iid)
    assert sorted(claims) == MEMBERS  # one personal claim per member
    served = api.get(f"/api/tasks/{task_of(api, 'jg1_m01', 'fill_claim', claims['jg1_m01'])['id']}", "jg1_m01").get_json()
    basic, extra = served["form"]["properties"]["basic"]["items"], served["form"]["properties"]["extra"]
    assert basic["x-enum-labels"] == {"B1": "学习教育岗", "B2": "安全生产岗"}
    assert extra["enum"] == ["T1", "S1"]  # the voluntary posts to pick from
    bad = done(api, "jg1_m01", "fill_claim", claims["jg1_m01"], {"basic": ["T1"], "strengths": "熟悉台账"}, expect=422)
    assert [e["field"] for e in bad.get_json()["error"]["errors"]] == ["data.basic.0"]
    for i, m in enumerate(MEMBERS):
        extra = {"extra": "T1" if i % 2 == 0 else "S1"} if i < 4 else {}
        done(api, m, "fill_claim", claims[m], {"basic": ["B1" if i % 2 == 0 else "B2"], "strengths": "认真负责", **extra})
    for m in MEMBERS:
        approved = m != "jg1_m03"
        done(api, WEI, "review_claim", claims[m], {"approved": approved,
                                                    "review_reason": "" if approved else "攻坚岗与本人岗位不符，请重新认领"})
    sent_back = instance(api, claims["jg1_m03"])
    assert sent_back["status"] == "running" and sent_back["data"]["sent_back_count"] == 1
    assert sent_back["data"]["review_reason"].startswith("攻坚岗")
    return claims


def test_a_quarter_of_duty_claiming_for_one_branch(api):
    quarter_iid = open_quarter(api)
    claims = claim_all(api, quarter_iid)
    # the 公示 waits for every claim to be reviewed
    publicity = {"claims_reviewed": True, "publicity_from": "2026-04-09", "publicity_until": "2026-04-15", "place": "党员活动室公示栏"}
    refused = done(api, WEI, "publicize", quarter_iid, publicity, expect=422)
    assert refused.get_json()["error"]["errors"][0]["field"] == "data.claims_reviewed"
    done(api, "jg1_m03", "fill_claim", claims["jg1_m03"], {"basic": ["B1"], "extra": "S1", "strengths": "善于沟通"})
    done(api, WEI, "review_claim", claims["jg1_m03"], {"approved": True})
    done(api, WEI, "publicize", quarter_iid, publicity)
    board = api.get("/api/duty/claims", "jg1_m05", query_string={"branch": BRANCH, "quarter": "2026Q2"}).get_json()
    assert len(board["items"]) == 10 and board["items"][2]["posts"][1]["title"] == "群众服务岗"
    # the period ends: objections are recorded and resolved
    assert not [t for t in api.inbox(WEI) if t["element"] == "resolve_objections"]
    api.travel(T("2026-04-15T18:00:01+08:00"))
    fire_due(api.svc)
    done(api, WEI, "resolve_objections", quarter_iid, {"objections": [
        {"member": "jg1_m05", "raised_by": "车间群众", "content": "该同志长期出差，难以履行安全生产岗",
         "resolution": "经核实已调回本部，维持认领", "upheld": False}], "summary": "公示期内收到异议1条"})
    assert instance(api, quarter_iid)["outcome"] == "published"

    # weekly checks of each 基础岗, monthly checks of each 攻坚岗/服务岗, by area (分片)
    api.travel(T("2026-04-20T09:00:00+08:00"))
    weekly = api.post("/api/duty/checks", SUP, json={"kind": "weekly", "day": "2026-04-20"}).get_json()
    monthly = api.post("/api/duty/checks", SUP, json={"kind": "monthly", "day": "2026-04-20"}).get_json()
    assert weekly["started"] >= 2 and monthly["started"] >= 1
    checks = [instance(api, i) for i in weekly["ids"] if instance(api, i)["branch"] == BRANCH]
    assert sorted(c["data"]["checker"] for c in checks) == [SEC, WEI]
    assert sorted(i["member"] for c in checks for i in c["data"]["items"]) == MEMBERS
    assert checks[0]["data"]["due"] == "2026-04-24"  # the week's last working day
    mine = next(c for c in checks if c["data"]["checker"] == SEC)
    done(api, SEC, "check_duties", mine["id"], {"results": [
        {"member": i["member"], "post": i["post"], "met": True, "note": "已抽查"} for i in mine["data"]["items"]]})
    missed = next(c for c in checks if c["data"]["checker"] == WEI)
    api.travel(T("2026-04-24T18:00:01+08:00"))
    fire_due(api.svc)
    escalated = [t for t in api.inbox(SEC) if t["kind"] == "escalation" and t["instance_id"] == missed["id"]]
    assert escalated and (escalated[0]["role"], escalated[0]["branch"]) == ("secretary", BRANCH)
    assert not [t for t in api.inbox("sec_sc1") if t["kind"] == "escalation"]  # not another branch's secretary

    # the monthly 党小组会 of both groups, with every member's 晒履职
    api.travel(T("2026-04-27T09:00:00+08:00"))
    meetings = api.post("/api/duty/meetings", SUP, json={"month": "2026-04"}).get_json()
    assert meetings["started"] == 14
    ours = [instance(api, i) for i in meetings["ids"] if instance(api, i)["branch"] == BRANCH]
    assert sorted(m["data"]["leader"] for m in ours) == ["jg1_m01", "jg1_m02"]
    for n, meeting in enumerate(ours):
        leader, members = meeting["data"]["leader"], [m["member"] for m in meeting["data"]["members"]]
        agenda = {"planned_date": "2026-04-28", "topics": ["晒履职", "学习标准化要求"]}
        done(api, leader, "propose_agenda", meeting["id"], agenda)
        if n == 0:  # the branch sends the first agenda back once
            done(api, SEC, "agree_agenda", meeting["id"], {"agenda_approved": False, "agenda_comment": "增加思想汇报议题"})
            done(api, leader, "propose_agenda", meeting["id"], dict(agenda, topics=agenda["topics"] + ["思想汇报"]))
        done(api, SEC, "agree_agenda", meeting["id"], {"agenda_approved": True})
        done(api, leader, "hold_meeting", meeting["id"], {
            "notified_on": "2026-04-27", "held_on": "2026-04-28", "attendance": members, "minutes": "会议按议程进行",
            "reports": [{"member": m, "done": "完成本岗位工作", "met": True, "problems": ""} for m in members],
            "thoughts": [{"member": members[0], "summary": "加强学习，提高履职能力"}]})
        assert instance(api, meeting["id"])["outcome"] == "filed"

    # the month's scores at the band edges, the 公示栏 and the points
    scores = api.post("/api/duty/scores", SUP, json={"month": "2026-04", "branches": [BRANCH]}).get_json()
    score_iid = scores["ids"][0]
    seen = {m["member"]: m for m in instance(api, score_iid)["data"]["members"]}
    checked = mine["data"]["items"][0]["member"]  # the secretary's area was checked, the other's missed
    assert (seen[checked]["checks"], seen[checked]["checks_met"]) == (1, 1)
    assert sum(m["checks"] for m in seen.values()) == len(mine["data"]["items"])
    given = dict(zip(MEMBERS, [85, 84, 60, 59, 90, 75, 70, 65, 88, 100]))
    done(api, WEI, "score_members", score_iid, {"scores": [{"member": m, "score": s, "basis": "台账+核查"} for m, s in given.items()]})
    unpublished = api.get("/api/duty/board", "jg1_m07", query_string={"branch": BRANCH, "month": "2026-04"}).get_json()
    assert unpublished["published"] is False and unpublished["items"] == []
    done(api, SEC, "publish_scores", score_iid, {"published_on": "2026-04-30", "place": "党员活动室公示栏"})
    board = api.get("/api/duty/board", "jg1_m07", query_string={"branch": BRANCH, "month": "2026-04"}).get_json()
    bands = {i["member"]: i["band_label"] for i in board["items"]}
    assert (bands["jg1_m01"], bands["jg1_m02"], bands["jg1_m03"], bands["jg1_m04"]) == ("履职优秀", "履职合格", "履职合格", "履职不达标")
    points = api.get("/api/points", "jg1_m01").get_json()
    assert points["total"] == 85 and points["items"][0]["period"] == "2026-04"
    assert api.get("/api/points", "sc1_m01", query_string={"username": "jg1_m02"}).status_code == 403
    assert len(api.get("/api/points", SEC, query_string={"branch": BRANCH}).get_json()["items"]) == 10

    # every instance of the quarter verifies
    ids = [quarter_iid, *claims.values(), *(c["id"] for c in checks), *(m["id"] for m in ours), score_iid]
    for iid in ids:
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True, iid
