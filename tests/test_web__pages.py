"""The pages over HTTP (Flask's test client; the browser walks are in test_web__browser.py): sessions
and CSRF, the same permission table as the API, Chinese errors that change nothing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from conftest import DEMO_PASSWORD, T0
from scenarios import SEC, SUP, open_pairing


def _csrf(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def login(api, username, password=DEMO_PASSWORD):
    client = api.app.test_client()
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": _csrf(client)})
    assert r.status_code == 303, r.text
    return client


def test_pages_ask_for_a_login_and_the_api_never_reads_the_page_cookie(api):
    anonymous = api.app.test_client()
    r = anonymous.get("/inbox")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    client = login(api, SEC)
    assert client.get("/inbox").status_code == 200
    assert client.get("/api/tasks").status_code == 401  # the cookie is no bearer token


def test_a_post_without_the_csrf_token_changes_nothing(api):
    iid = open_pairing(api)
    api.complete(SUP, "sign_helper", {"signed": True}, iid)
    task = api.task(SEC, "sign_secretary", iid)
    client = login(api, SEC)
    r = client.post(f"/tasks/{task['id']}", data={"signed": "on"})
    assert r.status_code == 303
    assert api.task(SEC, "sign_secretary", iid)["status"] == "open"
    assert "页面已过期" in client.get(r.headers["Location"]).text


def test_wrong_password_is_answered_in_chinese(api):
    client = api.app.test_client()
    r = client.post("/login", data={"username": SEC, "password": "nope-nope", "csrf_token": _csrf(client)})
    assert r.status_code == 401
    assert "账号或密码不正确" in r.text


def test_an_invalid_form_names_the_field_in_chinese_and_keeps_the_input(api):
    iid = open_pairing(api)
    api.complete(SUP, "sign_helper", {"signed": True}, iid)
    task = api.task(SEC, "sign_secretary", iid)
    client = login(api, SEC)
    r = client.post(f"/tasks/{task['id']}", data={"remarks": "先看看", "csrf_token": _csrf(client, f"/tasks/{task['id']}")})
    assert r.status_code == 422
    field = re.search(r'data-path="signed".*?</div>', r.text, re.S).group(0)
    assert "请勾选确认" in field
    assert "先看看" in r.text
    assert api.task(SEC, "sign_secretary", iid)["status"] == "open"


def test_an_auditor_reads_but_cannot_submit_and_only_admins_manage_users(api):
    iid = open_pairing(api)
    task = api.task(SUP, "sign_helper", iid)
    auditor = login(api, "auditor")
    assert auditor.get(f"/instances/{iid}").status_code == 200
    r = auditor.post(f"/tasks/{task['id']}/claim", data={"csrf_token": _csrf(auditor, f"/instances/{iid}")})
    assert r.status_code == 403 and "没有权限" in r.text
    assert login(api, SEC).get("/admin/users").status_code == 403
    assert login(api, "admin").get("/admin/users").status_code == 200


def test_the_inbox_shows_overdue_first_and_filters_by_text(api):
    first = open_pairing(api)
    api.complete(SUP, "sign_helper", {"signed": True}, first)
    api.complete(SEC, "sign_secretary", {"signed": True}, first)
    api.complete(SUP, "file_letter", {"archive_no": "JD-1"}, first)
    api.complete(SUP, "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                    "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                                    "summary": "台账管理薄弱"}, first)  # 提供配套工具 is due in 3 working days
    r = api.post("/api/instances", SEC, json={"process": "resource_request", "variables": {
        "branch": "jg2", "category": "场地", "need": "党员活动室", "reason": "开展主题党日"}})
    assert r.status_code == 201, r.get_json()
    api.travel(T0 + timedelta(days=10))
    client = login(api, SUP)
    page = client.get("/inbox").text
    rows = re.findall(r'<tr class="([^"]*)">\s*<td data-label="任务"><a [^>]*>([^<]+)</a>', page)
    assert rows[0] == ("late", "提供配套工具（3个工作日内）")
    assert "已逾期" in page
    found = client.get("/inbox", query_string={"q": "资源需求"}).text
    assert "对接相关部门协调解决" in found and "提供配套工具" not in found
    assert "没有待办任务" in client.get("/inbox", query_string={"q": "不存在的事项"}).text


def test_the_start_list_offers_what_the_roles_may_start(api):
    secretary = login(api, SEC).get("/start").text
    supervisor = login(api, SUP).get("/start").text
    assert "资源需求协调" in secretary and "结对提升" not in secretary
    assert "结对提升" in supervisor


def test_the_supervisor_rates_a_quarter_from_a_page_and_each_refusal_sits_beside_its_field(api):
    client = login(api, SUP)
    page = client.get("/start").text
    assert "季度亮牌" in page and "支部互查" not in page  # one inspection is started by its round, not alone
    token = _csrf(client, "/start/plaque_rating")
    r = client.post("/start/plaque_rating", data={"quarter": "2026Q9", "stars.jg1": "92", "csrf_token": token})
    assert r.status_code == 422
    assert "季度格式如 2026Q2" in re.search(r'data-path="quarter".*?</div>', r.text, re.S).group(0)
    r = client.post("/start/plaque_rating", data={"quarter": "2026Q1", "stars.jg1": "92", "csrf_token": token})
    assert r.status_code == 422
    beside = re.search(r'data-path="inspection.jg1".*?</div>', r.text, re.S).group(0)
    assert "机关一支部本季度没有互查得分，请填写" in beside
    assert 'value="92"' in r.text  # what was typed is kept
    r = client.post("/start/plaque_rating", data={"quarter": "2026Q1", "stars.jg1": "92", "inspection.jg1": "88",
                                                  "pairing.jg1": "90", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"].endswith("/plaques")
    board = client.get("/plaques").text
    assert "示范牌" in board or "达标牌" in board


def test_evidence_is_uploaded_with_the_task_form_and_a_refused_file_is_named_in_chinese(api):
    import io

    from scenarios import file_ticket

    tid = file_ticket(api)["id"]
    api.complete("sec_sb", "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}, tid)
    api.complete("sec_sb", "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    task = api.task("sec_sb", "evidence", tid)
    client = login(api, "sec_sb")
    page = client.get(f"/tasks/{task['id']}").text
    assert 'type="file" name="file.evidence"' in page
    token = _csrf(client, f"/tasks/{task['id']}")
    r = client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "description": "整改报告",
                                                   "file.evidence": (io.BytesIO(b"not a document"), "报告.txt")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    beside = re.search(r'data-path="evidence".*?</div>', r.text, re.S).group(0)
    assert "只能上传 PDF、PNG、JPEG、Word（.docx）或 Excel（.xlsx）文件" in beside
    assert "整改报告" in r.text  # the description typed is kept
    assert api.task("sec_sb", "evidence", tid)["status"] == "open"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = client.post(f"/tasks/{task['id']}", data={"csrf_token": token, "description": "整改报告",
                                                   "file.evidence": (io.BytesIO(pdf), "整改报告.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith("/done")
    verify = api.task(SUP, "verify", tid)
    evidence = api.get(f"/api/tasks/{verify['id']}", SUP).get_json()["process_data"]["evidence"]
    assert len(evidence) == 1 and api.get(f"/api/attachments/{evidence[0]}", SUP).data == pdf


def test_task_operations_from_the_pages(api):
    from test_tasks__operations import PLAN, RECTIFY, evidence

    from scenarios import file_ticket

    tid = file_ticket(api)["id"]
    api.complete("sec_sb", "plan", PLAN, tid)
    done = api.complete("sec_sb", "rectify", RECTIFY, tid)
    secretary = login(api, "sec_sb")
    page = secretary.get("/done").text
    assert 'data-test="withdraw"' in page
    token = _csrf(secretary, "/done")
    r = secretary.post(f"/tasks/{done['id']}/withdraw", data={"csrf_token": token})
    assert r.status_code == 303
    again = secretary.get(r.headers["Location"]).text
    assert "已撤回" in again and "制度牌已制作并悬挂" in again  # the form starts from what was submitted
    api.complete("sec_sb", "rectify", RECTIFY, tid)
    api.complete("sec_sb", "evidence", evidence(api), tid)
    verify = api.task(SUP, "verify", tid)
    supervisor = login(api, SUP)
    page = supervisor.get(f"/tasks/{verify['id']}").text
    assert 'data-test="send-back"' in page and "提交整改佐证材料" in page
    token = _csrf(supervisor, f"/tasks/{verify['id']}")
    r = supervisor.post(f"/tasks/{verify['id']}/send-back", data={"csrf_token": token, "target": "rectify", "reason": "x"})
    assert "请填写原因" in supervisor.get(r.headers["Location"]).text  # too short a reason: nothing sent back
    assert api.task(SUP, "verify", tid)["status"] == "open"
    supervisor.post(f"/tasks/{verify['id']}/send-back", data={"csrf_token": token, "target": "rectify",
                                                              "reason": "照片不清晰，重新整改"})
    assert api.task("sec_sb", "rectify", tid)["status"] == "open"
    page = supervisor.get(f"/instances/{tid}").text
    assert 'data-test="urge"' in page and 'data-test="terminate"' in page and "退回" in page
    rectify = api.task("sec_sb", "rectify", tid)
    supervisor.post(f"/tasks/{rectify['id']}/urge", data={"csrf_token": token})
    assert "一小时内已催办过" in supervisor.get(
        supervisor.post(f"/tasks/{rectify['id']}/urge", data={"csrf_token": token}).headers["Location"]).text
    supervisor.post(f"/instances/{tid}/cc", data={"csrf_token": token, "recipients": "sec_jg1"})
    reader = login(api, "sec_jg1")
    assert "整改销号 · 设备党支部" in reader.get("/cc").text
    assert reader.get(f"/instances/{tid}").status_code == 200
    supervisor.post(f"/instances/{tid}/terminate", data={"csrf_token": token, "reason": "重复登记，终止"})
    assert "已终止" in supervisor.get(f"/instances/{tid}").text


def test_the_admin_sees_calendar_years_and_a_bad_year_file_is_refused_in_chinese(api):
    import io
    import json

    admin = login(api, "admin")
    page = admin.get("/admin/calendar").text
    assert "2026" in page and "内置官方日历" in page
    token = _csrf(admin, "/admin/calendar")
    r = admin.post("/admin/calendar", data={"csrf_token": token, "file": (io.BytesIO(b"{not json"), "2027.json")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "文件不是有效的 JSON 日历文件" in r.text
    bad = json.dumps({"year": 2027, "source": "国务院办公厅通知", "holidays": ["2027-13-01"], "workdays": []}).encode()
    r = admin.post("/admin/calendar", data={"csrf_token": token, "file": (io.BytesIO(bad), "2027.json")},
                   content_type="multipart/form-data")
    assert r.status_code == 422 and "日历文件有误" in r.text
    assert "2027" not in [y["year"] for y in api.get("/api/calendar/years", "admin").get_json()]
    good = json.dumps({"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知",
                       "holidays": ["2027-01-01"], "workdays": []}).encode()
    r = admin.post("/admin/calendar", data={"csrf_token": token, "file": (io.BytesIO(good), "2027.json")},
                   content_type="multipart/form-data")
    assert r.status_code == 200 and "已载入 2027 年官方日历" in r.text
    assert 2027 in [y["year"] for y in api.get("/api/calendar/years", "admin").get_json()]
    assert login(api, SEC).get("/admin/calendar").status_code == 403


def test_delegation_countersigning_and_deputies_from_the_pages(api):
    from test_tasks__operations import PLAN

    from scenarios import file_ticket

    tid = file_ticket(api)["id"]
    plan = api.task("sec_sb", "plan", tid)
    secretary = login(api, "sec_sb")
    token = _csrf(secretary, f"/tasks/{plan['id']}")
    secretary.post(f"/tasks/{plan['id']}/countersign", data={"csrf_token": token, "signer": SUP, "when": "before",
                                                              "reason": "请党群部把关"})
    supervisor = login(api, SUP)
    sign = [t for t in api.inbox(SUP) if t["kind"] == "sign_before"][0]
    page = supervisor.get(f"/tasks/{sign['id']}").text
    assert "前加签" in page and 'name="approved"' in page and "请您审批" in page
    supervisor.post(f"/tasks/{sign['id']}", data={"csrf_token": _csrf(supervisor, f"/tasks/{sign['id']}"),
                                                  "approved": "on", "comment": "同意"})
    assert api.get(f"/api/tasks/{sign['id']}", SUP).get_json()["status"] == "completed"
    secretary.post(f"/tasks/{plan['id']}/delegate", data={"csrf_token": token, "to": "wei_sb", "reason": "请起草方案"})
    member = login(api, "wei_sb")
    data = {f"measures.0": PLAN["measures"][0], "owner": PLAN["owner"], "planned_date": PLAN["planned_date"],
            "csrf_token": _csrf(member, f"/tasks/{plan['id']}")}
    assert member.post(f"/tasks/{plan['id']}", data=data).status_code == 303
    back = secretary.get(f"/tasks/{plan['id']}").text
    assert "委派办理的结果" in back and "制作制度牌并上墙" in back  # the delegate's work, to confirm
    page = secretary.get("/me/deputies").text
    assert "没有设置代理人" in page
    secretary.post("/me/deputies", data={"csrf_token": token, "deputy": "sec_jg1", "starts_on": "2026-03-09",
                                         "ends_on": "2026-03-13"})
    assert "sec_jg1" in secretary.get("/me/deputies").text
    history = secretary.get(f"/instances/{tid}").text
    assert "加签" in history and "委派" in history and "委派办结" in history
