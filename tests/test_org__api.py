"""The organisation as data: branches, party groups and people through the API and the CLI, bad input named
by field, forms taking their branch choices from the organisation, and my own password."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main as cli
from service.flows.demo import DEMO_GROUPS
from conftest import DEMO_PASSWORD

FORMS = Path(__file__).resolve().parents[1] / "forms"


def run(api, tmp_path, *args, input=None):
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    return CliRunner().invoke(cli, list(args), env=env, input=input)


def fields_of(r, status=422) -> list[str]:
    assert r.status_code == status, r.get_json()
    return [e["field"] for e in r.get_json()["error"]["errors"]]


def test_the_demo_loads_the_company(api):
    branches = {b["code"]: b for b in api.get("/api/branches", "sec_jg1").get_json()["items"]}
    assert {c: b["name"] for c, b in branches.items()} == {
        "jg1": "机关一支部", "jg2": "机关二支部", "sc1": "生产一支部", "sc2": "生产二支部", "sb": "设备党支部"}
    groups = api.get("/api/groups", "admin").get_json()["items"]
    assert len(groups) == 14 == sum(len(v) for v in DEMO_GROUPS.values())
    assert all(g["leader"] and len(g["members"]) >= 2 for g in groups)
    for code in branches:
        people = api.get("/api/people", "admin", query_string={"branch": code}).get_json()["items"]
        members = [p for p in people if any(g["role"] == "member" for g in p["grants"])]
        assert len(members) >= 10 and all(p["group_id"] and p["branch"] == code for p in members)
        assert all(any("\u4e00" <= c <= "\u9fff" for c in p["display_name"]) for p in members)


def test_an_admin_adds_a_branch_a_group_and_a_person(api):
    r = api.post("/api/branches", "admin", json={"code": "zz9", "name": "检修党支部"})
    assert r.status_code == 201 and r.get_json()["name"] == "检修党支部"
    r = api.post("/api/people", "admin", json={"username": "zz9_a", "password": "password-zz9", "display_name": "赵一",
                                               "branch": "zz9", "roles": [{"role": "member", "branch": "zz9"}]})
    assert r.status_code == 201, r.get_json()
    group = api.post("/api/groups", "admin", json={"branch": "zz9", "name": "检修党小组", "leader": "zz9_a"}).get_json()
    assert group["leader"] == "zz9_a" and [m["username"] for m in group["members"]] == ["zz9_a"]
    person = api.call("PATCH", "/api/people/zz9_a", "admin", json={"display_name": "赵一鸣"}).get_json()
    assert person["group_name"] == "检修党小组" and person["branch_name"] == "检修党支部" and person["display_name"] == "赵一鸣"
    renamed = api.call("PATCH", "/api/branches/zz9", "admin", json={"name": "检修党总支"}).get_json()
    assert renamed == {"code": "zz9", "name": "检修党总支", "groups": 1, "people": 1}
    # the new branch is a choice of every form at once, labelled from the organisation
    started = {p["process"]: p for p in api.get("/api/processes/startable", "supervisor").get_json()["items"]}
    branch = started["rectification"]["form"]["properties"]["branch"]
    assert "zz9" in branch["enum"] and branch["x-enum-labels"]["zz9"] == "检修党总支"


def test_bad_organisation_input_is_refused_naming_the_field(api):
    assert fields_of(api.post("/api/branches", "admin", json={"code": "Bad Code", "name": "x"})) == ["code"]
    assert fields_of(api.post("/api/branches", "admin", json={"code": "jg1", "name": "重复"})) == ["code"]
    assert fields_of(api.post("/api/branches", "admin", json={"code": "zz8"})) == ["name"]
    person = {"username": "p1", "password": "password-p1", "display_name": "钱二"}
    assert fields_of(api.post("/api/people", "admin", json=dict(person, branch="nope"))) == ["branch"]
    assert fields_of(api.post("/api/people", "admin", json=dict(person, roles=[{"role": "pope"}]))) == ["roles.0.role"]
    assert fields_of(api.post("/api/people", "admin", json=dict(person, roles=[{"role": "member", "branch": "x"}]))) \
        == ["roles.0.branch"]
    sc1_group = api.get("/api/groups", "admin", query_string={"branch": "sc1"}).get_json()["items"][0]["id"]
    assert fields_of(api.post("/api/people", "admin", json=dict(person, branch="jg1", group_id=sc1_group))) == ["group_id"]
    assert fields_of(api.post("/api/people", "admin", json=dict(person, email="not-mail"))) == ["email"]
    assert fields_of(api.post("/api/groups", "admin", json={"branch": "jg1", "name": "新组", "leader": "sc1_m01"})) == ["leader"]
    assert fields_of(api.post("/api/groups", "admin", json={"branch": "jg1", "name": "综合党小组"})) == ["name"]
    assert fields_of(api.call("PATCH", "/api/people/jg1_m01", "admin", json={"group_id": sc1_group})) == ["group_id"]
    assert fields_of(api.call("PATCH", "/api/people/nobody", "admin", json={"display_name": "无"}), 404) == ["username"]
    assert fields_of(api.get("/api/tasks", "admin", query_string={"branch": "nope"})) == ["branch"]
    # only an admin maintains it
    assert api.post("/api/branches", "supervisor", json={"code": "zz7", "name": "x"}).status_code == 403
    assert api.call("PATCH", "/api/people/jg1_m01", "sec_jg1", json={"display_name": "x"}).status_code == 403


def test_a_start_form_validates_its_branch_against_the_organisation(api):
    body = {"process": "rectification", "variables": {"branch": "zz9", "source": "problem_list", "title": "制度未上墙",
                                                       "rectify_by": "2026-03-13"}}
    assert fields_of(api.post("/api/instances", "supervisor", json=body)) == ["variables.branch"]
    assert api.post("/api/branches", "admin", json={"code": "zz9", "name": "检修党支部"}).status_code == 201
    assert api.post("/api/people", "admin", json={"username": "sec_zz9", "password": "password-zz9", "display_name": "孙三",
                                                  "branch": "zz9", "roles": [{"role": "secretary", "branch": "zz9"}]}).status_code == 201
    r = api.post("/api/instances", "supervisor", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["title"].endswith("检修党支部")


def test_no_form_file_lists_branch_codes():
    for path in FORMS.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert '"jg1"' not in text and '"sb"' not in text, path


def test_branch_people_see_their_own_branch(api):
    mine = api.get("/api/people", "sec_jg1").get_json()["items"]
    assert mine and {p["branch"] for p in mine} == {"jg1"}
    assert fields_of(api.get("/api/people", "sec_jg1", query_string={"branch": "sc1"})) == ["branch"]
    everyone = api.get("/api/people", "supervisor").get_json()["items"]
    assert {p["branch"] for p in everyone} >= {"jg1", "sc1", None}


def test_a_person_changes_their_own_password(api):
    assert fields_of(api.post("/api/me/password", "jg1_m02", json={"old_password": "wrong", "new_password": "new-password-1"})) \
        == ["old_password"]
    assert fields_of(api.post("/api/me/password", "jg1_m02", json={"old_password": DEMO_PASSWORD, "new_password": "short"})) \
        == ["new_password"]
    token = api.login("jg1_m02")
    assert api.post("/api/me/password", "jg1_m02", json={"old_password": DEMO_PASSWORD,
                                                         "new_password": "new-password-1"}).status_code == 204
    assert api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = api.client.post("/api/auth/login", json={"username": "jg1_m02", "password": "new-password-1"})
    assert r.status_code == 200


def test_the_cli_maintains_the_organisation(api, tmp_path):
    failed = run(api, tmp_path, "users", "add", "x1", "--role", "member", "--branch", "zz9", "--password-stdin",
                 input="password-x1\n")
    assert failed.exit_code != 0 and "branch" in failed.output
    assert run(api, tmp_path, "branches", "add", "zz9", "检修党支部").exit_code == 0
    added = run(api, tmp_path, "users", "add", "x1", "--role", "member", "--branch", "zz9", "--display-name", "周四",
                "--password-stdin", input="password-x1\n")
    assert added.exit_code == 0, added.output
    made = run(api, tmp_path, "groups", "add", "zz9", "检修党小组", "--leader", "x1")
    assert made.exit_code == 0, made.output
    people = [json.loads(line) for line in run(api, tmp_path, "people", "list", "--branch", "zz9").output.splitlines()]
    assert [(p["username"], p["group_name"], p["branch_name"]) for p in people] == [("x1", "检修党小组", "检修党支部")]
    bad = run(api, tmp_path, "groups", "add", "zz9", "二组", "--leader", "sc1_m01")
    assert bad.exit_code != 0 and "leader" in bad.output
    roles = run(api, tmp_path, "people", "roles", "x1", "--role", "member@zz9", "--role", "branch_committee@zz9")
    assert roles.exit_code == 0, roles.output
    listed = [json.loads(line) for line in run(api, tmp_path, "branches", "list").output.splitlines()]
    assert {"code": "zz9", "name": "检修党支部", "groups": 1, "people": 1} in listed


def test_the_cli_opens_a_period_for_every_branch_once(api, tmp_path):
    first = run(api, tmp_path, "duty", "open-quarter", "2026Q2")
    assert first.exit_code == 0 and "started 5, already open 0" in first.output, first.output
    assert "started 0, already open 5" in run(api, tmp_path, "duty", "open-quarter", "2026Q2").output
    assert "started 14" in run(api, tmp_path, "duty", "open-meetings", "2026-03").output
    bad = run(api, tmp_path, "duty", "open-scores", "2026-13")
    assert bad.exit_code != 0 and "month" in bad.output
