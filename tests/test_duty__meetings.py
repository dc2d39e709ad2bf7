"""A party group's monthly 党小组会 not filed by the month's last working day: reminded, then escalated to its
branch's own secretary (not another branch's, not 党群部); a filed one raises nothing."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from service.flows.timers import fire_due
from test_duty__lifecycle import SUP, done, instance

T = datetime.fromisoformat


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path, now=T("2026-04-01T09:00:00+08:00")))


def test_an_unfiled_group_meeting_is_escalated_to_its_branch_secretary(api):
    opened = api.post("/api/duty/meetings", SUP, json={"month": "2026-04"}).get_json()
    meetings = [instance(api, i) for i in opened["ids"]]
    sc1 = sorted((m for m in meetings if m["branch"] == "sc1"), key=lambda m: m["data"]["group_id"])
    assert len(sc1) == 4 and all(m["data"]["due"] == "2026-04-30" for m in sc1)
    filed, late = sc1[0], sc1[1]
    leader = filed["data"]["leader"]
    done(api, leader, "propose_agenda", filed["id"], {"planned_date": "2026-04-20", "topics": ["晒履职"]})
    done(api, "sec_sc1", "agree_agenda", filed["id"], {"agenda_approved": True})
    members = [m["member"] for m in filed["data"]["members"]]
    done(api, leader, "hold_meeting", filed["id"], {
        "notified_on": "2026-04-17", "held_on": "2026-04-20", "attendance": members, "minutes": "按议程进行",
        "reports": [{"member": m, "done": "完成本岗位工作", "met": True} for m in members]})
    done(api, late["data"]["leader"], "propose_agenda", late["id"], {"planned_date": "2026-04-29", "topics": ["晒履职"]})
    done(api, "sec_sc1", "agree_agenda", late["id"], {"agenda_approved": True})
    api.travel(T("2026-04-30T18:00:01+08:00"))
    fire_due(api.svc)
    escalations = [t for t in api.inbox("sec_sc1") if t["kind"] == "escalation"]
    assert [(t["instance_id"], t["role"], t["branch"]) for t in escalations] == [(late["id"], "secretary", "sc1")]
    assert not [t for t in api.inbox("sec_jg1") if t["kind"] == "escalation" and t["instance_id"] == late["id"]]
    assert not [t for t in api.inbox(SUP) if t["kind"] == "escalation" and t["instance_id"] == late["id"]]
    assert instance(api, filed["id"])["outcome"] == "filed"
    for m in (filed, late):
        assert api.get(f"/api/instances/{m['id']}/verify", "auditor").get_json()["ok"] is True
