"""The organisation page (admins) and the 公示栏 page, in Chinese, through the page session."""
from __future__ import annotations

import re

from test_duty__lifecycle import api, claim_all, done, open_quarter, SEC, SUP, WEI, BRANCH, MEMBERS  # noqa: F401


def login(api, username):
    client = api.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": "demo-password-1", "csrf_token": token})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:300]
    return client


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_admin_manages_the_organisation_from_a_page(api):
    admin = login(api, "admin")
    page = admin.get("/admin/org?branch=sc1").get_data(as_text=True)
    assert "生产一支部 · 党小组" in page and "甲班党小组" in page
    token = csrf(admin, "/admin/org")
    r = admin.post("/admin/org/branch", data={"csrf_token": token, "code": "jx1", "name": "检修党支部"})
    assert r.status_code == 303
    r = admin.post("/admin/org/group", data={"csrf_token": token, "branch": "jx1", "name": "检修党小组"}, follow_redirects=True)
    assert "已成立党小组" in r.get_data(as_text=True) and "检修党小组" in r.get_data(as_text=True)
    bad = admin.post("/admin/org/branch", data={"csrf_token": token, "code": "Bad", "name": "x"}, follow_redirects=True)
    assert "代码以小写字母开头" in bad.get_data(as_text=True)
    r = admin.post("/admin/org/disable", data={"csrf_token": token, "branch": "sc1", "username": "sc1_m03"}, follow_redirects=True)
    assert "已停用" in r.get_data(as_text=True)
    # a member may not open it
    assert login(api, "sc1_m01").get("/admin/org").status_code == 403


def test_the_board_shows_the_approved_claims_and_the_published_scores(api):
    quarter = open_quarter(api)
    claims = claim_all(api, quarter)
    done(api, "jg1_m03", "fill_claim", claims["jg1_m03"], {"basic": ["B1"], "strengths": "善于沟通"})
    done(api, WEI, "review_claim", claims["jg1_m03"], {"approved": True})
    member = login(api, "jg1_m07")
    page = member.get("/duty-board?branch=jg1&month=2026-04").get_data(as_text=True)
    assert "2026Q2 党员责任认领" in page and "基础岗：学习教育岗" in page and "本月考评结果尚未公示" in page
    scores = api.post("/api/duty/scores", SUP, json={"month": "2026-04", "branches": [BRANCH]}).get_json()["ids"][0]
    done(api, WEI, "score_members", scores, {"scores": [{"member": m, "score": 84} for m in MEMBERS]})
    done(api, SEC, "publish_scores", scores, {"published_on": "2026-04-30"})
    page = member.get("/duty-board?branch=jg1&month=2026-04").get_data(as_text=True)
    assert page.count("履职合格") >= 10


def test_a_member_picks_published_posts_on_the_claim_page(api):
    from test_duty__lifecycle import claims_by_member, task_of
    claim = claims_by_member(api, open_quarter(api))["jg1_m01"]
    task = task_of(api, "jg1_m01", "fill_claim", claim)
    page = login(api, "jg1_m01").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "填写《党员责任认领表》" in page and "学习教育岗" in page and "群众服务岗" in page
