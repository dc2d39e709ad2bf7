"""Peer inspection (互查) end to end through HTTP: checklist versions, teams, the four visits, the scoring
sheet, tickets from the feedback, the 回头看 gate, and the experience handbook."""
from __future__ import annotations

import io
from datetime import datetime

from pypdf import PdfReader

from service import documents
from service.flows.timers import fire_due
from scenarios import SUP, TEAM_SC1, publish

T = datetime.fromisoformat
FULL = {"organization": 14, "meetings": 20, "members": 12, "position": 13, "problem_list": 10, "integration": 12}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def visit(api, user: str, iid: str) -> None:
    """听汇报 → 查资料 → 看现场 → 访党员, each offered only after the one before."""
    api.complete(user, "hear_report", {"summary": "支部书记汇报本季度标准化创建情况", "reporter": "书记"}, iid)
    assert [t["element"] for t in api.inbox(user) if t["instance_id"] == iid] == ["check_records"]
    api.complete(user, "check_records", {"records": ["三会一课记录", "党费台账"], "findings": "记录基本齐全"}, iid)
    api.complete(user, "site_visit", {"observations": "党员活动室“六有”齐全"}, iid)
    api.complete(user, "interview_members", {"interviewed": 6, "opinions": "希望增加业务培训"}, iid)


def ticket_ids(api, user: str, **query) -> list[str]:
    r = api.get("/api/tickets", user, query_string=query)
    assert r.status_code == 200, r.get_json()
    return [t["id"] for t in r.get_json()["items"]]


def close_ticket(api, tid: str, send_back_first: bool = False) -> None:
    """plan → rectify → evidence (an uploaded file) → verify → 销号."""
    api.complete("sec_sc1", "plan", {"measures": ["补齐台账"], "owner": "组织委员", "planned_date": "2026-03-20"}, tid)
    rounds = 2 if send_back_first else 1
    for n in range(rounds):
        api.complete("sec_sc1", "rectify", {"actions": "已补齐全部三会一课记录", "completed_date": "2026-03-19"}, tid)
        up = api.post("/api/attachments", "sec_sc1", data={"branch": "sc1", "file": (io.BytesIO(PNG), "照片.png")},
                      content_type="multipart/form-data")
        assert up.status_code == 201, up.get_json()
        api.complete("sec_sc1", "evidence", {"evidence": [up.get_json()["id"]], "description": "整改照片"}, tid)
        if n < rounds - 1:
            api.complete(SUP, "verify", {"verdict": "sent_back", "reason": "照片不清晰"}, tid)
    api.complete(SUP, "verify", {"verdict": "closed", "comment": "整改到位"}, tid)


def test_a_team_never_inspects_its_own_branch_and_a_refused_round_changes_nothing(api):
    r = api.post("/api/inspections/rounds", SUP, json={"quarter": "2026Q1", "teams": [
        {"branch": "sc1", "members": ["wei_sc1"]}, {"branch": "jg2", "members": ["wei_jg1", "nobody"]},
        {"branch": "jg2", "members": ["wei_sb"]}]})
    assert r.status_code == 422
    errors = {e["field"]: e["message"] for e in r.get_json()["error"]["errors"]}
    assert set(errors) == {"teams[0].members[0]", "teams[1].members[1]", "teams[2].branch"}
    assert "conflict of interest" in errors["teams[0].members[0]"]
    assert api.get("/api/instances", SUP, query_string={"process": "peer_inspection"}).get_json()["total"] == 0
    assert api.inbox("wei_sc1") == []
    # nor can the round be started around the check
    r = api.post("/api/instances", SUP, json={"process": "peer_inspection", "variables": {}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "process"
    # only the supervisor publishes rounds
    assert api.post("/api/inspections/rounds", "sec_jg1", json={"quarter": "2026Q1", "teams": [
        {"branch": "sc1", "members": TEAM_SC1}]}).status_code == 403


def test_checklist_versions_are_data_and_a_round_keeps_the_version_it_pinned(api):
    first = api.get("/api/inspections/checklists", SUP).get_json()
    assert [c["version"] for c in first] == [1] and first[0]["total_points"] == 100
    bad = api.post("/api/inspections/checklists", SUP, json={"title": "新版清单", "items": [
        {"id": "a", "title": "组织建设", "max_points": 0}, {"id": "a", "title": "阵地", "max_points": 50}]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["error"]["errors"]} == {"items[0].max_points", "items[1].id"}
    body = publish(api)
    v2 = api.post("/api/inspections/checklists", SUP, json={"title": "2026年二季度互查量化清单", "items": [
        {"id": "meetings", "title": "三会一课", "max_points": 60}, {"id": "position", "title": "阵地建设", "max_points": 40}]})
    assert v2.status_code == 201 and v2.get_json()["version"] == 2
    assert api.post("/api/inspections/checklists", "sec_jg1",
                    json={"title": "越权清单", "items": [{"id": "x", "title": "某项", "max_points": 10}]}).status_code == 403
    iid = [i["id"] for i in body["inspections"] if i["branch"] == "sc1"][0]
    visit(api, "wei_jg1", iid)
    sheet = api.task("wei_jg1", "scoring", iid)
    form = api.get(f"/api/tasks/{sheet['id']}", "wei_jg1").get_json()["form"]
    assert set(form["properties"]["scores"]["properties"]) == set(FULL)  # version 1, as pinned
    assert form["properties"]["scores"]["properties"]["meetings"]["maximum"] == 25


def test_peer_inspection_round_end_to_end(api):
    body = publish(api)
    by_branch = {i["branch"]: i["id"] for i in body["inspections"]}
    sc1, jg2 = by_branch["sc1"], by_branch["jg2"]
    # each team sees only its own inspection; the inspected branch's secretary cannot act as inspector
    assert {t["instance_id"] for t in api.inbox("wei_jg1")} == {sc1}
    assert {t["instance_id"] for t in api.inbox("wei_sc1")} == {jg2}
    hear = api.task("wei_jg1", "hear_report", sc1)
    assert api.post(f"/api/tasks/{hear['id']}/complete", "sec_sc1",
                    json={"data": {"summary": "自己检查自己", "reporter": "书记"}}).status_code in (403, 404)
    visit(api, "wei_jg2", sc1)  # either team member may do the work

    # the scoring sheet: one score per checklist item, each at most the item's maximum
    sheet = api.task("wei_jg1", "scoring", sc1)
    r = api.post(f"/api/tasks/{sheet['id']}/complete", "wei_jg1",
                 json={"data": {"scores": dict(FULL, meetings=26, extra=1)}})
    assert r.status_code == 422
    assert {e["field"] for e in r.get_json()["error"]["errors"]} == {"data.scores.meetings", "data.scores.extra"}
    api.complete("wei_jg1", "scoring", {"scores": FULL, "marks": [{"item": "problem_list", "note": "两项问题逾期未销号"}]}, sc1)
    assert api.get(f"/api/instances/{sc1}", SUP).get_json()["data"]["score_pct"] == 81.0

    # on-site feedback: two problems → two rectification tickets with the 7-working-day plan duty
    api.complete("wei_jg1", "feedback", {
        "strengths": ["党员活动室规范"],
        "problems": [{"title": "三会一课记录不全", "suggestion": "逐月补齐记录"},
                     {"title": "问题清单逾期未销号", "description": "两项问题超期", "suggestion": "限期销号"}],
        "rectify_by": "2026-03-20"}, sc1)
    tickets = api.get("/api/tickets", "sec_sc1", query_string={"source": "inspection"}).get_json()
    assert tickets["total"] == 2 and tickets["open"] == 2 and tickets["overdue"] == 0
    assert {t["title"] for t in tickets["items"]} == {"三会一课记录不全", "问题清单逾期未销号"}
    assert all(t["source_instance"] == sc1 and t["deadline"] == "2026-03-20" for t in tickets["items"])
    plan = api.task("sec_sc1", "plan")
    assert plan["due_at"] == "2026-03-11T10:00:00+00:00"  # 7 working days after Mon 2 Mar, 18:00 CST
    assert ticket_ids(api, "sec_jg1") == []  # another branch sees none of them

    # 回头看 only after the rectification deadline
    assert [t for t in api.inbox("wei_jg1") if t["element"] == "recheck"] == []
    first, second = ticket_ids(api, SUP, branch="sc1")
    close_ticket(api, first, send_back_first=True)
    api.travel(T("2026-03-20T18:00:01+08:00"))
    fire_due(api.svc)
    recheck = api.task("wei_jg1", "recheck", sc1)
    r = api.post(f"/api/tasks/{recheck['id']}/complete", "wei_jg1",
                 json={"data": {"passed": True, "findings": "仍有问题未整改"}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "data.passed"
    assert "1 rectification ticket" in r.get_json()["error"]["message"]
    counts = api.get("/api/tickets", SUP, query_string={"branch": "sc1"}).get_json()
    assert (counts["open"], counts["overdue"]) == (1, 1)
    # not passed: the team looks again 5 working days later
    api.complete("wei_jg1", "recheck", {"passed": False, "findings": "问题清单仍未销号"}, sc1)
    close_ticket(api, second)
    api.travel(T("2026-03-27T18:00:01+08:00"))
    fire_due(api.svc)
    api.complete("wei_jg2", "recheck", {"passed": True, "findings": "全部整改到位"}, sc1)
    detail = api.get(f"/api/instances/{sc1}", SUP).get_json()
    assert detail["status"] == "completed" and detail["outcome"] == "rectified"
    assert api.get("/api/tickets", SUP, query_string={"branch": "sc1", "status": "closed"}).get_json()["total"] == 2
    # the team's inspector role ended with the inspection
    assert api.get(f"/api/instances/{sc1}", "wei_jg1").status_code == 404

    # the other inspection finds nothing to fix; at the quarter's end the round asks for the handbook
    visit(api, "wei_sc1", jg2)
    api.complete("wei_sc1", "scoring", {"scores": dict(FULL, meetings=25, problem_list=15)}, jg2)
    api.complete("wei_sc1", "feedback", {"strengths": ["“党建+安全”融合做法突出"], "problems": [], "rectify_by": "2026-04-10"}, jg2)
    assert api.get(f"/api/instances/{jg2}", SUP).get_json()["outcome"] == "no_problems"
    round_id = body["round"]["id"]
    assert [t for t in api.inbox(SUP) if t["element"] == "compile_handbook"] == []
    api.travel(T("2026-03-31T18:00:01+08:00"))
    fire_due(api.svc)
    draft = api.get(f"/api/inspections/rounds/{round_id}/handbook", SUP).get_json()
    assert draft["compiled"] is False and {b["branch"]: b["score"] for b in draft["branches"]} == {"sc1": 81.0, "jg2": 91.0}
    assert api.get(f"/api/inspections/rounds/{round_id}/handbook", "sec_jg2").status_code == 404  # no draft for branches
    api.complete(SUP, "compile_handbook", {
        "foreword": "本季度互查共发现问题2项，已全部销号。",
        "highlights": [{"branch": "jg2", "title": "党建+安全融合", "practice": "把安全生产责任落实到每名党员，形成“一岗双责”清单。"}],
        "observation_meeting": {"branch": "jg2", "date": "2026-04-15", "place": "机关二支部党员活动室"}}, round_id)
    assert api.get(f"/api/instances/{round_id}", SUP).get_json()["outcome"] == "compiled"
    html = api.get(f"/api/inspections/rounds/{round_id}/handbook", "sec_jg2", query_string={"format": "html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert "党支部标准化经验手册" in text and "党建+安全融合" in text and "“一岗双责”清单" in text
    assert "草稿" not in text
    pdf = api.get(f"/api/inspections/rounds/{round_id}/handbook", "sec_jg2", query_string={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    pages = "".join(page.extract_text() for page in reader.pages)
    for phrase in ("党支部标准化经验手册", "党建+安全融合", "机关二支部党员活动室", "生产一支部"):
        assert phrase in pages.replace("\n", "")
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    if documents.pdf_font_file(api.svc.settings.pdf_font):  # a CJK TrueType font is installed: it is embedded
        assert any("/FontFile2" in f["/FontDescriptor"].get_object() for f in fonts if "/FontDescriptor" in f)
    else:  # the reader supplies the glyphs of the standard CID font
        assert any("STSong-Light" in str(f["/BaseFont"]) for f in fonts)
    # every instance of the round replays to its stored state
    for iid in [round_id, sc1, jg2, first, second]:
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True, iid


def test_a_rectification_date_in_the_past_or_before_the_plan_deadline_is_refused(api):
    body = publish(api, teams=[{"branch": "sc1", "members": TEAM_SC1}])
    sc1 = body["inspections"][0]["id"]
    visit(api, "wei_jg1", sc1)
    api.complete("wei_jg1", "scoring", {"scores": FULL}, sc1)
    feedback = api.task("wei_jg1", "feedback", sc1)
    data = {"strengths": ["党员活动室规范"], "problems": [{"title": "三会一课记录不全", "suggestion": "逐月补齐记录"}]}
    # Mon 2 Mar: the branch's plan is due in 7 working days, Wed 11 Mar; the rectification cannot end before
    for day, words in (("2026-02-27", "不能早于今天"), ("2026-03-10", "不能早于整改方案提交期限（7个工作日，2026-03-11）")):
        r = api.post(f"/api/tasks/{feedback['id']}/complete", "wei_jg1", json={"data": dict(data, rectify_by=day)})
        assert r.status_code == 422, r.get_json()
        [error] = r.get_json()["error"]["errors"]
        assert error["field"] == "data.rectify_by" and words in error["message_zh"]
    assert api.get("/api/tickets", SUP).get_json()["total"] == 0
    api.complete("wei_jg1", "feedback", dict(data, rectify_by="2026-03-11"), sc1)
    assert api.get("/api/tickets", SUP).get_json()["total"] == 1


def test_one_round_per_quarter_and_the_handbook_is_not_held_up_by_open_tickets(api):
    body = publish(api, teams=[{"branch": "sc1", "members": TEAM_SC1}])
    again = api.post("/api/inspections/rounds", SUP, json={"quarter": "2026Q1", "teams": [
        {"branch": "jg2", "members": ["wei_sc1"]}]})
    assert again.status_code == 409
    sc1, round_id = body["inspections"][0]["id"], body["round"]["id"]
    visit(api, "wei_jg1", sc1)
    api.complete("wei_jg1", "scoring", {"scores": FULL}, sc1)
    api.complete("wei_jg1", "feedback", {"strengths": ["党员活动室规范"], "rectify_by": "2026-04-20",
                                         "problems": [{"title": "三会一课记录不全", "suggestion": "逐月补齐记录"}]}, sc1)
    # the quarter ends with the ticket still being rectified: the handbook is compiled all the same
    api.travel(T("2026-03-31T18:00:01+08:00"))
    fire_due(api.svc)
    api.complete(SUP, "compile_handbook", {"foreword": "本季度互查发现问题1项，正在整改。", "highlights": [
        {"branch": "sc1", "title": "活动室规范", "practice": "党员活动室按“六有”标准建设。"}]}, round_id)
    assert api.get(f"/api/instances/{round_id}", SUP).get_json()["status"] == "completed"
    handbook = api.get(f"/api/inspections/rounds/{round_id}/handbook", "sec_sc1").get_json()
    assert handbook["compiled"] is True and handbook["branches"][0]["problems"] == ["三会一课记录不全"]
    # the ticket and the inspection go on: closed, then 回头看 ends the inspection
    [ticket] = ticket_ids(api, SUP, branch="sc1")
    close_ticket(api, ticket)
    api.travel(T("2026-04-20T18:00:01+08:00"))
    fire_due(api.svc)
    api.complete("wei_jg1", "recheck", {"passed": True, "findings": "全部整改到位"}, sc1)
    assert api.get(f"/api/instances/{sc1}", SUP).get_json()["outcome"] == "rectified"
    for iid in (round_id, sc1, ticket):
        assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True, iid


def test_the_feedback_page_refuses_an_early_rectification_date_in_chinese(api):
    import re
    from test_web__pages import _csrf, login
    body = publish(api, teams=[{"branch": "sc1", "members": TEAM_SC1}])
    sc1 = body["inspections"][0]["id"]
    visit(api, "wei_jg1", sc1)
    api.complete("wei_jg1", "scoring", {"scores": FULL}, sc1)
    feedback = api.task("wei_jg1", "feedback", sc1)
    client = login(api, "wei_jg1")
    data = {"csrf_token": _csrf(client, f"/tasks/{feedback['id']}"), "strengths.0": "党员活动室规范",
            "problems.0.title": "三会一课记录不全", "problems.0.suggestion": "逐月补齐记录", "rectify_by": "2026-03-10"}
    r = client.post(f"/tasks/{feedback['id']}", data=data)
    assert r.status_code == 422, r.text[:2000]
    field = re.search(r'data-path="rectify_by".*?</div>', r.text, re.S).group(0)
    assert "整改时限不能早于整改方案提交期限" in field
    assert api.task("wei_jg1", "feedback", sc1)["status"] == "open"
