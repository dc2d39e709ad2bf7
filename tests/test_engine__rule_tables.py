"""Rule tables (DMN) as versioned data: the band edges through the tables SpiffWorkflow evaluates, the
tables valid DMN 1.3, and a changed table deployed as a new bundle that leaves old replays unchanged."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from service.cli import main as cli
from service.domain import bands
from service.domain.calendar import WorkCalendar
from service.engine.runner import Engine
from service.engine.scripts import DeadlinePolicy
from service.engine.specs import DMN_KEY, SpecError, called_decisions, parse_bundle, read_bundle_files
from scenarios import SUP, redeploy_with

ROOT = Path(__file__).resolve().parents[1]
DMN = ROOT / "dmn"
T = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def one_task_bpmn(decision: str) -> str:
    """A process that only calls ``decision``: start → business rule task → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:businessRuleTask id="t"><bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
</bpmn:process></bpmn:definitions>"""


@pytest.fixture(scope="module")
def decide():
    engine = Engine(DeadlinePolicy(lambda: WorkCalendar()))

    def run(decision: str, **inputs) -> dict:
        bundle = parse_bundle("p", one_task_bpmn(decision),
                              {DMN_KEY: {decision: (DMN / f"{decision}.dmn").read_text(encoding="utf-8")}})
        workflow = engine.start(bundle, inputs, T, 1)
        return engine.snapshot(workflow, bundle).data
    return run


@pytest.mark.parametrize("score,band", [(100, "meets"), (80, "meets"), (79.99, "needs_improvement"),
                                        (60, "needs_improvement"), (59.99, "fail"), (0, "fail")])
def test_assessment_band_edges_through_the_table(decide, score, band):
    out = decide("assessment_band", score=score)
    assert out["band"] == band and out["band_label"] == bands.band_label(band)
    assert bands.assessment_band(score) == band  # the pairing's script function until it calls the table


@pytest.mark.parametrize("composite,plaque", [(100, "model"), (90, "model"), (89.99, "standard"), (89.997, "standard"),
                                              (70, "standard"), (69.99, "striving"), (0, "striving")])
def test_plaque_band_edges_through_the_table(decide, composite, plaque):
    out = decide("plaque_band", composite=composite)
    assert out["plaque"] == plaque and out["plaque_label"] == bands.band_label(plaque)


def test_the_weights_table_and_the_exact_composite(decide):
    w = decide("plaque_weights", quarter="2026Q1")
    assert (w["weight_star"], w["weight_inspection"], w["weight_pairing"]) == (40, 30, 30)
    composite = bands.weighted_score([90, 89.99, 90], [w["weight_star"], w["weight_inspection"], w["weight_pairing"]])
    assert composite == 89.997
    assert decide("plaque_band", composite=composite)["plaque"] == "standard"
    assert bands.plaque_composite(90, 89.99, 90) == 90.0  # the rounded rule of ratings pinned before the tables


@pytest.mark.parametrize("score,band", [(85, "excellent"), (84.99, "qualified"), (60, "qualified"), (59.99, "failing")])
def test_member_score_band_edges_through_the_table(decide, score, band):
    assert decide("member_score_band", member_score=score)["duty_band"] == band


def test_the_tables_are_valid_dmn_1_3_with_a_diagram_and_generated_from_their_description():
    import SpiffWorkflow.dmn.parser as dmn_parser
    schema = etree.XMLSchema(etree.parse(str(Path(dmn_parser.__file__).parent / "schema" / "DMN13.xsd")))
    tables = sorted(DMN.glob("*.dmn"))
    assert {t.stem for t in tables} >= {"assessment_band", "plaque_band", "plaque_weights", "member_score_band"}
    for table in tables:
        doc = etree.parse(str(table))
        assert schema.validate(doc), (table.name, schema.error_log)
        ns = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/", "dmndi": "https://www.omg.org/spec/DMN/20191111/DMNDI/"}
        decision = doc.find("dmn:decision", ns)
        assert decision.get("id") == table.stem and any(ord(c) > 0x2E80 for c in decision.get("name"))
        assert doc.find(".//dmndi:DMNShape", ns).get("dmnElementRef") == table.stem
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "dmn_tables.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_a_deployed_bundle_carries_the_tables_its_diagram_calls(tmp_path):
    xml, forms = read_bundle_files(ROOT / "bpmn", ROOT / "forms", "plaque_rating", DMN)
    assert called_decisions(xml) == ["plaque_weights", "plaque_band"]
    assert sorted(forms[DMN_KEY]) == ["plaque_band", "plaque_weights"]
    bundle = parse_bundle("plaque_rating", xml, forms)
    assert DMN_KEY not in bundle.forms and bundle.stored_forms()[DMN_KEY] == forms[DMN_KEY]
    # a diagram without tables hashes as before tables existed; a missing table is refused
    xml2, forms2 = read_bundle_files(ROOT / "bpmn", ROOT / "forms", "rectification", DMN)
    assert DMN_KEY not in forms2
    with pytest.raises(SpecError, match="no plaque_weights.dmn"):
        read_bundle_files(ROOT / "bpmn", ROOT / "forms", "plaque_rating", tmp_path)
    with pytest.raises(SpecError, match="cannot load process plaque_rating"):  # a malformed table
        parse_bundle("plaque_rating", xml, dict(forms, **{DMN_KEY: dict(forms[DMN_KEY], plaque_band="<definitions")}))


def _rate(api, quarter: str, score: float) -> dict:
    r = api.post("/api/ratings", SUP, json={"quarter": quarter, "stars": {"sc2": score}, "inspection": {"sc2": score},
                                           "pairing": {"sc2": score}})
    assert r.status_code == 201, r.get_json()
    return {row["branch"]: row for row in r.get_json()["items"]}["sc2"]


def test_a_changed_rule_table_is_a_new_version_and_old_instances_replay_with_theirs(api, tmp_path):
    old = _rate(api, "2026Q1", 86)
    assert old["rated_plaque"] == "standard"
    redeploy_with(api, tmp_path, "dmn", "plaque_band.dmn", "&gt;= 90", "&gt;= 85")  # next year's thresholds: 示范 from 85
    new = _rate(api, "2026Q2", 86)
    assert new["rated_plaque"] == "model"
    shas = {r["instance"]: api.get(f"/api/instances/{r['instance']}", SUP).get_json()["spec_sha256"] for r in (old, new)}
    assert len(set(shas.values())) == 2
    # a fresh process (nothing parsed yet) replays each with the tables it pinned
    api.svc.bundles.clear()
    for row in (old, new):
        assert api.get(f"/api/instances/{row['instance']}/verify", "auditor").get_json()["ok"] is True
    with api.svc.uow() as uow:
        stored = uow.instances.spec(shas[old["instance"]]).forms[DMN_KEY]["plaque_band"]
    assert "&gt;= 90" in stored and "&gt;= 85" not in stored
    # the CLI's verify of every instance, and an export checked offline, carry the tables too
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert result.exit_code == 0, result.output
    record = api.get(f"/api/instances/{old['instance']}/export", "auditor").get_json()
    assert "&gt;= 90" in record["spec"]["forms"][DMN_KEY]["plaque_band"]
    (tmp_path / "audit.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", "verify", "--file", str(tmp_path / "audit.json")],
                                env={"BRANCHFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'absent' / 'x.db'}"})
    assert result.exit_code == 0, result.output
    record["spec"]["forms"][DMN_KEY]["plaque_band"] = stored.replace("&gt;= 90", "&gt;= 95")  # a table edited afterwards
    (tmp_path / "audit.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", "verify", "--file", str(tmp_path / "audit.json")],
                                env={"BRANCHFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'absent' / 'x.db'}"})
    assert result.exit_code == 1


def test_the_instance_page_shows_the_rule_tables_the_instance_pinned(api):
    from test_web__pages import login
    row = _rate(api, "2026Q1", 86)
    page = login(api, SUP).get(f"/instances/{row['instance']}").text
    section = page[page.index('data-test="rule-tables"'):]
    assert "亮牌牌级" in section and "亮牌综合得分权重" in section and "&gt;= 90" in section and "示范牌" in section


def _score_month(api, month: str, scores: list[float]) -> dict:
    """jg1's duty scoring of ``month`` with ``scores`` for its members in order: the instance as scored."""
    r = api.post("/api/duty/scores", SUP, json={"month": month, "branches": ["jg1"]})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["ids"][0]
    members = [m["member"] for m in api.get(f"/api/instances/{iid}", SUP).get_json()["data"]["members"]]
    api.complete("wei_jg1", "score_members", {"scores": [{"member": m, "score": s, "basis": "台账"}
                                                         for m, s in zip(members, scores)]}, iid)
    return api.get(f"/api/instances/{iid}", SUP).get_json()


def test_member_scores_are_banded_by_the_table_one_member_at_a_time(api, tmp_path):
    scores = [85, 84.99, 60, 59.99, 100, 0, 70, 90, 61, 84]
    march = _score_month(api, "2026-03", scores)
    assert [s["band_label"] for s in march["data"]["scored"]] == [
        "履职优秀", "履职合格", "履职合格", "履职不达标", "履职优秀", "履职不达标", "履职合格", "履职优秀", "履职合格", "履职合格"]
    assert march["data"]["member_bands"][:4] == ["excellent", "qualified", "qualified", "failing"]  # the table's outputs
    # the committee lowers 履职优秀 to 80 from April: a changed table, not a code change
    redeploy_with(api, tmp_path, "dmn", "member_score_band.dmn", "&gt;= 85", "&gt;= 80")
    april = _score_month(api, "2026-04", scores)
    assert [s["band_label"] for s in april["data"]["scored"]][:2] == ["履职优秀", "履职优秀"]
    assert april["data"]["scored"][-1]["band_label"] == "履职优秀"  # 84
    assert march["spec_sha256"] != april["spec_sha256"]
    api.svc.bundles.clear()
    for inst in (march, april):  # each replays with the table it pinned
        assert api.get(f"/api/instances/{inst['id']}/verify", "auditor").get_json()["ok"] is True
