"""Quarterly plaque rating (亮牌) through HTTP: inputs, composite, band edges, consequences, streaks, board."""
from __future__ import annotations

import pytest

from service.domain import bands
from scenarios import SUP

#: inspection and pairing scores given explicitly: composite = 0.4 star + 0.3 inspection + 0.3 pairing
ALL = {"jg1": 95, "jg2": 80, "sc1": 60, "sc2": 75, "sb": 92}


def rate(api, quarter: str, stars: dict, inspection=None, pairing=None, expect=201) -> dict:
    body = {"quarter": quarter, "stars": stars, "inspection": inspection if inspection is not None else stars,
            "pairing": pairing if pairing is not None else stars}
    r = api.post("/api/ratings", SUP, json=body)
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def criticize(api, iid: str, text: str = "本季度支部标准化工作落实不到位，我作为书记负有主要责任。") -> None:
    """The secretary's 书面检讨, then the committee reads it."""
    api.complete("sec_sc1", "self_criticism", {"text": text}, iid)
    api.complete("committee", "review_criticism", {"opinion": "检讨深刻，抓紧整改"}, iid)


def board(api, quarter: str, user: str = "sec_jg1") -> dict[str, dict]:
    r = api.get("/api/ratings", user, query_string={"quarter": quarter})
    assert r.status_code == 200, r.get_json()
    return {row["branch"]: row for row in r.get_json()["items"]}


@pytest.mark.parametrize("score,band", [(59.99, "fail"), (60, "needs_improvement"), (79.99, "needs_improvement"),
                                        (80, "meets")])
def test_assessment_band_edges(score, band):
    assert bands.assessment_band(score) == band


@pytest.mark.parametrize("score,plaque", [(69.99, "striving"), (70, "standard"), (89.99, "standard"), (90, "model")])
def test_plaque_band_edges_through_the_api(api, score, plaque):
    rate(api, "2026Q1", {"sc2": score})
    row = board(api, "2026Q1")["sc2"]
    assert row["composite"] == score and row["rated_plaque"] == plaque


def test_composite_weights_and_the_board(api):
    rate(api, "2026Q1", {"jg1": 100, "sb": 50}, inspection={"jg1": 50, "sb": 100}, pairing={"jg1": 80, "sb": 90})
    rows = board(api, "2026Q1", user="auditor")
    assert rows["jg1"]["composite"] == 79.0 and rows["jg1"]["plaque"] == "standard"  # 40 + 15 + 24
    assert rows["sb"]["composite"] == 77.0  # 20 + 30 + 27
    assert {k: rows["jg1"][k] for k in ("star", "inspection", "pairing", "streak", "plaque_label")} == {
        "star": 100, "inspection": 50, "pairing": 80, "streak": 1, "plaque_label": "达标牌"}


def test_missing_inputs_and_bad_scores_are_named_and_change_nothing(api):
    r = api.post("/api/ratings", SUP, json={"quarter": "2026Q1", "stars": {"jg1": 101, "xx": 90, "sb": 80}})
    assert r.status_code == 422
    fields = {e["field"] for e in r.get_json()["error"]["errors"]}
    # no inspection this quarter for any branch; jg1 has no pairing (sb has none running either)
    assert {"stars.jg1", "stars.xx", "inspection.jg1", "pairing.jg1", "inspection.sb", "pairing.sb"} <= fields
    assert board(api, "2026Q1") == {}
    assert api.post("/api/ratings", "sec_jg1", json={"quarter": "2026Q1", "stars": {"jg1": 90}}).status_code == 403
    assert api.post("/api/ratings", SUP, json={"quarter": "2026Q5", "stars": {"jg1": 90}}).status_code == 422
    rate(api, "2026Q1", {"jg1": 90})
    again = api.post("/api/ratings", SUP, json={"quarter": "2026Q1", "stars": {"jg1": 90}, "inspection": {"jg1": 90},
                                               "pairing": {"jg1": 90}})
    assert again.status_code == 422 and again.get_json()["error"]["errors"][0]["field"] == "stars.jg1"


def test_striving_plaque_consequences_and_rerating(api):
    rate(api, "2026Q1", {"sc1": 60})
    row = board(api, "2026Q1")["sc1"]
    assert row["rated_plaque"] == "striving" and row["awards_withdrawn"] is True
    iid = row["instance"]
    # the secretary writes a self-criticism, due in 5 working days, and it reaches the committee
    assert api.task("sec_sc1", "self_criticism", iid)["due_at"] is not None
    api.complete("sec_sc1", "self_criticism", {"text": "本季度支部标准化工作落实不到位，我作为书记负有主要责任。"}, iid)
    assert api.task("committee", "review_criticism", iid)["name"] == "党委审阅书面检讨"
    api.complete("committee", "review_criticism", {"opinion": "检讨深刻，抓紧整改"}, iid)
    # no committee interview the first time
    assert [t for t in api.inbox("committee") if t["instance_id"] == iid] == []
    # after rectification the supervisor re-rates it 达标
    api.complete(SUP, "rerate", {"rectified": True, "notes": "问题已整改，更换为达标牌"}, iid)
    row = board(api, "2026Q1")["sc1"]
    assert (row["plaque"], row["rated_plaque"], row["outcome"]) == ("standard", "striving", "rerated_standard")


def test_striving_two_quarters_running_brings_a_committee_interview(api):
    rate(api, "2026Q1", {"sc1": 60})
    q1 = board(api, "2026Q1")["sc1"]["instance"]
    criticize(api, q1)
    api.complete(SUP, "rerate", {"rectified": False, "notes": "整改不到位，延长争先期限"}, q1)
    assert board(api, "2026Q1")["sc1"]["outcome"] == "striving_extended"
    rate(api, "2026Q2", {"sc1": 65})
    q2 = board(api, "2026Q2")["sc1"]
    assert q2["streak"] == 2 and q2["rated_plaque"] == "striving"
    criticize(api, q2["instance"], "连续两个季度挂争先牌，深刻检讨，立即整改。")
    interview = api.task("committee", "committee_interview", q2["instance"])
    assert interview["name"] == "约谈党支部书记"
    api.complete("committee", "committee_interview", {"summary": "约谈支部书记，调整组织委员", "adjust_committee": True},
                 q2["instance"])
    assert api.task(SUP, "rerate", q2["instance"])["status"] == "open"
    for iid in (q1, q2["instance"]):
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True


def test_rerated_striving_branch_starts_a_new_streak(api):
    rate(api, "2026Q1", {"sc1": 60})
    q1 = board(api, "2026Q1")["sc1"]["instance"]
    criticize(api, q1)
    api.complete(SUP, "rerate", {"rectified": True, "notes": "问题已整改，更换为达标牌"}, q1)
    rate(api, "2026Q2", {"sc1": 60})
    q2 = board(api, "2026Q2")["sc1"]
    assert q2["streak"] == 1  # the previous quarter ended 达标
    assert [t for t in api.inbox("committee") if t["instance_id"] == q2["instance"]] == []


def test_model_two_quarters_running_gives_the_secretary_five_points(api):
    rate(api, "2026Q1", {"jg1": 95, "jg2": 95})
    assert board(api, "2026Q1")["jg1"]["secretary_bonus"] == 0
    rate(api, "2026Q2", {"jg1": 92, "jg2": 85})
    rows = board(api, "2026Q2")
    assert (rows["jg1"]["plaque"], rows["jg1"]["streak"], rows["jg1"]["secretary_bonus"]) == ("model", 2, 5)
    assert (rows["jg2"]["plaque"], rows["jg2"]["streak"], rows["jg2"]["secretary_bonus"]) == ("standard", 1, 0)
    assert all(r["status"] == "completed" for r in rows.values())


def test_the_pairing_score_is_the_branch_assessment_of_the_same_calendar_quarter(api):
    from test_inspections__lifecycle import FULL, publish, visit
    from scenarios import open_pairing, quarter_child, run_term, through_plan

    iid = open_pairing(api)  # 机关二支部, term from 2026-04-01: assessed at the end of June, 2026Q2
    through_plan(api, iid)
    run_term(api, iid, 85)
    body = publish(api, teams=[{"branch": "jg2", "members": ["wei_sc1"]}])
    jg2 = body["inspections"][0]["id"]
    visit(api, "wei_sc1", jg2)
    api.complete("wei_sc1", "scoring", {"scores": FULL}, jg2)
    # 2026Q1 has no assessment of the branch: the rating asks for one and says why
    r = api.post("/api/ratings", SUP, json={"quarter": "2026Q1", "stars": {"jg2": 90}})
    assert r.status_code == 422
    [error] = r.get_json()["error"]["errors"]
    assert error["field"] == "pairing.jg2" and "结对考核" in error["message_zh"]
    rate(api, "2026Q1", {"jg2": 90}, inspection={}, pairing={"jg2": 70})
    row = board(api, "2026Q1")["jg2"]
    assert (row["inspection"], row["pairing"], row["pairing_source"]) == (81.0, 70, "given")
    assert row["pairing_note"] == "2026Q1无结对考核，帮扶成效评分由党群部填写" and row["pairing_instance"] is None
    # the quarter the assessment belongs to: its score, linked to the pairing's quarter it was held in
    rate(api, "2026Q2", {"jg2": 90}, inspection={"jg2": 80}, pairing={})
    row = board(api, "2026Q2")["jg2"]
    assert (row["pairing"], row["pairing_source"], row["pairing_instance"]) == (
        85.0, "assessment", quarter_child(api, iid, "2026Q2")["id"])
    assert row["composite"] == 0.4 * 90 + 0.3 * 80 + 0.3 * 85
    # another year's same quarter has none
    r = api.post("/api/ratings", SUP, json={"quarter": "2027Q2", "stars": {"jg2": 90}, "inspection": {"jg2": 80}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "pairing.jg2"


@pytest.mark.parametrize("assessment,term_start,quarter", [
    ({"quarter": "2026Q2", "score": 80}, None, "2026Q2"),  # a label, as recorded from now on
    ({"quarter": 1, "score": 80}, "2026-03-02", "2026Q2"),  # a term-quarter number: months 3–5 of 2026
    ({"quarter": 2, "score": 80}, "2026-01-01", "2026Q2"),  # months 4–6
    ({"quarter": 2, "score": 80}, "2026-11-15", "2027Q2"),  # months 2027-02–04
    ({"quarter": "Q2", "score": 80}, "2026-01-01", None), ({"quarter": 1, "score": 80}, None, None),
])
def test_an_assessment_quarter_is_a_label_or_a_term_quarter(assessment, term_start, quarter):
    from service.domain.quarters import assessment_quarter
    assert assessment_quarter(assessment, term_start) == quarter


def test_the_band_is_chosen_on_the_exact_composite(api):
    rate(api, "2026Q1", {"sc2": 90}, inspection={"sc2": 89.99}, pairing={"sc2": 90})
    row = board(api, "2026Q1")["sc2"]
    assert row["composite"] == pytest.approx(89.997, abs=1e-9) and row["composite"] < 90
    assert (row["rated_plaque"], row["plaque_label"]) == ("standard", "达标牌")
    from test_web__pages import login
    assert "综合 89.997" in login(api, SUP).get("/plaques").text  # not "90.00" beside a 达标牌


def test_model_two_quarters_running_is_plus_five_once_a_year_per_secretary(api):
    for quarter in ("2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2"):
        rate(api, quarter, {"jg1": 95})
    bonus = {q: board(api, q)["jg1"]["secretary_bonus"] for q in ("2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2")}
    assert bonus == {"2026Q1": 0, "2026Q2": 5, "2026Q3": 0, "2026Q4": 0, "2027Q1": 5, "2027Q2": 0}
    row = board(api, "2026Q3")["jg1"]
    assert row["streak"] == 3 and row["secretary"] == "sec_jg1"
    # 示范 → recommended first for 先进基层党组织, on the board
    assert row["recommended_advanced"] is True and row["recommendation"] == "优先推荐参评先进基层党组织"
    rate(api, "2026Q1", {"sc2": 80})
    assert board(api, "2026Q1")["sc2"]["recommended_advanced"] is False


def test_a_striving_branch_is_rerated_only_once_its_tickets_of_the_quarter_are_closed(api):
    from test_inspections__lifecycle import close_ticket
    rate(api, "2026Q1", {"sc1": 60})
    iid = board(api, "2026Q1")["sc1"]["instance"]
    criticize(api, iid)
    r = api.post("/api/instances", "sec_sc1", json={"process": "rectification", "variables": {
        "branch": "sc1", "source": "problem_list", "title": "三会一课记录不全", "rectify_by": "2026-03-20"}})
    assert r.status_code == 201, r.get_json()
    ticket = r.get_json()["id"]
    rerate = api.task(SUP, "rerate", iid)
    r = api.post(f"/api/tasks/{rerate['id']}/complete", SUP, json={"data": {"rectified": True, "notes": "已整改"}})
    assert r.status_code == 422
    [error] = r.get_json()["error"]["errors"]
    assert error["field"] == "data.rectified" and "三会一课记录不全" in error["message_zh"]
    close_ticket(api, ticket)
    api.complete(SUP, "rerate", {"rectified": True, "notes": "问题已整改，更换为达标牌"}, iid)
    assert board(api, "2026Q1")["sc1"]["plaque"] == "standard"


def test_an_extended_striving_period_carries_into_the_next_quarter(api):
    rate(api, "2026Q1", {"sc1": 60})
    q1 = board(api, "2026Q1")["sc1"]["instance"]
    criticize(api, q1)
    api.complete(SUP, "rerate", {"rectified": False, "notes": "整改不到位，延长争先期限"}, q1)
    assert board(api, "2026Q1")["sc1"]["striving_extended"] is True
    rate(api, "2026Q2", {"sc1": 85})  # a 达标 composite, but the 争先 period goes on until re-rated
    q2 = board(api, "2026Q2")["sc1"]
    assert (q2["rated_plaque"], q2["plaque"], q2["striving_carried"], q2["striving_since"]) == (
        "standard", "striving", True, "2026Q1")
    assert q2["awards_withdrawn"] is True
    assert api.task(SUP, "rerate", q2["instance"])["status"] == "open"  # straight to the re-rating
    api.complete(SUP, "rerate", {"rectified": True, "notes": "整改到位"}, q2["instance"])
    q2 = board(api, "2026Q2")["sc1"]
    assert (q2["plaque"], q2["outcome"]) == ("standard", "rerated_standard")
    for iid in (q1, q2["instance"]):
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True
