"""The annual review roll-up (GET /api/reviews, the .xlsx download, the CLI): per secretary, helper and
branch, every figure naming the instances it came from."""
from __future__ import annotations

import io
import json
from datetime import datetime

from click.testing import CliRunner
from openpyxl import load_workbook

from service.cli import main as cli
from service.domain.status import InstanceStatus
from service.flows.timers import fire_due
from scenarios import SUP, file_ticket, open_pairing
from test_inspections__lifecycle import close_ticket
from test_ratings__plaque import board, criticize, rate

T = datetime.fromisoformat


def _summarise(api, iid: str, **data) -> None:
    """Give a pairing the data summary of a run that went that far (the roll-up reads only summaries)."""
    with api.svc.uow() as uow:
        inst = uow.instances.get(iid)
        inst.data = dict(inst.data, **data)
        if data.get("outcome"):
            inst.status, inst.outcome = InstanceStatus.COMPLETED, data["outcome"]
        uow.commit()


def _world(api) -> dict:
    ids = {}
    # 机关一支部: 示范牌 three quarters running → +5 once; 生产一支部: 争先 twice → the committee's 约谈
    for quarter in ("2026Q1", "2026Q2", "2026Q3"):
        rate(api, quarter, {"jg1": 95})
    ids["jg1_q2"] = board(api, "2026Q2")["jg1"]["instance"]
    rate(api, "2026Q1", {"sc1": 60})
    q1 = board(api, "2026Q1")["sc1"]["instance"]
    criticize(api, q1)
    api.complete(SUP, "rerate", {"rectified": False, "notes": "整改不到位，延长争先期限"}, q1)
    rate(api, "2026Q2", {"sc1": 65})
    ids["sc1_q2"] = q2 = board(api, "2026Q2")["sc1"]["instance"]
    criticize(api, q2, "连续两个季度挂争先牌，深刻检讨，立即整改。")
    api.complete("committee", "committee_interview", {"summary": "约谈支部书记", "adjust_committee": False}, q2)
    # 党群部部长 helps 机关二支部: 75 then 78 (labels); 综合部部长 helps 设备党支部: 75 then 85 (term quarters), 帮扶合格
    ids["jg2"] = open_pairing(api)
    _summarise(api, ids["jg2"], assessments=[{"quarter": "2026Q1", "score": 75, "band": "needs_improvement"},
                                             {"quarter": "2026Q2", "score": 78, "band": "needs_improvement"}])
    ids["sb"] = open_pairing(api, branch="sb", helper="zonghe", term_start="2026-01-05", months=6)
    _summarise(api, ids["sb"], outcome="qualified", assessments=[
        {"quarter": 1, "score": 75, "band": "needs_improvement"}, {"quarter": 2, "score": 85, "band": "meets"}])
    # tickets of 设备党支部: one closed, one overdue
    ids["closed"] = file_ticket(api, user="sec_sc1", branch="sc1", title="台账不全", rectify_by="2026-03-20")["id"]
    close_ticket(api, ids["closed"])
    ids["overdue"] = file_ticket(api)["id"]
    api.travel(T("2026-03-12T09:00:00+08:00"))  # past the 7-working-day plan duty
    fire_due(api.svc)
    return ids


def test_the_annual_review_rolls_up_secretaries_helpers_and_branches(api, tmp_path):
    ids = _world(api)
    r = api.get("/api/reviews", SUP, query_string={"year": 2026})
    assert r.status_code == 200, r.get_json()
    review = r.get_json()
    secs = {s["username"]: s for s in review["secretaries"]}
    # +5 once a year per secretary, with its reason and instance (not 0, 5, 5)
    assert secs["sec_jg1"]["bonus_total"] == 5
    [item] = secs["sec_jg1"]["bonus_items"]
    assert item["instance"] == ids["jg1_q2"] and "连续2个季度获示范牌" in item["reason"]
    assert [(i["by"], i["instance"]) for i in secs["sec_sc1"]["interviews"]] == [("committee", ids["sc1_q2"])]
    assert [(i["by"], i["quarter"]) for i in secs["sec_jg2"]["interviews"]] == [("supervisor", "2026Q1"),
                                                                             ("supervisor", "2026Q2")]
    assert [(b["kind"], b["instance"]) for b in secs["sec_sb"]["bonus_items"]] == [("pairing_qualified", ids["sb"])]
    # helpers: two consecutive quarters below 80 → not 优秀, and why; 帮扶合格 → 优先评优
    helpers = {h["username"]: h for h in review["helpers"]}
    assert helpers["supervisor"]["excellent_eligible"] is False
    assert "2026Q1 75分、2026Q2 78分" in helpers["supervisor"]["why"]
    assert helpers["supervisor"]["not_met_runs"][0]["instances"] == [ids["jg2"]]
    assert helpers["zonghe"]["excellent_eligible"] is True and helpers["zonghe"]["priority_for_excellent"] is True
    assert helpers["zonghe"]["qualified"] == [{"branch": "sb", "instance": ids["sb"]}]
    # branches: plaques by quarter, assessment scores (a term quarter read as its calendar quarter), tickets
    branches = {b["branch"]: b for b in review["branches"]}
    assert [(p["quarter"], p["plaque"]) for p in branches["jg1"]["plaques"]] == [
        ("2026Q1", "model"), ("2026Q2", "model"), ("2026Q3", "model")]
    assert [(a["quarter"], a["score"]) for a in branches["sb"]["assessments"]] == [("2026Q1", 75), ("2026Q2", 85)]
    assert {k: branches["sc1"]["tickets"][k] for k in ("opened", "closed", "overdue")} == {"opened": 1, "closed": 1, "overdue": 0}
    assert branches["sc1"]["tickets"]["instances"]["closed"] == [ids["closed"]]
    assert {k: branches["sb"]["tickets"][k] for k in ("opened", "closed", "overdue")} == {"opened": 1, "closed": 0, "overdue": 1}
    assert branches["sb"]["tickets"]["instances"]["overdue"] == [ids["overdue"]]
    # another year has none of it
    other = api.get("/api/reviews", SUP, query_string={"year": 2025}).get_json()
    assert all(s["bonus_total"] == 0 for s in other["secretaries"]) and not other["branches"][0]["plaques"]

    # the workbook and the CLI say the same
    x = api.get("/api/reviews.xlsx", "auditor", query_string={"year": 2026})
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(x.data))
    assert wb.sheetnames == ["支部书记", "政工负责人", "支部"]
    rows = {row[0]: row for row in wb["支部书记"].iter_rows(min_row=2, values_only=True)}
    assert rows["机关一支部"][2] == 5 and ids["jg1_q2"] in rows["机关一支部"][6]
    helper_rows = {row[0]: row for row in wb["政工负责人"].iter_rows(min_row=2, values_only=True)}
    assert helper_rows["党群部部长"][2] == "不得评为优秀"
    out = tmp_path / "r.xlsx"
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(cli, ["reviews", "--year", "2026", "--xlsx", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["secretaries"] == review["secretaries"]
    assert load_workbook(out).sheetnames == ["支部书记", "政工负责人", "支部"]


def test_who_may_read_the_annual_review_and_a_bad_year_is_named(api):
    for user in ("supervisor", "committee", "auditor"):
        assert api.get("/api/reviews", user, query_string={"year": 2026}).status_code == 200, user
    for user in ("sec_jg1", "zonghe"):
        assert api.get("/api/reviews", user, query_string={"year": 2026}).status_code == 403, user
        assert api.get("/api/reviews.xlsx", user, query_string={"year": 2026}).status_code == 403, user
    for year in ("abc", "1999", None):
        r = api.get("/api/reviews", SUP, query_string={"year": year} if year else {})
        assert r.status_code == 422 and "year" in json.dumps(r.get_json()), r.get_json()
