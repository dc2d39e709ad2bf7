"""Limits and unreadable input: each is a clear 4xx naming where, and changes nothing."""
from __future__ import annotations

import io

import pytest
from scenarios import SEC, SUP, open_pairing


PAGED = ("/api/tasks", "/api/instances", "/api/tickets")


def counts(api) -> tuple[int, int]:
    """(instances, events) in the database."""
    with api.svc.db_engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in ("instances", "events"))


def raw(api, path: str, body: bytes | str, user: str = SUP):
    return api.post(path, user, data=body, content_type="application/json")


def test_a_body_over_one_megabyte_is_refused_unread(api):
    before = counts(api)
    r = raw(api, "/api/instances", '{"process": "pairing", "variables": {"x": "' + "a" * (1024 * 1024) + '"}}')
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "too_large" and r.get_json()["error"]["errors"][0]["field"] == "body"
    assert counts(api) == before


def test_form_data_over_256_kb_is_refused_counting_utf8_bytes(api):
    iid = open_pairing(api)
    task = api.task(SEC, "sign_secretary", iid)
    before = counts(api)
    # 90,000 汉字: 90,000 characters but 270,000 bytes (under the 1 MB body limit)
    r = api.post(f"/api/tasks/{task['id']}/complete", SEC, json={"data": {"signed": True, "note": "汉" * 90000}})
    assert r.status_code == 413, r.get_json()
    assert r.get_json()["error"]["errors"][0]["field"] == "data"
    assert counts(api) == before
    assert api.task(SEC, "sign_secretary", iid)["id"] == task["id"]  # still open
    r = api.post(f"/api/tasks/{task['id']}/complete", SEC, json={"data": {"signed": True}})
    assert r.status_code == 200


@pytest.mark.parametrize("path", PAGED)
def test_pages_are_capped_at_200(api, path):
    r = api.get(path, SUP, query_string={"per_page": 201})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "per_page"
    r = api.get(path, SUP, query_string={"per_page": 0})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "per_page"
    r = api.get(path, SUP, query_string={"per_page": 200, "page": 100000})
    assert r.status_code == 200 and r.get_json()["items"] == [] and r.get_json()["per_page"] == 200


@pytest.mark.parametrize("body, message", [
    ("[" * 100000 + "]" * 100000, "deeper than 64"),      # would exhaust Python's recursion
    ('{"a":' * 65 + "1" + "}" * 65, "deeper than 64"),
    ('{"process": "pairing", "variables": NaN}', "NaN"),
    ('{"process": "pairing", "variables": {"months": Infinity}}', "Infinity"),
    ('{"process": "pairing", "variables": {"months": 1e400}}', "out of range"),
    ('{"process": "pairing", ', "not valid JSON"),
    (b'\xff\xfe{"process"', "not valid JSON"),
])
def test_unreadable_json_is_a_400_naming_the_body(api, body, message):
    before = counts(api)
    r = raw(api, "/api/instances", body)
    assert r.status_code == 400, r.get_json()
    error = r.get_json()["error"]
    assert error["errors"][0]["field"] == "body" and message in error["message"]
    assert counts(api) == before


def test_nul_characters_are_refused_where_they_are(api):
    """PostgreSQL text cannot hold NUL: it must be refused before it reaches a query."""
    before = counts(api)
    r = api.post("/api/instances", SUP, json={"process": "pairing", "variables": {
        "branch": "jg2", "helper": "supervisor", "term_start": "2026-03-02", "months": 3,
        "targets": [{"name": "台账\x00齐全率", "target": "100%"}]}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "variables.targets[0].name"
    r = api.post("/api/auth/login", json={"username": "sec\x00jg1", "password": "x"})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "username"
    r = api.get("/api/instances", SUP, query_string={"process": "pair\x00ing"})
    assert r.status_code == 400 and r.get_json()["error"]["errors"][0]["field"] == "process"
    r = api.get("/api/tasks/abc%00def", SUP)
    assert r.status_code == 400 and r.get_json()["error"]["errors"][0]["field"] == "path"
    pdf = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
    r = api.post("/api/attachments", SEC, data={"branch": "jg2\x00", "file": (pdf, "a.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "branch"
    assert counts(api) == before


@pytest.mark.parametrize("where,path,user,body,field", [
    ("username", "/api/auth/login", None, '{"username": "sec\\ud800", "password": "demo-password-1"}', "username"),
    ("password", "/api/auth/login", None, '{"username": "sec_jg1", "password": "pw\\udfff-secret"}', "password"),
    ("start variable", "/api/instances", SUP,
     '{"process": "pairing", "variables": {"branch": "jg2", "helper": "supervisor", "term_start": "2026-03-02", '
     '"months": 3, "targets": ["\\ud83d"]}}', "variables.targets[0]"),
    ("checklist title", "/api/inspections/checklists", SUP,
     '{"title": "清单\\ud83d", "items": [{"id": "a", "title": "台账规范", "max_points": 10}]}', "title"),
    ("checklist version 2^31", "/api/inspections/rounds", SUP,
     '{"quarter": "2026Q1", "checklist_version": 2147483648, "teams": []}', "checklist_version"),
    ("checklist version 2^63", "/api/inspections/rounds", SUP,
     '{"quarter": "2026Q1", "checklist_version": 9223372036854775808, "teams": []}', "checklist_version"),
])
def test_lone_surrogates_and_huge_integers_are_422_naming_the_field(api, where, path, user, body, field):
    """What a JavaScript client that cut a string inside an emoji sends, and integers past int4/int64."""
    before = counts(api)
    r = api.post(path, user, data=body, content_type="application/json") if user else \
        api.client.post(path, data=body, content_type="application/json")
    assert r.status_code == 422, (where, r.status_code, r.get_data(as_text=True)[:300])
    assert field in [e["field"] for e in r.get_json()["error"]["errors"]], r.get_json()
    assert counts(api) == before


def test_a_lone_surrogate_in_a_task_form_is_422_and_the_task_stays_open(api):
    iid = open_pairing(api)
    task = api.task(SEC, "sign_secretary", iid)
    before = counts(api)
    r = raw(api, f"/api/tasks/{task['id']}/complete", '{"data": {"signed": true, "note": "好\\ud83d"}}', SEC)
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "data.note"
    assert counts(api) == before and api.task(SEC, "sign_secretary", iid)["id"] == task["id"]
