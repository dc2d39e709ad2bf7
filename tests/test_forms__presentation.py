"""Forms as people fill them in: every choice has a Chinese label (branch choices named from the organisation),
fields come in the form's order, and every refusal says in Chinese what is wrong with each field."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from service.domain.errors import ValidationFailed
from service.flows import forms
from scenarios import SUP, file_ticket

FORMS = Path(__file__).resolve().parents[1] / "forms"
SEC = "sec_sb"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BRANCH_CODES = {"jg1", "jg2", "sc1", "sc2", "sb"}


def _enums(schema, path="(root)"):
    """(path, schema) of every schema with an enum, through properties and array items."""
    if not isinstance(schema, dict):
        return
    if "enum" in schema:
        yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from _enums(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _enums(schema["items"], f"{path}[]")


@pytest.mark.parametrize("path", sorted(FORMS.rglob("*.json")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_choice_in_a_form_file_has_a_chinese_label(path):
    form = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(forms.schema_of(form))  # the hints leave the schema valid
    for where, schema in _enums(form):
        if set(schema["enum"]) <= BRANCH_CODES:  # organisation data: labelled when served, never in a file
            assert "x-enum-labels" not in schema, where
            continue
        labels = schema.get("x-enum-labels")
        assert labels is not None and list(labels) == schema["enum"], f"{where}: a label for each value, in order"
        assert all(any("\u4e00" <= c <= "\u9fff" for c in label) for label in labels.values()), where


def upload(api, name="整改报告.pdf"):
    r = api.post("/api/attachments", SEC, data={"branch": "sb", "file": (io.BytesIO(PDF), name)},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def to_verify(api) -> tuple[str, dict]:
    """A ticket of 设备党支部 walked to the supervisor's verification: (instance, the verify task)."""
    tid = file_ticket(api)["id"]
    api.complete(SEC, "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}, tid)
    api.complete(SEC, "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    api.complete(SEC, "evidence", {"evidence": [upload(api)]}, tid)
    return tid, api.task(SUP, "verify", tid)


def errors_of(r) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.get_json()
    return [(e["field"], e["message_zh"]) for e in r.get_json()["error"]["errors"]]


def test_the_served_task_form_labels_its_choices_and_keeps_its_order(api):
    _, task = to_verify(api)
    form = api.get(f"/api/tasks/{task['id']}", SUP).get_json()["form"]
    verdict = form["properties"]["verdict"]
    assert verdict["x-enum-labels"] == {"closed": "通过，销号", "sent_back": "退回重新整改"}
    # the answer's JSON sorts keys; x-order keeps the order the form file gives its fields
    assert form["x-order"] == ["verdict", "reason", "comment"]


def test_branch_choices_are_named_from_the_organisation(api):
    with api.svc.uow() as uow:
        uow.identity.branch("sb").name = "设备党总支"
        uow.commit()
    started = {p["process"]: p for p in api.get("/api/processes/startable", SEC).get_json()["items"]}
    branch = started["rectification"]["form"]["properties"]["branch"]
    assert branch["x-enum-labels"]["sb"] == "设备党总支" and branch["x-enum-labels"]["jg1"] == "机关一支部"
    source = started["rectification"]["form"]["properties"]["source"]
    assert source["x-enum-labels"]["problem_list"] == "问题清单"
    # a branch choice inside array items is labelled too (the supervisor's round of inspections)
    rounds = {p["process"]: p for p in api.get("/api/processes/startable", SUP).get_json()["items"]}["inspection_round"]
    team = rounds["form"]["properties"]["teams"]["items"]
    assert team["properties"]["branch"]["x-enum-labels"]["sb"] == "设备党总支"
    assert team["x-order"] == ["branch", "members"]


def test_a_verification_without_a_verdict_asks_only_for_the_verdict(api):
    tid, task = to_verify(api)
    complete = f"/api/tasks/{task['id']}/complete"
    assert errors_of(api.post(complete, SUP, json={"data": {}})) == [("data.verdict", "必填")]
    # the reason is asked for once the verdict is "sent back"
    assert errors_of(api.post(complete, SUP, json={"data": {"verdict": "sent_back"}})) == [("data.reason", "必填")]
    r = api.post(complete, SUP, json={"data": {"verdict": "closed"}})
    assert r.status_code == 200, r.get_json()
    assert api.get(f"/api/instances/{tid}", SUP).get_json()["status"] == "completed"


def test_refusals_name_each_field_in_chinese_and_keep_the_english_message(api):
    r = api.post("/api/instances", SEC, json={"process": "rectification", "variables": {
        "branch": "sb", "source": "rumour", "title": "x", "rectify_by": "2026-13-45", "colour": "red"}})
    got = {e["field"]: e for e in r.get_json()["error"]["errors"]}
    assert r.status_code == 422
    assert {f: e["message_zh"] for f, e in got.items()} == {
        "variables.source": "请从列表中选择", "variables.title": "至少2个字",
        "variables.rectify_by": "请填写有效日期（年-月-日）", "variables.colour": "不认识的字段"}
    assert got["variables.title"]["message"] == "'x' is too short"
    # an unknown branch, found by the use case rather than the schema, is explained in Chinese too
    r = api.post("/api/instances", SEC, json={"process": "rectification", "variables": {
        "branch": "sb", "source": "diagnosis", "source_instance": "00000000-0000-4000-8000-000000000000",
        "title": "台账不全", "rectify_by": "2026-03-13"}})
    assert errors_of(r) == [("variables.source_instance", "本支部没有这个流程")]


def test_evidence_of_another_branch_is_refused_in_chinese(api):
    tid = file_ticket(api)["id"]
    api.complete(SEC, "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}, tid)
    api.complete(SEC, "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    task = api.task(SEC, "evidence", tid)
    r = api.post(f"/api/tasks/{task['id']}/complete", SEC,
                 json={"data": {"evidence": ["00000000-0000-4000-8000-000000000000"]}})
    assert errors_of(r) == [("data.evidence[0]", "附件不存在或不是为本支部上传的，请重新上传")]


BOUNDS = {"type": "object", "additionalProperties": False, "properties": {
    "n": {"type": "number", "minimum": 0, "maximum": 100},
    "m": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5},
    "text": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
    "id": {"type": "string", "format": "uuid"},
    "list": {"type": "array", "minItems": 2, "maxItems": 3, "uniqueItems": True, "items": {"type": "integer"}},
    "fixed": {"const": "yes"}, "odd": {"type": "integer", "multipleOf": 2}}}


@pytest.mark.parametrize("data,expected", [
    ({"n": -1}, "不能小于0"), ({"n": 100.5}, "不能大于100"), ({"m": 0}, "必须大于0"), ({"m": 11}, "必须小于10.5"),
    ({"text": "abcdef"}, "不能超过5个字"), ({"text": "ABC"}, "格式不正确"), ({"n": "ten"}, "格式不正确"),
    ({"id": "42"}, "请填写有效的编号"),
    ({"list": [1]}, "至少填写2项"), ({"list": [1, 2, 3, 4]}, "最多填写3项"), ({"list": [1, 1]}, "不能重复"),
    ({"fixed": "no"}, "取值不符合要求"), ({"odd": 3}, "填写有误"),
])
def test_each_kind_of_mistake_has_its_chinese_message(data, expected):
    with pytest.raises(ValidationFailed) as caught:
        forms.validate(BOUNDS, data)
    assert [e["message_zh"] for e in caught.value.errors] == [expected]


def test_the_api_document_describes_the_chinese_message_and_the_new_lists(api):
    spec = api.client.get("/api/openapi.json").get_json()
    assert "message_zh" in spec["components"]["schemas"]["ErrorItem"]["properties"]
    for path in ("/api/tasks/done", "/api/instances/mine", "/api/processes/startable"):
        assert spec["paths"][path]["get"]["x-roles"] == "authenticated", path
