"""Auditors: history, state at an event, verification that locates tampering, export checked offline."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from service.cli import main as cli
from service.flows import audit
from scenarios import AUDITOR, HELPER, SEC, SUP, at_china, open_pairing, redeploy_with, sql, travel


def verify(api, iid) -> dict:
    r = api.get(f"/api/instances/{iid}/verify", AUDITOR)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def first_problem(api, iid) -> dict:
    body = verify(api, iid)
    assert body["ok"] is False and body["problems"], body
    return body["problems"][0]


def test_history_lists_every_event_with_actor_role_and_chinese_names(api, pairing):
    r = api.get(f"/api/instances/{pairing}/history", AUDITOR)
    assert r.status_code == 200
    events = r.get_json()
    # each helper task is the helper's own by the diagram's rule: the history says so before the helper acts
    assert [e["type"] for e in events] == ["start", "assigned", "complete", "complete", "complete", "assigned", "complete",
                                           "assigned", "complete", "complete", "assigned", "complete"]
    given = events[1]
    assert (given["actor"], given["element_name"]) == ("system", "甲方签署责任书")
    assert (given["data"]["assignee"], given["data"]["rule"], given["data"]["role"]) == (HELPER, "assignee_field:helper", "helper")
    sign = events[2]
    assert sign["actor"] == HELPER and sign["role"] == "helper" and sign["role_label"] == "政工负责人（甲方）"
    assert sign["element_name"] == "甲方签署责任书" and sign["data"]["data"] == {"signed": True}
    assert [e["seq"] for e in events] == list(range(1, 13))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:]))
    # branch roles read the history of their own branch only
    assert api.get(f"/api/instances/{pairing}/history", SEC).status_code == 200
    assert api.get(f"/api/instances/{pairing}/history", "sec_sb").status_code == 404


def test_state_at_an_event_is_replayed(api, pairing):
    after_start = api.get(f"/api/instances/{pairing}/history/1", AUDITOR).get_json()
    assert sorted(t["element"] for t in after_start["open_tasks"]) == ["sign_helper", "sign_secretary"]
    assert {t["role_label"] for t in after_start["open_tasks"]} == {"政工负责人（甲方）", "支部书记（乙方）"}
    after_diagnosis = api.get(f"/api/instances/{pairing}/history/7", AUDITOR).get_json()
    tools, = after_diagnosis["open_tasks"]
    assert tools["element"] == "supply_tools" and tools["due_at"] == "2026-03-05T10:00:00+00:00"
    assert {t["kind"] for t in after_diagnosis["timers"]} == {"remind", "escalate"}
    assert after_diagnosis["data"]["branch"] == "jg2"
    assert api.get(f"/api/instances/{pairing}/history/99", AUDITOR).status_code == 404


def test_untouched_instances_verify(api, pairing):
    body = verify(api, pairing)
    assert body["ok"] is True and body["events"] == 12 and body["problems"] == []
    travel(api, at_china("2026-04-01"))  # the term's first morning: month 1 and quarter 2026Q2 open
    children = [c["id"] for c in api.get(f"/api/instances/{pairing}", SUP).get_json()["children"]]
    assert children and all(verify(api, c)["ok"] for c in children)


def test_edited_event_data_is_located(api, pairing):
    as_text = "data::text" if api.svc.db_engine.dialect.name == "postgresql" else "data"
    cast_back = "::json" if api.svc.db_engine.dialect.name == "postgresql" else ""
    sql(api, f"UPDATE events SET data = replace({as_text}, '\"signed\": true', '\"signed\": false'){cast_back} "
             "WHERE instance_id = :i AND seq = 3", i=pairing)
    assert first_problem(api, pairing) == {"seq": 3, "field": "hash", "message": "event 3 (complete) was altered "
                                                                                   "after it was written"}


def test_deleted_event_is_located(api, pairing):
    sql(api, "DELETE FROM events WHERE instance_id = :i AND seq = 4", i=pairing)
    problem = first_problem(api, pairing)
    assert problem["seq"] == 4 and problem["field"] == "seq" and "missing" in problem["message"]


def test_reordered_events_are_located(api, pairing):
    sql(api, "UPDATE events SET seq = -1 WHERE instance_id = :i AND seq = 5", i=pairing)
    sql(api, "UPDATE events SET seq = 5 WHERE instance_id = :i AND seq = 6", i=pairing)
    sql(api, "UPDATE events SET seq = 6 WHERE instance_id = :i AND seq = -1", i=pairing)
    problem = first_problem(api, pairing)
    assert problem["seq"] == 5 and problem["field"] in ("prev_hash", "hash")


def test_edited_stored_state_is_located(api, pairing):
    sql(api, "UPDATE instances SET state = replace(state, '台账不全', '台账齐全') WHERE id = :i", i=pairing)
    problem = first_problem(api, pairing)
    assert problem["seq"] is None and problem["field"].startswith("state.tasks.") and problem["field"].endswith("shortcomings[0].title")


def test_swapped_or_edited_pinned_spec_is_detected(api, pairing):
    travel(api, at_china("2026-04-01"))
    children = api.get(f"/api/instances/{pairing}", SUP).get_json()["children"]
    other_spec = api.get(f"/api/instances/{children[0]['id']}", SUP).get_json()["spec_sha256"]
    sql(api, "UPDATE instances SET spec_sha = :s WHERE id = :i", s=other_spec, i=pairing)
    assert first_problem(api, pairing)["field"] == "instance.spec_sha"
    own = api.get(f"/api/instances/{pairing}/history", AUDITOR).get_json()[0]["data"]["spec"]
    sql(api, "UPDATE instances SET spec_sha = :s WHERE id = :i", s=own, i=pairing)
    assert verify(api, pairing)["ok"] is True
    sql(api, "UPDATE specs SET bpmn_xml = replace(bpmn_xml, '期末验收', '期末验收（改）') WHERE sha256 = :s", s=own)
    api.svc.bundles.clear()  # a fresh process would not have the genuine spec cached either
    assert first_problem(api, pairing)["field"] == "spec"


def test_events_are_append_only(api, pairing):
    with pytest.raises(DatabaseError, match="append-only"):
        with api.svc.db_engine.begin() as conn:
            conn.execute(text("UPDATE events SET actor = 'x' WHERE instance_id = :i"), {"i": pairing})
    with pytest.raises(DatabaseError, match="append-only"):
        with api.svc.db_engine.begin() as conn:
            conn.execute(text("DELETE FROM events WHERE instance_id = :i"), {"i": pairing})
    assert verify(api, pairing)["ok"] is True


def test_auditor_reads_everything_and_changes_nothing(api, pairing):
    for path in (f"/api/instances/{pairing}", f"/api/instances/{pairing}/history", f"/api/instances/{pairing}/verify",
                 f"/api/instances/{pairing}/export", "/api/instances"):
        assert api.get(path, AUDITOR).status_code == 200, path
    travel(api, at_china("2026-04-01"))
    child = api.get(f"/api/instances/{pairing}", SUP).get_json()["children"][0]["id"]
    open_task = api.get(f"/api/instances/{child}", AUDITOR).get_json()["open_tasks"][0]
    before = api.get(f"/api/instances/{child}/verify", AUDITOR).get_json()["events"]
    assert api.post(f"/api/tasks/{open_task['id']}/complete", AUDITOR, json={"data": {}}).status_code == 403
    assert api.post(f"/api/tasks/{open_task['id']}/claim", AUDITOR).status_code == 403
    assert api.post("/api/instances", AUDITOR, json={"process": "pairing", "variables": {}}).status_code == 403
    assert api.post("/api/calendar/years", AUDITOR, json={"year": 2027, "source": "x"}).status_code == 403
    assert api.get(f"/api/instances/{child}/verify", AUDITOR).get_json()["events"] == before


def run_cli(api, tmp_path, *args):
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    return CliRunner().invoke(cli, list(args), env=env)


def test_cli_verifies_every_instance_and_fails_on_tampering(api, pairing, tmp_path):
    result = run_cli(api, tmp_path, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 1  # the pairing (no month yet)
    assert run_cli(api, tmp_path, "audit", "verify", pairing).exit_code == 0
    sql(api, "UPDATE events SET actor = 'someone' WHERE instance_id = :i AND seq = 2", i=pairing)
    result = run_cli(api, tmp_path, "audit", "verify")
    assert result.exit_code == 1
    bad = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{") and '"ok": false' in line]
    assert [(b["instance"], b["problems"][0]["seq"]) for b in bad] == [(pairing, 2)]


def test_export_verifies_offline_and_detects_edits(api, pairing, tmp_path):
    path = tmp_path / "audit.json"
    r = api.get(f"/api/instances/{pairing}/export", AUDITOR)
    record = r.get_json()
    assert record["format"] == audit.FORMAT and record["head"] == record["events"][-1]["hash"]
    assert "甲方签署责任书" in record["spec"]["bpmn_xml"] and set(record["spec"]["forms"]) >= {"start", "diagnosis"}
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    offline = tmp_path / "offline"
    offline.mkdir()
    shutil.copy(path, offline / "audit.json")
    # no database at all: an auditor's laptop
    result = CliRunner().invoke(cli, ["audit", "verify", "--file", str(offline / "audit.json")],
                                env={"BRANCHFLOW_DATABASE_URL": f"sqlite:///{offline / 'absent' / 'x.db'}"})
    assert result.exit_code == 0, result.output
    record["events"][2]["data"]["data"]["signed"] = False
    (offline / "audit.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", "verify", "--file", str(offline / "audit.json")])
    assert result.exit_code == 1 and '"seq": 3' in result.stdout


def test_a_new_bpmn_version_does_not_change_old_replays(api, pairing, tmp_path):
    redeploy_with(api, tmp_path, "bpmn", "pairing.bpmn", "期末验收", "期末验收（新版）")
    newer = open_pairing(api, branch="sb", helper="zonghe")
    assert api.get(f"/api/instances/{newer}", SUP).get_json()["spec_sha256"] != \
        api.get(f"/api/instances/{pairing}", SUP).get_json()["spec_sha256"]
    api.complete("sec_sb", "sign_secretary", {"signed": True}, newer)
    assert verify(api, pairing)["ok"] is True and verify(api, newer)["ok"] is True
