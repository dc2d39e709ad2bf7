"""The pairing on the real calendar: a whole term travelled day by day, and the edges of its periods."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from conftest import Api, build_app
from scenarios import (CORE_MET, HELPER, SEC, SUP, WEI, at_china, children, instance, open_pairing, through_plan,
                       travel, urgent_plan)

from service.store.models import InboxTask, Instance, Timer

CST = timezone(timedelta(hours=8))


def family(api: Api, iid: str) -> list[str]:
    """The pairing and every child it opened."""
    return [iid] + [c["id"] for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"]]


def open_rows(api: Api, iid: str) -> list[InboxTask]:
    with api.svc.uow() as uow:
        ids = family(api, iid)
        return [r for r in uow.session.query(InboxTask).filter(InboxTask.instance_id.in_(ids), InboxTask.status == "open",
                                                               InboxTask.kind == "user")]


def opened(api: Api, iid: str) -> set[tuple]:
    """What the term has opened so far: its month and quarter children and every spot check (by week)."""
    with api.svc.uow() as uow:
        kids = uow.session.query(Instance).filter(Instance.parent_id == iid).all()
        out = {("month", k.data["month"]) for k in kids if k.process_id == "pairing_monthly"}
        out |= {("quarter", k.data["quarter"]) for k in kids if k.process_id == "pairing_quarterly"}
        ids = [k.id for k in kids]
        for row in uow.session.query(InboxTask).filter(InboxTask.instance_id.in_(ids), InboxTask.kind == "user"):
            out.add((row.element, row.created_at.astimezone(CST).date().isoformat()))
        out |= {("acceptance", r.created_at.astimezone(CST).date().isoformat())
                for r in uow.session.query(InboxTask).filter(InboxTask.instance_id == iid, InboxTask.element == "acceptance")}
    return out


def complete(api: Api, row: InboxTask) -> None:
    """Do an open duty of the term the way its holder would."""
    with api.svc.uow() as uow:
        inst = uow.session.get(Instance, row.instance_id)
        data = dict(inst.data)
    forms = {
        "guidance_visits": (HELPER, {"visits": [{"date": data.get("month_first", ""), "content": "指导台账"},
                                                {"date": data.get("month_last", ""), "content": "指导党课"}]}),
        "monthly_progress": (SEC, {"progress": "按方案推进", "completion_rate": 60}),
        "spot_check": (HELPER, {"indicators": "台账齐全率", "behind_plan": False}),
        "knowledge_quiz": (WEI, {"participants": 12, "average_score": 90}),
        "helper_report": (HELPER, {"summary": "本季度按计划下沉指导"}),
        "assessment": ("committee", {"score": 86}),  # the pairing's helper is 党群部部长: 党委 assesses
    }
    user, body = forms[row.element]
    r = api.post(f"/api/tasks/{row.id}/complete", user, json={"data": body})
    assert r.status_code == 200, (row.element, r.get_json())


def timers_of(api: Api, instance_id: str, element_prefix: str) -> list[Timer]:
    with api.svc.uow() as uow:
        return [t for t in uow.session.query(Timer).filter(Timer.instance_id == instance_id)
                if t.element.startswith(element_prefix)]


def test_a_year_on_the_calendar(tmp_path):
    """2026-03-02 for 12 months (ending mid-month, 1 March 2027), the clock travelling day by day: each month,
    week and quarter opens on its date and not a minute before; a missed spot check and a missed quiz remind
    and escalate once each at their instants (the week's last working day being a 调休 Sunday); the
    assessment opens without the quiz and shows it missing; the failed acceptance extends the term by one
    month; every instance verifies at the end."""
    api = Api(build_app(tmp_path))
    iid = open_pairing(api, term_start="2026-03-02", months=12)
    through_plan(api, iid)
    # the week of 14–20 Sept: its last working day is Sunday 20 Sept (a 调休 make-up day)
    missed_week_due = datetime(2026, 9, 20, 18, tzinfo=CST)
    missed_quiz = "2026Q3"
    seen = set()  # the plan was made on the term's first morning: month 1 opened with it
    day = date(2026, 3, 2)
    openings = {}
    while day <= date(2027, 4, 2):
        midnight = datetime(day.year, day.month, day.day, tzinfo=CST)
        if day > date(2026, 3, 2):
            travel(api, midnight)  # the period's first instant: nothing of this day has opened yet
            assert opened(api, iid) == seen, f"opened before {day}"
            travel(api, midnight + timedelta(minutes=1))
        now_seen = opened(api, iid)
        openings[day.isoformat()] = now_seen - seen
        seen = now_seen
        travel(api, midnight + timedelta(hours=9))
        if day == date(2026, 10, 1):  # the Q3 assessment opened while the quiz is missing: it says so
            q3 = next(c for c in children(api, iid, "pairing_quarterly") if c["data"]["quarter"] == missed_quiz)["id"]
            detail = api.get(f"/api/tasks/{api.task('committee', 'assessment', q3)['id']}", "committee").get_json()
            missing = [o for o in detail["alongside"] if o["element"] == "knowledge_quiz"]
            assert missing and missing[0]["overdue"] and missing[0]["escalation_level"] == 1
        for row in open_rows(api, iid):
            with api.svc.uow() as uow:
                data = uow.session.get(Instance, row.instance_id).data
            if row.element == "spot_check" and row.due_at == missed_week_due and day < date(2026, 9, 24):
                continue
            if row.element == "knowledge_quiz" and data.get("quarter") == missed_quiz and day < date(2026, 10, 10):
                continue
            if row.element in ("acceptance", "urgent_plan", "confirm_urgent"):
                continue
            complete(api, row)
        if day == date(2027, 3, 2):  # the term (ending mid-month on 1 March) is over: the acceptance fails once
            api.complete("committee", "acceptance", dict(CORE_MET, target_results=[
                {"name": "台账齐全率", "met": True}, {"name": "三会一课完成率", "met": False}]), iid)
            urgent_plan(api, iid, "2027-03-20")
        now_seen = opened(api, iid)  # what the day's work opened (the extension month, once the plan is made)
        openings[day.isoformat()] |= now_seen - seen
        seen = now_seen
        day += timedelta(days=1)

    def days(kind):
        return sorted(d for d, new in openings.items() for item in new if item[0] == kind)

    months = sorted((d, item[1]) for d, new in openings.items() for item in new if item[0] == "month")
    assert months[:3] == [("2026-03-02", 1), ("2026-04-02", 2), ("2026-05-02", 3)]
    assert months[-2:] == [("2027-02-02", 12), ("2027-03-02", 13)]  # month 13: the extension
    # a spot check every Monday of the term (and on its first day, a Monday), none on another day
    spot = days("spot_check")
    # 53 weeks (2 March 2026 to 1 March 2027, both Mondays), then the extension month's 4 (its first days
    # belong to the week of 1 March)
    assert spot[0] == "2026-03-02" and spot[-1] == "2027-03-29" and len(spot) == len(set(spot)) == 53 + 4
    assert all(date.fromisoformat(d).weekday() == 0 for d in spot)
    quarters = sorted((d, item[1]) for d, new in openings.items() for item in new if item[0] == "quarter")
    assert quarters == [("2026-04-01", "2026Q2"), ("2026-07-01", "2026Q3"), ("2026-10-01", "2026Q4")]
    assert days("assessment") == ["2026-07-01", "2026-10-01", "2027-01-01"]
    assert days("acceptance") == ["2027-03-02", "2027-04-02"]  # term end, then the extension's end

    # the missed spot check: due by Sunday 20 Sept 18:00 (a make-up working day), one reminder four hours
    # before, one escalation to 党群部 at the deadline, one to 党委 two working days later; each fired once
    week_child = next(c for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == 7)["id"]
    fired = {t.element: t for t in timers_of(api, week_child, "spot_check") if t.status == "fired"}
    assert {e: fired[e].due_at.astimezone(CST).isoformat() for e in fired} == {
        "spot_check_remind": "2026-09-20T14:00:00+08:00", "spot_check_overdue": "2026-09-20T18:00:00+08:00",
        "spot_check_escalate2": "2026-09-22T18:00:00+08:00"}
    # the missed quiz of 2026Q3: due by Wednesday 30 Sept (1 Oct is National Day), escalated the same way
    q3 = next(c for c in children(api, iid, "pairing_quarterly") if c["data"]["quarter"] == missed_quiz)["id"]
    fired = sorted((t.element, t.due_at.astimezone(CST).isoformat()) for t in timers_of(api, q3, "knowledge_quiz")
                   if t.status == "fired")
    assert fired == [("knowledge_quiz_escalate2", "2026-10-09T18:00:00+08:00"),
                     ("knowledge_quiz_overdue", "2026-09-30T18:00:00+08:00"),
                     ("knowledge_quiz_remind", "2026-09-30T14:00:00+08:00")]
    # nothing else of the whole term escalated: every other duty was done on time
    with api.svc.uow() as uow:
        escalated = {(r.instance_id, r.element) for r in uow.session.query(InboxTask).filter(
            InboxTask.instance_id.in_(family(api, iid)), InboxTask.kind == "escalation")}
    assert {e.split("_")[0] for _, e in escalated} <= {"spot", "knowledge"} and len(escalated) == 4

    api.complete("committee", "acceptance", dict(CORE_MET, target_results=[
        {"name": "台账齐全率", "met": True}, {"name": "三会一课完成率", "met": True}]), iid)
    inst = instance(api, iid)
    assert inst["outcome"] == "qualified" and inst["data"]["term_last"] == "2027-03-01"
    for instance_id in family(api, iid):
        assert api.get(f"/api/instances/{instance_id}/verify", "auditor").get_json()["ok"] is True, instance_id
    # the pairing ended: the period children still running (the last month's weekly work) ended with it
    assert all(c["status"] == "completed" for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"])


def test_a_term_from_the_31st_clamps_its_months_and_ends_on_its_last_day(tmp_path):
    api = Api(build_app(tmp_path, now=datetime(2026, 1, 20, 9, tzinfo=CST)))
    iid = open_pairing(api, term_start="2026-01-31", months=3)
    through_plan(api, iid)
    travel(api, datetime(2026, 1, 31, 0, 1, tzinfo=CST))
    travel(api, datetime(2026, 2, 27, 23, 59, tzinfo=CST))
    assert [c["data"]["month"] for c in children(api, iid, "pairing_monthly")] == [1]
    travel(api, datetime(2026, 2, 28, 0, 1, tzinfo=CST))
    month2 = [c["data"] for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == 2]
    assert month2 and (month2[0]["month_first"], month2[0]["month_last"]) == ("2026-02-28", "2026-03-30")
    travel(api, datetime(2026, 3, 30, 23, 59, tzinfo=CST))
    travel(api, datetime(2026, 3, 31, 0, 1, tzinfo=CST))
    month3 = [c["data"] for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == 3][0]
    assert (month3["month_first"], month3["month_last"]) == ("2026-03-31", "2026-04-29")
    # the visits of month 2 were due on its last working day: 30 March (Monday)
    visits = [t for t in api.inbox(HELPER) if t["element"] == "guidance_visits"]
    assert sorted(t["due_at"] for t in visits)[1].startswith("2026-03-30T10:00")
    travel(api, datetime(2026, 4, 30, 0, 1, tzinfo=CST))
    assert "acceptance" in {t["element"] for t in api.inbox("committee") if t["instance_id"] == iid}
    assert instance(api, iid)["data"]["term_last"] == "2026-04-29"


def test_a_quarter_ending_on_a_weekend_is_due_on_its_last_working_day(tmp_path):
    """2024Q1 ends on Sunday 31 March: the quiz and the helper's report are due Friday 29 March, 18:00; the
    assessment opens on Monday 1 April, not before."""
    api = Api(build_app(tmp_path, now=datetime(2024, 1, 2, 9, tzinfo=CST)))
    iid = open_pairing(api, term_start="2024-01-02", months=6)
    through_plan(api, iid)
    travel(api, datetime(2024, 1, 2, 9, 1, tzinfo=CST))
    q1 = [c for c in children(api, iid, "pairing_quarterly") if c["data"]["quarter"] == "2024Q1"][0]["id"]
    due = {t["element"]: t["due_at"] for t in api.inbox(SUP) + api.inbox(WEI) if t["instance_id"] == q1}
    assert due == {"knowledge_quiz": "2024-03-29T10:00:00+00:00", "helper_report": "2024-03-29T10:00:00+00:00"}
    travel(api, datetime(2024, 4, 1, 0, 0, tzinfo=CST))
    assert "assessment" not in {t["element"] for t in api.inbox("committee") if t["instance_id"] == q1}
    travel(api, datetime(2024, 4, 1, 0, 1, tzinfo=CST))
    assert "assessment" in {t["element"] for t in api.inbox("committee") if t["instance_id"] == q1}


def test_the_helper_must_be_a_helper_of_the_branch_and_one_pairing_runs_per_branch(api):
    for helper in ("zonghe", "nobody", "sec_jg2"):  # another branch's helper, no account, not a helper
        r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": dict(
            branch="jg2", helper=helper, term_start="2026-04-01", months=3,
            targets=[{"name": "台账齐全率", "target": "100%"}])})
        assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "variables.helper", helper
    iid = open_pairing(api)
    r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": dict(
        branch="jg2", helper="supervisor", term_start="2026-05-01", months=3, targets=[{"name": "台账", "target": "100%"}])})
    assert r.status_code == 409
    assert open_pairing(api, branch="sb", helper="zonghe")  # another branch may run its own
    # the helper's tasks are personal to the helper named in the pairing
    assert api.task(HELPER, "sign_helper", iid)["assignee"] == "supervisor"


def test_months_opened_late_are_due_at_once_and_escalate(api):
    """A plan made after the term's first month ended (term from 2 March, plan on 10 April): months 1 and 2
    open together; month 1's visits and report are overdue at once and escalate on the next sweep, like any
    missed duty (they are not silently past due with nobody told)."""
    iid = open_pairing(api, term_start="2026-03-02")
    travel(api, at_china("2026-04-10"))
    through_plan(api, iid)
    assert sorted(c["data"]["month"] for c in children(api, iid, "pairing_monthly")) == [1, 2]
    month1 = next(c for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == 1)["id"]
    travel(api, at_china("2026-04-10", "09:01"))
    late = {t["element"]: t for t in api.inbox(SUP) + api.inbox(SEC) if t["instance_id"] == month1 and t["kind"] == "user"}
    assert {"guidance_visits", "monthly_progress", "spot_check"} <= set(late) and all(t["overdue"] for t in late.values())
    notices = {t["element"] for t in api.inbox("committee") + api.inbox(SUP) if t["kind"] == "escalation"
               and t["instance_id"] == month1}
    assert {"guidance_visits_overdue", "monthly_progress_overdue"} <= notices
    # each spot check's page shows its own week, not the week that opened after it
    spots = [t for t in api.inbox(SUP) if t["element"] == "spot_check" and t["instance_id"] == month1]
    weeks = sorted(api.get(f"/api/tasks/{t['id']}", SUP).get_json()["process_data"]["week_first"] for t in spots)
    assert weeks == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]


def test_pairings_opened_before_the_calendar_run_on_their_pinned_spec(api, tmp_path):
    """A pairing started on the spec before the term ran on the calendar keeps that spec (its months are the
    old month children, its quarters counted in months) while new pairings start on the current one."""
    import shutil
    from pathlib import Path

    from scenarios import HELPER as H

    old = Path(__file__).parent / "data" / "pairing_before_calendar"
    settings = api.svc.settings
    current = (settings.bpmn_dir, settings.forms_dir)
    bpmn, forms = tmp_path / "bpmn", tmp_path / "forms"
    shutil.copytree(settings.bpmn_dir, bpmn)
    shutil.copytree(settings.forms_dir, forms)
    shutil.copy(old / "pairing.bpmn", bpmn / "pairing.bpmn")
    for form in (old / "forms").iterdir():
        shutil.copy(form, forms / "pairing" / form.name)
    settings.bpmn_dir, settings.forms_dir = bpmn, forms
    api.svc.bundles.redeploy()
    legacy = open_pairing(api, term_start="2026-03-02")
    through_plan(api, legacy, confirm=False)  # that spec has no joint confirmation yet
    settings.bpmn_dir, settings.forms_dir = current
    api.svc.bundles.redeploy()
    newer = open_pairing(api, branch="sb", helper="zonghe")
    assert instance(api, legacy)["spec_sha256"] != instance(api, newer)["spec_sha256"]
    # the old pairing's month is the old child, done the old way; the parent then opens month 2 at once
    month1 = instance(api, api.get(f"/api/instances/{legacy}", SUP).get_json()["children"][0]["id"])
    assert month1["process"] == "pairing_month"
    api.complete(H, "guidance_visits", {"visits": [{"date": "2026-03-05", "content": "指导台账"},
                                                   {"date": "2026-03-19", "content": "指导党课"}]}, month1["id"])
    api.complete(SEC, "monthly_progress", {"progress": "进展顺利", "completion_rate": 50}, month1["id"])
    for _ in range(4):
        api.complete(H, "spot_check", {"indicators": "台账齐全率", "behind_plan": False}, month1["id"])
    kids = api.get(f"/api/instances/{legacy}", SUP).get_json()["children"]
    assert [instance(api, c["id"])["process"] for c in kids] == ["pairing_month", "pairing_month"]
    assert instance(api, legacy)["data"]["month"] == 2
    for instance_id in [legacy, newer] + [c["id"] for c in kids]:
        assert api.get(f"/api/instances/{instance_id}/verify", "auditor").get_json()["ok"] is True


def test_timers_fire_brings_each_period_in_order(api, pairing, tmp_path):
    """`branchflow timers fire --now` months ahead opens every month, week and quarter due by then, in order."""
    from click.testing import CliRunner

    from service.cli import main as cli

    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(cli, ["timers", "fire", "--now", "2026-06-02T09:00:00+08:00"], env=env)
    assert result.exit_code == 0, result.output
    with api.svc.uow() as uow:
        kids = sorted(uow.session.query(Instance).filter(Instance.parent_id == pairing), key=lambda k: k.created_at)
        assert [(k.process_id, k.data.get("month") or k.data.get("quarter")) for k in kids] == [
            ("pairing_monthly", 1), ("pairing_quarterly", "2026Q2"), ("pairing_monthly", 2), ("pairing_monthly", 3)]
        first_weeks = [k for k in kids if k.data.get("month") == 3][0]
        spot = uow.session.query(InboxTask).filter(InboxTask.instance_id == first_weeks.id,
                                                   InboxTask.element == "spot_check").count()
    assert spot == 1  # month 3 (1 June) holds its first week only: the rest open on their Mondays


def test_a_month_in_a_year_without_a_schedule_is_provisional_until_the_year_loads(tmp_path):
    """A term month ending 3 Feb 2027 (no official 2027 schedule yet): the visits are due that Wednesday,
    provisionally; an admin loads 2027 with 2–3 Feb as holidays and the duty moves to Monday 1 Feb, firm."""
    api = Api(build_app(tmp_path, now=datetime(2027, 1, 4, 9, tzinfo=CST)))
    iid = open_pairing(api, term_start="2027-01-04")
    through_plan(api, iid)
    month1 = next(c for c in children(api, iid, "pairing_monthly") if c["data"]["month"] == 1)["id"]
    visits = api.task(HELPER, "guidance_visits", month1)
    assert (visits["due_at"], visits["due_provisional"]) == ("2027-02-03T10:00:00+00:00", True)
    r = api.post("/api/calendar/years", "admin", json={"year": 2027, "source": "测试用日程（非官方）",
                                                       "holidays": ["2027-02-02", "2027-02-03"], "workdays": []})
    assert r.status_code == 200, r.get_json()
    visits = api.task(HELPER, "guidance_visits", month1)
    assert (visits["due_at"], visits["due_provisional"]) == ("2027-02-01T10:00:00+00:00", False)
    assert api.get(f"/api/instances/{month1}/verify", "auditor").get_json()["ok"] is True
