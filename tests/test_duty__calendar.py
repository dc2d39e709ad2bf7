"""The 党员责任认领 periods open on the calendar by themselves (``claiming.open_due``, run by the scheduler):
a quarter's claiming on its first day, a week's 基础岗 checks on its Monday, a month's 党小组会 on its first
day, its scoring from five working days before its last working day — each at 00:00 China time and not a
second before, once, with the deadline on the working-day calendar (调休 counted)."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from test_duty__lifecycle import MEMBERS, POSTS, SEC, SUP, WEI, children, claim_all, done, instance
from test_org__api import run
from service.flows import claiming
from service.scheduler import Scheduler

T = datetime.fromisoformat


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path, now=T("2026-03-31T23:59:59+08:00")))


def opened(api, process, **data) -> list[dict]:
    """Instances of ``process`` whose data holds ``data``."""
    items = api.get("/api/instances", SUP, query_string={"process": process, "per_page": 200}).get_json()["items"]
    full = [instance(api, i["id"]) for i in items]
    return [i for i in full if all(i["data"].get(k) == v for k, v in data.items())]


def started(result) -> dict:
    return {kind: outcome["started"] for kind, outcome in result.items()}


def test_each_period_opens_on_its_day_and_not_before(api):
    # the last second of March: Q1 and March are current (March's scoring window opened on the 25th)
    before = claiming.open_due(api.svc)
    assert started(before) == {"quarter": 5, "weekly_checks": 0, "monthly_checks": 0, "meetings": 14, "scores": 5}
    assert not opened(api, "duty_quarter", quarter="2026Q2") and not opened(api, "group_meeting", month="2026-04")

    api.travel(T("2026-04-01T00:00:00+08:00"))
    first = claiming.open_due(api.svc)
    assert started(first) == {"quarter": 5, "weekly_checks": 0, "monthly_checks": 0, "meetings": 14}
    assert sorted(q["branch"] for q in opened(api, "duty_quarter", quarter="2026Q2")) == ["jg1", "jg2", "sb", "sc1", "sc2"]
    assert all(q["created_at"].startswith("2026-03-31T16:00:00") for q in opened(api, "duty_quarter", quarter="2026Q2"))
    meetings = opened(api, "group_meeting", month="2026-04", branch="jg1")
    assert [m["data"]["due"] for m in meetings] == ["2026-04-30", "2026-04-30"]
    assert sorted(t["element"] for t in api.inbox("jg1_m01") if t["instance_id"] in {m["id"] for m in meetings}) == ["propose_agenda"]
    again = claiming.open_due(api.svc)  # the scheduler runs every few minutes: nothing twice
    assert started(again) == {"quarter": 0, "weekly_checks": 0, "monthly_checks": 0, "meetings": 0}
    assert again["quarter"]["skipped"] == 5 and again["meetings"]["skipped"] == 14

    # claims approved during the first day: that week's and month's checks open at the next run, the same day
    quarter = opened(api, "duty_quarter", quarter="2026Q2", branch="jg1")[0]["id"]
    done(api, SEC, "publish_posts", quarter, {"meeting_date": "2026-04-01", "posts": POSTS, "claim_by": "2026-04-08"})
    claims = claim_all(api, quarter)
    done(api, "jg1_m03", "fill_claim", claims["jg1_m03"], {"basic": ["B1"], "strengths": "善于沟通"})
    done(api, WEI, "review_claim", claims["jg1_m03"], {"approved": True})
    api.travel(T("2026-04-01T10:05:00+08:00"))
    same_day = claiming.open_due(api.svc)
    assert (same_day["weekly_checks"]["started"], same_day["monthly_checks"]["started"]) == (2, 2)
    week = opened(api, "duty_check", kind="weekly", branch="jg1")
    assert sorted(c["data"]["checker"] for c in week) == [SEC, WEI]
    assert {c["data"]["period"] for c in week} == {"2026-W14"} and {c["data"]["due"] for c in week} == {"2026-04-03"}
    assert sorted(i["member"] for c in week for i in c["data"]["items"]) == MEMBERS
    assert {c["data"]["due"] for c in opened(api, "duty_check", kind="monthly", branch="jg1")} == {"2026-04-30"}

    # the week after Qingming (4–6 April off) opened on its Monday, 6 April, due Friday the 10th
    api.travel(T("2026-04-05T23:59:59+08:00"))
    assert claiming.open_due(api.svc)["weekly_checks"]["started"] == 0
    api.travel(T("2026-04-06T00:00:00+08:00"))
    assert claiming.open_due(api.svc)["weekly_checks"]["started"] == 2
    assert {c["data"]["due"] for c in opened(api, "duty_check", kind="weekly", period="2026-W15")} == {"2026-04-10"}
    mine = sorted(instance(api, t["instance_id"])["data"]["period"] for t in api.inbox(SEC) if t["element"] == "check_duties")
    assert mine == ["2026-04", "2026-W14", "2026-W15"]  # last week's, due on the 3rd, still waits beside this week's

    # April's scoring: from the 24th (five working days before Thursday the 30th), due the 30th
    api.travel(T("2026-04-23T23:59:59+08:00"))
    assert "scores" not in claiming.open_due(api.svc)
    api.travel(T("2026-04-24T00:00:00+08:00"))
    assert claiming.open_due(api.svc)["scores"]["started"] == 5
    scoring = opened(api, "duty_score", month="2026-04", branch="jg1")
    assert [s["data"]["due"] for s in scoring] == ["2026-04-30"]
    assert [t["element"] for t in api.inbox(WEI) if t["instance_id"] == scoring[0]["id"]] == ["score_members"]
    for iid in [quarter, *claims.values(), *(c["id"] for c in week), scoring[0]["id"]]:
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True, iid


def test_scoring_is_due_on_the_make_up_saturday_after_the_spring_festival(tmp_path):
    api = Api(build_app(tmp_path, now=T("2026-02-23T23:59:59+08:00")))  # 15–23 Feb off
    assert "scores" not in claiming.open_due(api.svc)
    api.travel(T("2026-02-24T00:00:00+08:00"))
    assert claiming.open_due(api.svc)["scores"]["started"] == 5
    assert {s["data"]["due"] for s in opened(api, "duty_score", month="2026-02")} == {"2026-02-28"}  # a 调休 Saturday


def test_the_scheduler_runs_the_duty_calendar_unless_turned_off(api):
    api.svc.settings.duty_calendar_minutes = 5
    job = Scheduler(api.svc, 30).jobs.get_job("branchflow-duty-calendar")
    assert job is not None and job.trigger.interval.total_seconds() == 300
    job.func()
    assert len(opened(api, "duty_quarter", quarter="2026Q1")) == 5
    api.svc.settings.duty_calendar_minutes = 0
    assert Scheduler(api.svc, 30).jobs.get_job("branchflow-duty-calendar") is None


def test_the_cli_opens_what_is_due_at_an_instant(api, tmp_path):
    out = run(api, tmp_path, "duty", "open-due", "--now", "2026-04-01T00:00:00+08:00")
    assert out.exit_code == 0, out.output
    assert "quarter: started 5, already open 0" in out.output and "meetings: started 14" in out.output
    assert "scores" not in out.output
    assert len(opened(api, "duty_quarter", quarter="2026Q2")) == 5
    again = run(api, tmp_path, "duty", "open-due", "--now", "2026-04-01T08:00:00+08:00")
    assert "quarter: started 0, already open 5" in again.output
