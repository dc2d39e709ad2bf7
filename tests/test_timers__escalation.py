"""Duty deadlines through the API: reminder, overdue + supervisor escalation, committee escalation, closing."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from service.flows.timers import fire_due
from service.store.models import Outbox
from scenarios import SUP, fail_first_acceptance, open_pairing, through_plan, to_supply_tools

# the ladder as 设备党支部's pairing (helper 综合部部长) runs it: 党群部 receives the first escalation (a pairing whose
# helper is 党群部部长 himself escalates past him, to 党委: tests/test_pairing__consequences.py)
HELPER, SEC, WEI, SB = "zonghe", "sec_sb", "wei_sb", {"branch": "sb", "helper": "zonghe"}

T = datetime.fromisoformat


def outbox_count(api) -> int:
    with api.svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Outbox))


def test_three_working_day_duty_escalates_then_closes(api):
    iid = to_supply_tools(api, "sb", "zonghe")
    task = api.task(HELPER, "supply_tools", iid)
    assert task["due_at"] == "2026-03-05T10:00:00+00:00"  # Thu 5 Mar 18:00 CST
    # reminder 4 h before
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fired = fire_due(api.svc)
    assert [f["kind"] for f in fired.fired] == ["remind"] and outbox_count(api) == 1
    # due: overdue everywhere + escalation in the supervisor's inbox, exactly once
    api.travel(T("2026-03-05T18:00:01+08:00"))
    assert [f["kind"] for f in fire_due(api.svc).fired] == ["escalate"]
    assert fire_due(api.svc).fired == []
    assert api.task(HELPER, "supply_tools", iid)["overdue"] is True
    assert [t["element"] for t in api.inbox(HELPER, overdue=True)] == ["supply_tools"]
    escalations = [t for t in api.inbox(SUP) if t["kind"] == "escalation"]
    assert len(escalations) == 1 and escalations[0]["refers_to"] == task["id"]
    assert [t for t in api.inbox("committee") if t["kind"] == "escalation"] == []
    # two more working days: the committee
    api.travel(T("2026-03-09T18:00:01+08:00"))
    fire_due(api.svc)
    assert len([t for t in api.inbox("committee") if t["kind"] == "escalation"]) == 1
    # the duty stays completable; completing it closes both escalations
    api.complete(HELPER, "supply_tools", {"tools": [{"name": "模板"}]}, iid)
    assert [t for t in api.inbox(SUP) if t["kind"] == "escalation"] == []
    assert [t for t in api.inbox("committee") if t["kind"] == "escalation"] == []


def test_completing_before_the_deadline_cancels_every_timer(api):
    iid = to_supply_tools(api, "sb", "zonghe")
    api.complete(HELPER, "supply_tools", {"tools": [{"name": "模板"}]}, iid)
    api.travel(T("2026-04-30T00:00:00+08:00"))
    assert fire_due(api.svc).fired == []
    assert outbox_count(api) == 0


def test_deadline_endpoint(api):
    r = api.get("/api/calendar/deadline", SUP, query_string={"start": "2026-09-30T10:00:00+08:00", "rule": "3wd"})
    assert r.get_json()["due_local"] == "2026-10-10T18:00:00+08:00" and r.get_json()["provisional"] is False
    r = api.get("/api/calendar/deadline", SUP, query_string={"start": "2026-12-30T10:00:00+08:00", "rule": "3wd"})
    assert r.get_json()["provisional"] is True
    r = api.get("/api/calendar/deadline", SUP, query_string={"start": "2026-09-30T10:00:00", "rule": "9x"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["error"]["errors"]}
    assert fields and fields <= {"start", "rule"}, fields  # an empty list would pass a bare subset check


def escalations(api, user):
    return [t for t in api.inbox(user) if t["kind"] == "escalation"]


def test_twenty_four_hour_duty_after_a_spot_check_behind_plan(api):
    iid = open_pairing(api, term_start="2026-03-02", **SB)  # month 1 and its first week open with the plan
    through_plan(api, iid)
    child = [c for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"] if c["status"] == "running"][0]["id"]
    api.travel(T("2026-03-06T16:00:00+08:00"))  # a Friday: 24 h are natural hours, the weekend counts
    api.complete(HELPER, "spot_check", {"indicators": "台账齐全率", "behind_plan": True}, child)
    task = api.task(HELPER, "remedial", child)
    assert task["due_at"] == "2026-03-07T08:00:00+00:00"  # Sat 16:00 China time
    api.travel(T("2026-03-07T16:00:01+08:00"))
    fire_due(api.svc)
    assert [t["refers_to"] for t in escalations(api, SUP)] == [task["id"]]
    api.complete(HELPER, "remedial", {"talked_with_secretary": True, "measures": "周末补录台账"}, child)
    assert escalations(api, SUP) == []


def test_seven_working_day_urgent_plan_after_a_failed_acceptance(api):
    iid = fail_first_acceptance(api, **SB)
    task = api.task(WEI, "urgent_plan", iid)
    assert task["due_at"] is not None and task["overdue"] is False
    due = datetime.fromisoformat(task["due_at"])
    r = api.get("/api/calendar/deadline", SUP, query_string={"start": api.svc.clock.now().isoformat(), "rule": "7wd"})
    assert datetime.fromisoformat(r.get_json()["due"]) == due  # the diagram's timer is the calendar's 7wd
    api.travel(due + timedelta(seconds=1))
    fire_due(api.svc)
    assert api.task(WEI, "urgent_plan", iid)["overdue"] is True
    assert [t["refers_to"] for t in escalations(api, SUP)] == [task["id"]]
    # the branch (secretary and committee member alike) sees its overdue duty flagged
    assert [t["element"] for t in api.inbox(SEC, overdue=True)] == ["urgent_plan"]
