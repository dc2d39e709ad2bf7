"""Accounts through the API (admins only) and giving up a claim (release), audited and replayable."""
from __future__ import annotations

from scenarios import SEC, WEI, open_pairing


def test_admin_adds_resets_disables_and_unlocks_accounts(api):
    r = api.post("/api/users", "admin", json={"username": "mem_jg2_01", "password": "first-pass-1",
                                             "display_name": "张三", "roles": [{"role": "member", "branch": "jg2"}]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["grants"] == [{"role": "member", "role_label": "党员", "branch": "jg2"}]
    assert api.post("/api/users", SEC, json={"username": "x1", "password": "12345678"}).status_code == 403
    bad = api.post("/api/users", "admin", json={"username": "x2", "password": "12345678",
                                               "roles": [{"role": "member", "branch": "zz9"}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["errors"][0]["field"] == "branch"
    assert "x2" not in [u["username"] for u in api.get("/api/users", "admin").get_json()["items"]]
    for _ in range(6):  # wrong passwords lock the account
        api.client.post("/api/auth/login", json={"username": "mem_jg2_01", "password": "wrong-wrong"})
    locked = [u for u in api.get("/api/users", "admin").get_json()["items"] if u["username"] == "mem_jg2_01"][0]
    assert locked["locked_until"] is not None
    assert api.post("/api/users/mem_jg2_01/unlock", "admin").get_json()["locked_until"] is None
    short = api.post("/api/users/mem_jg2_01/password", "admin", json={"password": "short"})
    assert short.status_code == 422
    assert api.post("/api/users/mem_jg2_01/password", "admin", json={"password": "second-pass-2"}).status_code == 200
    login = api.client.post("/api/auth/login", json={"username": "mem_jg2_01", "password": "second-pass-2"})
    assert login.status_code == 200
    assert api.post("/api/users/mem_jg2_01/active", "admin", json={"active": False}).get_json()["active"] is False
    token = login.get_json()["token"]
    assert api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_claim_is_released_by_its_claimant_or_the_branch_secretary_only(api):
    iid = open_pairing(api)
    for user, element, data in (("supervisor", "sign_helper", {"signed": True}), (SEC, "sign_secretary", {"signed": True}),
                                ("supervisor", "file_letter", {"archive_no": "JD-1"}),
                                ("supervisor", "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                                             "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                                                             "summary": "台账管理薄弱"}),
                                ("supervisor", "supply_tools", {"tools": [{"name": "台账模板"}]})):
        api.complete(user, element, data, iid)
    plan = api.task(WEI, "improvement_plan", iid)
    assert api.post(f"/api/tasks/{plan['id']}/claim", WEI).status_code == 200
    data = {"data": {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}}
    assert api.post(f"/api/tasks/{plan['id']}/complete", SEC, json=data).status_code == 409
    assert api.post(f"/api/tasks/{plan['id']}/release", "auditor").status_code == 403
    released = api.post(f"/api/tasks/{plan['id']}/release", SEC)  # the branch secretary oversees the holder
    assert released.status_code == 200 and released.get_json()["claimed_by"] is None
    assert api.post(f"/api/tasks/{plan['id']}/claim", SEC).status_code == 200
    assert api.post(f"/api/tasks/{plan['id']}/release", WEI).status_code == 403  # a colleague does not
    assert api.post(f"/api/tasks/{plan['id']}/complete", SEC, json=data).status_code == 200
    history = api.get(f"/api/instances/{iid}/history", "auditor").get_json()
    assert [e["type"] for e in history if e["type"] in ("claim", "release")] == ["claim", "release", "claim"]
    assert api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"] is True

