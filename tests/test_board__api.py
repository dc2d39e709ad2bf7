"""The supervisor's overview over JSON (GET /api/board, GET /api/board/duties): the figures of a seeded
quarter, who may read which branches, the filters, and bad filters answered 422 naming the field."""
from __future__ import annotations

import pytest

from conftest import Api, build_app
from scenarios import SUP, seed_company

MARCH = {"month": "2026-03"}


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    api = Api(build_app(tmp_path_factory.mktemp("board")))
    ids = seed_company(api)
    return api, ids


def board(api: Api, user: str = SUP, expect: int = 200, **query) -> dict:
    r = api.get("/api/board", user, query_string=query)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def cells(view: dict) -> dict:
    return {(b["branch"], k): (c["due"], c["on_time"], c["late"], c["overdue"], c["tone"])
            for b in view["branches"] for k, c in b["cells"].items()}


def test_the_month_shows_who_kept_the_rhythm_and_who_fell_behind(company):
    api, ids = company
    view = board(api, **MARCH)
    assert view["period"] == {"key": "2026-03", "label": "2026年3月", "start": "2026-03-01", "end": "2026-03-31",
                              "months": ["2026-03"]}
    c = cells(view)
    assert c[("jg2", "remedial")] == (1, 0, 1, 0, "warn")       # the 24 h remedial done two days late
    assert c[("jg2", "spot_check")] == (12, 12, 0, 0, "good")   # three months of weekly checks
    assert c[("jg2", "visits")] == (3, 3, 0, 0, "good")
    assert c[("sc1", "workdays")] == (1, 0, 1, 0, "warn")       # tools after the 3-working-day deadline
    assert c[("sc2", "workdays")] == (1, 0, 0, 1, "bad")        # tools never supplied
    assert c[("jg1", "workdays")] == (1, 0, 0, 1, "bad")        # the ticket's 7-working-day plan
    assert c[("sb", "workdays")] == (1, 1, 0, 0, "good")
    assert c[("jg1", "visits")] == (0, 0, 0, 0, "none")         # no pairing, nothing due
    rows = {b["branch"]: b for b in view["branches"]}
    assert rows["jg1"]["tickets"] == {"open": 1, "overdue": 1} and rows["jg1"]["pairing"] is None
    assert rows["jg2"]["assessment"]["score"] == 75 and rows["jg2"]["assessment"]["quarter"] == "2026Q1"
    assert rows["jg2"]["pairing"]["id"] == ids["jg2"] and rows["jg2"]["pairing"]["helper_name"] == "党群部部长"
    assert {b: rows[b]["plaque"]["plaque_label"] for b in rows} == {
        "jg1": "示范牌", "jg2": "达标牌", "sb": "示范牌", "sc1": "达标牌", "sc2": "争先牌"}
    helpers = {h["branch"]: h for h in view["helpers"]}
    assert helpers["jg2"]["visits"] == [{"month": "2026-03", "visits": 2}] and helpers["jg2"]["visits_ok"] is True
    # March is still running on the 20th: no visit yet is not yet a failure, two visits already pass
    assert helpers["sc1"]["visits_ok"] is None and helpers["sc1"]["escalated"] == 1
    april = {h["branch"]: h for h in board(api, month="2026-04")["helpers"]}
    assert april == {} or all(h["visits"] == [] for h in april.values())  # a month not begun is not judged
    ended = {h["branch"]: h["visits_ok"] for h in board(api, month="2026-03", branch="sc1")["helpers"]}
    assert ended == {"sc1": None}
    assert helpers["jg2"]["spot_checks"] == 12 and helpers["jg2"]["escalated"] == 1
    secretaries = {s["branch"]: s for s in view["secretaries"]}
    assert secretaries["jg2"]["interviews"] == 1 and secretaries["jg1"]["overdue"] == 1
    now = view["overdue"]
    assert now["total"] == 2
    assert [(o["branch"], o["element"]) for o in now["items"]] == [("sc2", "supply_tools"), ("jg1", "plan")]
    assert now["items"][0]["holders"] == ["工会副主席"] and now["items"][0]["escalation_level"] == 2


def test_over_time_the_heat_map_scores_and_ticket_weeks(company):
    api, _ids = company
    view = board(api, **MARCH)
    assert view["heatmap"]["months"][-1] == "2026-03" and len(view["heatmap"]["months"]) == 12
    rates = {r["branch"]: r["cells"][-1]["rate"] for r in view["heatmap"]["rows"]}
    assert rates["sb"] == 1.0 and rates["sc2"] == 0.0 and rates["sc1"] == 0.5
    scores = {r["branch"]: r for r in view["scores"]["rows"]}
    assert view["scores"]["quarters"][-1] == "2026Q1"
    assert scores["jg2"]["assessment"][-1] == 75 and scores["jg2"]["composite"][-1] == 81.5
    weeks = {r["branch"]: r["open"] for r in view["tickets"]["rows"]}
    assert weeks["jg1"][-3:] == [1, 1, 1] and weeks["jg1"][:-3] == [0] * 10 and sum(weeks["jg2"]) == 0


def test_a_cell_lists_the_duties_and_instances_behind_it(company):
    api, ids = company
    r = api.get("/api/board/duties", SUP, query_string=dict(MARCH, branch="sc1", kind="workdays"))
    assert r.status_code == 200, r.get_json()
    items = r.get_json()["items"]
    assert [(i["instance_id"], i["element"], i["state"]) for i in items] == [(ids["sc1"], "supply_tools", "late")]
    late = api.get("/api/board/duties", SUP, query_string=dict(MARCH, branch="jg2", kind="remedial", state="late"))
    parent = api.get(f"/api/instances/{late.get_json()['items'][0]['instance_id']}", SUP).get_json()["parent_id"]
    assert parent == ids["jg2"]


def test_a_secretary_sees_only_their_branch(company):
    api, _ids = company
    view = board(api, "sec_sc2", **MARCH)
    assert [b["branch"] for b in view["branches"]] == ["sc2"]
    assert {h["branch"] for h in view["helpers"]} == {"sc2"} and [s["branch"] for s in view["secretaries"]] == ["sc2"]
    assert [o["branch"] for o in view["overdue"]["items"]] == ["sc2"]
    assert [r["branch"] for r in view["heatmap"]["rows"]] == ["sc2"]
    assert board(api, "sec_sc2", expect=403, branch="jg1")["error"]["code"] == "forbidden"
    r = api.get("/api/board/duties", "sec_sc2", query_string=dict(MARCH, branch="jg2", kind="remedial"))
    assert r.status_code == 403


@pytest.mark.parametrize("user", ["auditor", "wei_jg2", "admin", "zonghe"])
def test_others_are_refused(company, user):
    api, _ids = company
    assert board(api, user, expect=403)["error"]["code"] == "forbidden"


def test_the_committee_reads_every_branch(company):
    api, _ids = company
    assert [b["branch"] for b in board(api, "committee", **MARCH)["branches"]] == ["jg1", "jg2", "sb", "sc1", "sc2"]


def test_filters_by_quarter_month_and_branch(company):
    api, _ids = company
    march, quarter = board(api, **MARCH), board(api, quarter="2026Q1")
    assert quarter["period"]["months"] == ["2026-01", "2026-02", "2026-03"]
    assert cells(quarter) == cells(march)  # all of the quarter's activity happened in March
    february = board(api, month="2026-02")
    assert {v[0] for v in cells(february).values()} == {0}
    assert february["overdue"]["total"] == 2  # "now" is now, whatever the period
    assert [b["branch"] for b in board(api, branch="sc1", **MARCH)["branches"]] == ["sc1"]
    assert board(api)["period"]["key"] == "2026-03"  # default: this month, on the service clock


@pytest.mark.parametrize("query,field", [
    ({"month": "2026-13"}, "month"), ({"month": "March"}, "month"), ({"quarter": "2026Q5"}, "quarter"),
    ({"quarter": "2026Q1", "month": "2026-03"}, "month"), ({"branch": "nowhere"}, "branch"),
    ({"month": "2026-03\u0000"}, "month"), ({"month": "x" * 40}, "month"), ({"colour": "red"}, "colour")])
def test_bad_filters_are_422_naming_the_field(company, query, field):
    api, _ids = company
    r = api.get("/api/board", SUP, query_string=query)
    assert r.status_code in (400, 422), r.get_json()
    assert field in [e["field"] for e in r.get_json()["error"]["errors"]], r.get_json()


@pytest.mark.parametrize("query,field", [
    ({"branch": "jg2", "kind": "naps"}, "kind"), ({"branch": "jg2", "kind": "remedial", "state": "soon"}, "state"),
    ({"kind": "remedial"}, "branch"), ({"branch": "jg2"}, "kind"), ({"branch": "jg2", "kind": "remedial", "month": "13"}, "month")])
def test_bad_cell_filters_are_422_naming_the_field(company, query, field):
    api, _ids = company
    r = api.get("/api/board/duties", SUP, query_string=query)
    assert r.status_code == 422, r.get_json()
    assert field in [e["field"] for e in r.get_json()["error"]["errors"]]


def test_the_json_is_the_documented_shape(company):
    """The body is written without marshmallow's dump: loading it through the documented schema changes nothing."""
    from service.api.schemas_board import BoardOut

    api, _ids = company
    view = board(api, **MARCH)
    assert BoardOut().dump(BoardOut().load(view)) == view  # load refuses a field the schema does not name
    assert view["now"] == "2026-03-20T01:00:00+00:00"


def test_a_helper_short_of_two_visits_when_the_month_ends(company):
    from datetime import datetime

    api, _ids = company
    before = api.svc.clock.now()
    api.travel(datetime.fromisoformat("2026-04-02T09:00:00+08:00"))
    try:
        helpers = {h["branch"]: h for h in board(api, **MARCH)["helpers"]}
    finally:
        api.travel(before)
    assert helpers["sc1"]["visits_ok"] is False and helpers["sc1"]["visits"] == [{"month": "2026-03", "visits": 0}]
    assert helpers["jg2"]["visits_ok"] is True and helpers["sb"]["visits_ok"] is True
