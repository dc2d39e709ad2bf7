"""The supervisor's overview over JSON (GET /api/board, GET /api/board/duties): the figures of a seeded
quarter, who may read which branches, the filters, and bad filters answered 422 naming the field."""
from __future__ import annotations

from datetime import datetime

import pytest

from conftest import Api, build_app
from scenarios import SUP, file_ticket, seed_company

Q1 = {"quarter": "2026Q1"}
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


def test_the_quarter_shows_who_kept_the_rhythm_and_who_fell_behind(company):
    api, ids = company
    view = board(api, **Q1)
    assert view["period"] == {"key": "2026Q1", "label": "2026年第1季度", "start": "2026-01-01", "end": "2026-03-31",
                              "months": ["2026-01", "2026-02", "2026-03"]}
    c = cells(view)
    assert c[("jg2", "spot_check")] == (12, 12, 0, 0, "good")   # the weeks of 5 Jan … 23 Mar, each checked on time
    assert c[("jg2", "remedial")] == (1, 0, 1, 0, "warn")       # the 24 h remedial done a day late
    assert c[("jg2", "visits")] == (2, 2, 0, 0, "good")         # term months 1 and 2 (month 3 is due 3 April)
    assert c[("sc1", "spot_check")] == (12, 11, 1, 0, "warn")   # the week of 2 Feb checked the Monday after
    assert c[("sc1", "workdays")] == (1, 0, 1, 0, "warn")       # tools after the 3-working-day deadline
    assert c[("sc1", "quiz")] == (1, 0, 0, 1, "bad")            # the quarter's quiz never held
    assert c[("sc1", "helper_report")] == (1, 1, 0, 0, "good")
    assert c[("sc2", "workdays")] == (1, 0, 0, 1, "bad")        # tools never supplied
    assert c[("sc2", "spot_check")] == (0, 0, 0, 0, "none")     # its term never began
    assert c[("jg1", "workdays")] == (1, 0, 0, 1, "bad")        # the ticket's 7-working-day plan
    assert c[("jg1", "visits")] == (0, 0, 0, 0, "none")         # no pairing, nothing due
    assert {k: v for k, v in c.items() if k[0] == "sb" and v[0]} == {
        ("sb", k): (n, n, 0, 0, "good") for k, n in (("visits", 2), ("spot_check", 12), ("monthly_report", 2),
                                                      ("quiz", 1), ("helper_report", 1), ("plan", 1), ("workdays", 1))}
    rows = {b["branch"]: b for b in view["branches"]}
    assert rows["jg1"]["tickets"] == {"open": 1, "overdue": 1} and rows["jg1"]["pairing"] is None
    assert rows["jg2"]["assessment"]["score"] == 75 and rows["jg2"]["assessment"]["quarter"] == "2026Q1"
    assert rows["sb"]["assessment"]["score"] == 92 and rows["sc1"]["assessment"] is None  # sc1's still open
    jg2 = rows["jg2"]["pairing"]
    assert (jg2["id"], jg2["helper_name"], jg2["term_start"], jg2["term_end"]) == (ids["jg2"], "党群部部长",
                                                                                  "2026-01-05", "2026-04-04")
    assert (jg2["month"], jg2["week"]) == (3, 13)  # on Thursday 2 April: term month 3, the term's 13th week
    assert (rows["sc2"]["pairing"]["month"], rows["sc2"]["pairing"]["week"]) == (None, None)
    assert {b: rows[b]["plaque"]["plaque_label"] for b in rows} == {
        "jg1": "示范牌", "jg2": "达标牌", "sb": "示范牌", "sc1": "达标牌", "sc2": "争先牌"}
    helpers = {h["branch"]: h for h in view["helpers"]}
    assert helpers["jg2"]["visits"] == [{"month": m, "visits": 2} for m in ("2026-01", "2026-02", "2026-03")]
    assert helpers["jg2"]["visits_ok"] is True and helpers["sb"]["visits_ok"] is True
    # 生产一支部's helper recorded no visit in March, and March is over
    assert helpers["sc1"]["visits"][-1] == {"month": "2026-03", "visits": 0} and helpers["sc1"]["visits_ok"] is False
    assert (helpers["jg2"]["spot_checks"], helpers["jg2"]["escalated"]) == (12, 1)
    assert (helpers["sc1"]["spot_checks"], helpers["sc1"]["escalated"]) == (12, 2)
    secretaries = {s["branch"]: s for s in view["secretaries"]}
    assert secretaries["jg1"]["overdue"] == 1 and secretaries["sc1"]["overdue"] == 1 and secretaries["sb"]["overdue"] == 0
    now = view["overdue"]
    assert now["total"] == 3
    assert [(o["branch"], o["element"]) for o in now["items"]] == [
        ("sc2", "supply_tools"), ("jg1", "plan"), ("sc1", "knowledge_quiz")]
    assert now["items"][0]["holders"] == ["工会副主席"] and now["items"][0]["escalation_level"] == 2
    assert now["items"][0]["instance_id"] == ids["sc2"] and now["items"][1]["instance_id"] == ids["ticket"]


def test_more_overdue_than_the_list_shows_are_all_counted(company, monkeypatch):
    """The list of overdue tasks stops at its limit; the total and each branch's overdue count do not."""
    from service.flows import board as overview

    api, _ids = company
    full = board(api, **Q1)
    monkeypatch.setattr(overview, "NOW_LIMIT", 2)
    cut = board(api, **Q1)
    assert cut["overdue"]["total"] == full["overdue"]["total"] == 3
    assert cut["overdue"]["items"] == full["overdue"]["items"][:2]
    assert cut["secretaries"] == full["secretaries"]


def test_this_month_the_assessment_and_its_interview(company):
    """April (the service clock's month): 2026Q1's assessments and the 约谈 its 75 brought, the new month's
    duties open and not yet due, nobody judged on visits in a month still running."""
    api, _ids = company
    view = board(api)
    assert view["period"]["key"] == "2026-04" and view["now"] == "2026-04-02T02:00:00+00:00"
    c = cells(view)
    assert c[("jg2", "assessment")] == (1, 1, 0, 0, "good") and c[("jg2", "interview")] == (1, 1, 0, 0, "good")
    assert c[("sc1", "assessment")][:4] == (1, 0, 0, 0)           # open, due in five working days
    assert c[("sc1", "visits")][:4] == (1, 0, 0, 0)               # month 3's visits, due Friday 3 April
    assert {s["branch"]: s["interviews"] for s in view["secretaries"]} == {
        "jg1": 0, "jg2": 1, "sb": 0, "sc1": 0, "sc2": 0}
    assert {h["branch"]: h["visits_ok"] for h in view["helpers"]} == {"jg2": None, "sb": None, "sc1": None, "sc2": None}


def test_over_time_the_heat_map_scores_and_ticket_weeks(company):
    api, _ids = company
    view = board(api, **Q1)
    assert view["heatmap"]["months"][-3:] == ["2026-01", "2026-02", "2026-03"] and len(view["heatmap"]["months"]) == 12
    rates = {r["branch"]: [c["rate"] for c in r["cells"][-3:]] for r in view["heatmap"]["rows"]}
    assert rates["sb"] == [1.0, 1.0, 1.0] and rates["sc2"] == [0.0, None, None] and rates["jg1"] == [None, None, 0.0]
    assert rates["jg2"][1] < 1.0 and rates["sc1"][2] < 1.0  # February's late remedial, March's missed quiz
    scores = {r["branch"]: r for r in view["scores"]["rows"]}
    assert view["scores"]["quarters"][-1] == "2026Q1"
    assert scores["jg2"]["assessment"][-1] == 75 and scores["jg2"]["composite"][-1] == 81.5
    assert scores["sb"]["assessment"][-1] == 92 and scores["sc1"]["assessment"][-1] is None
    weeks = {r["branch"]: r["open"] for r in view["tickets"]["rows"]}
    assert view["tickets"]["weeks"][-1] == "2026-04-05"
    assert weeks["jg1"][-3:] == [1, 1, 1] and weeks["jg1"][:-3] == [0] * 10 and sum(weeks["jg2"]) == 0


def test_a_cell_lists_the_duties_and_instances_behind_it(company):
    api, ids = company
    r = api.get("/api/board/duties", SUP, query_string=dict(Q1, branch="sc1", kind="workdays"))
    assert r.status_code == 200, r.get_json()
    items = r.get_json()["items"]
    assert [(i["instance_id"], i["element"], i["state"]) for i in items] == [(ids["sc1"], "supply_tools", "late")]
    for branch, kind in (("jg2", "remedial"), ("sc1", "spot_check")):
        late = api.get("/api/board/duties", SUP, query_string=dict(Q1, branch=branch, kind=kind, state="late"))
        [item] = late.get_json()["items"]
        child = api.get(f"/api/instances/{item['instance_id']}", SUP).get_json()
        assert child["process"] == "pairing_monthly" and child["parent_id"] == ids[branch]
    [quiz] = api.get("/api/board/duties", SUP, query_string=dict(Q1, branch="sc1", kind="quiz")).get_json()["items"]
    assert quiz["state"] == "overdue" and quiz["process_id"] == "pairing_quarterly"


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
    quarter = board(api, **Q1)
    months = [cells(board(api, month=m)) for m in quarter["period"]["months"]]
    # the quarter's cells are its months' cells added up
    assert {k: v[0] for k, v in cells(quarter).items()} == {k: sum(m[k][0] for m in months) for k in months[0]}
    assert {k: v[2] for k, v in cells(quarter).items()} == {k: sum(m[k][2] for m in months) for k in months[0]}
    february = months[1]
    assert february[("jg2", "remedial")] == (1, 0, 1, 0, "warn") and february[("sc1", "spot_check")][2] == 1
    assert board(api, month="2025-12")["overdue"]["total"] == 3  # "now" is now, whatever the period
    assert {v[0] for v in cells(board(api, month="2025-12")).values()} == {0}
    assert [b["branch"] for b in board(api, branch="sc1", **MARCH)["branches"]] == ["sc1"]


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
    view = board(api, **Q1)
    assert BoardOut().dump(BoardOut().load(view)) == view  # load refuses a field the schema does not name
    assert view["now"] == "2026-04-02T02:00:00+00:00"


def test_a_month_still_running_is_judged_once_it_ends(company):
    """On 31 March 生产一支部's helper had no March visit yet: not yet a failure; on 2 April it is one."""
    api, _ids = company
    before = api.svc.clock.now()
    api.travel(datetime.fromisoformat("2026-03-31T09:00:00+08:00"))
    try:
        helpers = {h["branch"]: h for h in board(api, **MARCH)["helpers"]}
    finally:
        api.travel(before)
    assert helpers["sc1"]["visits_ok"] is None and helpers["sc1"]["visits"] == [{"month": "2026-03", "visits": 0}]
    assert helpers["jg2"]["visits_ok"] is True
    after = {h["branch"]: h for h in board(api, **MARCH)["helpers"]}
    assert after["sc1"]["visits_ok"] is False


def test_a_pairing_begun_before_the_calendar_still_shows(tmp_path):
    """A pairing of the older shape (its own ``assessments`` list numbered by term quarter, ``week`` in its
    summary) keeps its row: term quarter 1 of a term from 6 January 2025 is 2025Q1."""
    import uuid

    from sqlalchemy import insert, select

    from service.store.models import Instance, Spec

    api = Api(build_app(tmp_path))
    file_ticket(api, "sec_jg1", branch="jg1")  # a real instance, so the old row can pin a real spec
    with api.svc.db_engine.begin() as conn:
        spec = conn.scalar(select(Spec.sha256).limit(1))
        at = datetime.fromisoformat("2025-01-06T09:00:00+08:00")
        conn.execute(insert(Instance), [{
            "id": str(uuid.uuid4()), "process_id": "pairing", "spec_sha": spec, "state": "{}", "version": 1,
            "status": "completed", "branch": "jg2", "title": "结对提升 · jg2", "parent_id": None, "head": "0" * 64,
            "started_by": "supervisor", "created_at": at, "updated_at": at,
            "summary": {"branch": "jg2", "helper": "supervisor", "term_start": "2025-01-06", "months": 6, "month": 6,
                        "week": 4, "assessments": [{"quarter": 1, "score": 70, "band": "improve"}]}}])
    view = board(api, quarter="2025Q1")
    [row] = [b for b in view["branches"] if b["branch"] == "jg2"]
    assert row["assessment"]["quarter"] == "2025Q1" and row["assessment"]["score"] == 70
    assert (row["pairing"]["month"], row["pairing"]["week"]) == (6, 4)
    assert {r["branch"]: r["assessment"][-1] for r in view["scores"]["rows"]}["jg2"] == 70
