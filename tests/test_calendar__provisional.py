"""Deadlines reaching into a year without an official schedule: provisional, then re-armed when an admin
loads the year through the API."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from service.flows.timers import fire_due
from scenarios import HELPER, SEC, SUP, open_pairing

T = datetime.fromisoformat
# A made-up schedule used only by this test (the repo ships no guessed years): 4 Jan 2027 off.
TEST_2027 = {"year": 2027, "source": "测试用日程（非官方）", "holidays": ["2027-01-01", "2027-01-04"], "workdays": []}


@pytest.fixture
def api(tmp_path) -> Api:
    return Api(build_app(tmp_path, now=T("2026-12-28T09:00:00+08:00")))


def to_supply_tools(api: Api) -> str:
    iid = open_pairing(api, term_start="2026-12-28")
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    api.complete(SEC, "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": "A1"}, iid)
    api.travel(T("2026-12-30T10:00:00+08:00"))
    api.complete(HELPER, "diagnosis", {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账", "description": "缺失"}],
                                       "summary": "薄弱"}, iid)
    return iid


def test_loading_the_year_rearms_provisional_deadlines(api):
    iid = to_supply_tools(api)
    task = api.task(HELPER, "supply_tools", iid)
    # 31 Dec (2026, official) + 4 and 5 Jan on the fallback → Tue 5 Jan 2027 18:00, provisional
    assert task["due_at"] == "2027-01-05T10:00:00+00:00" and task["due_provisional"] is True
    years = api.get("/api/calendar/years", SUP).get_json()
    assert 2027 not in {y["year"] for y in years} and years[-1] == {"year": 2026, "source": "chinesecalendar",
                                                                     "loaded": False}
    # only an admin loads a year; a bad schedule names its field and changes nothing
    assert api.post("/api/calendar/years", SUP, json=TEST_2027).status_code == 403
    r = api.post("/api/calendar/years", "admin", json=dict(TEST_2027, workdays=["2028-01-02"]))
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "workdays"
    r = api.post("/api/calendar/years", "admin", json=dict(TEST_2027, year="twenty"))
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "year"
    assert api.task(HELPER, "supply_tools", iid)["due_at"] == "2027-01-05T10:00:00+00:00"

    r = api.post("/api/calendar/years", "admin", json=TEST_2027)
    assert r.status_code == 200, r.get_json()
    assert [x["instance"] for x in r.get_json()["rearmed"]] == [iid]
    task = api.task(HELPER, "supply_tools", iid)
    assert task["due_at"] == "2027-01-06T10:00:00+00:00" and task["due_provisional"] is False
    assert {"year": 2027, "source": "测试用日程（非官方）", "loaded": True} in api.get("/api/calendar/years", SUP).get_json()
    # the re-arm is in the instance's history with the schedule that caused it
    with api.svc.uow() as uow:
        rearm = [e for e in uow.events.of(iid) if e.type == "rearm"]
    assert len(rearm) == 1 and rearm[0].actor == "admin" and rearm[0].data["calendar"]["holidays"] == TEST_2027["holidays"]
    # the old due instant no longer reminds or escalates; the new ones do
    api.travel(T("2027-01-05T18:00:01+08:00"))
    assert fire_due(api.svc).fired == []
    api.travel(T("2027-01-06T18:00:01+08:00"))
    assert sorted(f["kind"] for f in fire_due(api.svc).fired) == ["escalate", "remind"]
    # replay uses the calendar each event recorded: fallback before the load, the loaded year after
    verdict = api.get(f"/api/instances/{iid}/verify", "auditor").get_json()
    assert verdict["ok"] is True, verdict
    export = api.get(f"/api/instances/{iid}/export", "auditor").get_json()
    assert [s["year"] for s in export["schedules"].values()] == [2027]


def test_loading_again_moves_nothing_and_logs_nothing(api):
    iid = to_supply_tools(api)
    assert api.post("/api/calendar/years", "admin", json=TEST_2027).status_code == 200
    r = api.post("/api/calendar/years", "admin", json=TEST_2027)
    assert r.status_code == 200 and r.get_json()["rearmed"] == []
    with api.svc.uow() as uow:
        assert [e.type for e in uow.events.of(iid)].count("rearm") == 1


def test_a_restarted_service_keeps_the_loaded_year(api, tmp_path):
    api.post("/api/calendar/years", "admin", json=TEST_2027)
    again = Api(build_app(tmp_path, now=T("2026-12-28T09:00:00+08:00")))
    r = again.get("/api/calendar/deadline", SUP, query_string={"start": "2026-12-31T10:00:00+08:00", "rule": "1wd"})
    assert r.get_json()["due_local"] == "2027-01-05T18:00:00+08:00" and r.get_json()["provisional"] is False
