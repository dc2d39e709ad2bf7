"""Authorization: every route walked as every role (and as nobody), compared with domain/permissions.py."""
from __future__ import annotations

import io

import pytest

from conftest import DEMO_PASSWORD, Api, build_app
from service.api.context import operation
from service.app import create_app
from service.domain import permissions
from service.domain.roles import Grant
from service.flows import auth

#: one account per role holding that role only (branch roles on jg1), and one holding no role at all
BRANCH_ROLES = {"helper", "secretary", "branch_committee", "inspector", "member"}
ROLE_USERS = {f"only_{role}": role for role in sorted(permissions.EVERY_ROLE)}
NO_ROLE = "no_role_at_all"

#: path parameters that name nothing: an allowed caller gets 404 (or 422), never 401/403
PLACEHOLDERS = {"{task_id}": "no-such-task", "{instance_id}": "no-such-instance", "{seq}": "1",
                "{round_id}": "no-such-round", "{attachment_id}": "no-such-file"}


def api_operations(app) -> list[str]:
    """Every operation the app routes under /api, as METHOD /path/{param}."""
    ops = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            ops.update(operation(m, rule.rule) for m in rule.methods - {"HEAD", "OPTIONS"})
    # logging out revokes the walker's token: walk it last
    return sorted(ops, key=lambda op: (op == "POST /api/auth/logout", op))


@pytest.fixture
def walker(tmp_path) -> Api:
    app = build_app(tmp_path)
    svc = app.extensions["branchflow"]
    with svc.uow() as uow:
        for username, role in ROLE_USERS.items():
            grant = Grant(role, "jg1") if role in BRANCH_ROLES else Grant(role)
            auth.add_user(svc, uow, username, DEMO_PASSWORD, grants=[grant])
        auth.add_user(svc, uow, NO_ROLE, DEMO_PASSWORD, grants=[])
        uow.commit()
    return Api(app)


def call(api: Api, op: str, user: str | None):
    method, path = op.split(" ", 1)
    for placeholder, value in PLACEHOLDERS.items():
        path = path.replace(placeholder, value)
    # an empty JSON body: allowed callers get a validation answer, the others must not get that far
    return api.call(method, path, user, json={}) if method == "POST" else api.call(method, path, user)


def expected_denial(rule, user: str | None) -> int | None:
    """401/403 when the table refuses ``user`` (None: anonymous), None when it lets them through."""
    if rule == permissions.PUBLIC:
        return None
    if user is None:
        return 401
    roles = [] if user == NO_ROLE else [ROLE_USERS[user]]
    return None if permissions.allows(rule, roles) else 403


def test_the_table_names_every_route_and_nothing_else(walker):
    assert set(api_operations(walker.app)) == set(permissions.PERMISSIONS)


def test_every_route_as_every_role_matches_the_permission_table(walker):
    users = [None, NO_ROLE, *ROLE_USERS]
    for user in users[1:]:
        walker.login(user)
    mismatches, walked = [], 0
    for op in api_operations(walker.app):
        rule = permissions.rule_of(op)
        for user in users:
            status = call(walker, op, user).status_code
            walked += 1
            denial = expected_denial(rule, user)
            if denial is not None and status != denial:
                mismatches.append(f"{op} as {user}: {status}, table says {denial}")
            if denial is None and status in (401, 403):
                mismatches.append(f"{op} as {user}: {status}, table lets them through")
    assert not mismatches, "\n".join(mismatches)
    assert walked == len(permissions.PERMISSIONS) * len(users)


def test_a_refused_caller_learns_nothing_about_the_body(walker):
    """Authorization comes before validation: a wrong body still gets 401/403, not a 422 naming fields."""
    r = walker.post("/api/ratings", "only_secretary", json={"quarter": "not a quarter"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    r = walker.post("/api/inspections/rounds", None, json={"teams": "garbage"})
    assert r.status_code == 401 and r.get_json()["error"]["errors"] == []


def test_an_app_with_a_route_missing_from_the_table_refuses_to_start(walker, monkeypatch):
    svc = walker.svc
    monkeypatch.delitem(permissions.PERMISSIONS, "POST /api/ratings")
    with pytest.raises(RuntimeError, match="POST /api/ratings"):
        create_app(services=svc)


def test_the_openapi_document_carries_the_table(walker):
    spec = walker.get("/api/openapi.json").get_json()
    ratings = spec["paths"]["/api/ratings"]["post"]
    assert ratings["x-roles"] == ["supervisor"] and {"401", "403"} <= set(ratings["responses"])
    login = spec["paths"]["/api/auth/login"]["post"]
    assert login["security"] == [] and login["x-roles"] == "public" and "401" not in login["responses"]
    assert spec["paths"]["/api/auth/me"]["get"]["x-roles"] == "authenticated"


def test_objects_of_another_branch_stay_out_of_sight(api):
    """Scope, checked by the use case on the object: the jg2 pairing is visible to jg2 and company roles."""
    r = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": {
        "branch": "jg2", "helper": "supervisor", "term_start": "2026-03-02", "months": 3,
        "targets": [{"name": "台账齐全率", "target": "100%"}]}})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    task = api.task("sec_jg2", "sign_secretary", iid)["id"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = api.post("/api/attachments", "sec_jg2", data={"branch": "jg2", "file": (io.BytesIO(pdf), "佐证.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    attachment = r.get_json()["id"]
    reads = [f"/api/instances/{iid}", f"/api/instances/{iid}/history", f"/api/instances/{iid}/history/1",
             f"/api/instances/{iid}/verify", f"/api/instances/{iid}/export", f"/api/tasks/{task}",
             f"/api/attachments/{attachment}"]
    for path in reads:
        for user in ("sec_jg2", "wei_jg2", "committee", "auditor"):
            assert api.get(path, user).status_code == 200, (path, user)
        for user in ("sec_jg1", "wei_sc1", "zonghe"):  # other branches, and the helper of another branch
            r = api.get(path, user)
            assert r.status_code == 404, (path, user, r.status_code)
    assert iid not in {i["id"] for i in api.get("/api/instances", "sec_jg1").get_json()["items"]}
    assert iid in {i["id"] for i in api.get("/api/instances", "sec_jg2").get_json()["items"]}
