"""Every diagram: parses with SpiffWorkflow, has DI for every element, role lanes, Chinese task names, forms."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from service.domain.roles import LANE_TO_ROLE
from service.engine.specs import parse_bundle, read_bundle_files

ROOT = Path(__file__).resolve().parents[1]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
DIAGRAMS = sorted(p.stem for p in (ROOT / "bpmn").glob("*.bpmn"))
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "exclusiveGateway", "parallelGateway",
              "intermediateCatchEvent", "boundaryEvent", "serviceTask", "callActivity", "subProcess")


@pytest.mark.parametrize("process", DIAGRAMS)
def test_diagram_is_complete(process):
    tree = etree.parse(str(ROOT / "bpmn" / f"{process}.bpmn"))
    proc = tree.find(f"bpmn:process[@id='{process}']", NS)
    assert proc is not None, "file name must equal the process id"
    nodes = [el for tag in FLOW_NODES for el in proc.findall(f"bpmn:{tag}", NS)]
    flows = proc.findall("bpmn:sequenceFlow", NS)
    shapes = {s.get("bpmnElement") for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert {n.get("id") for n in nodes} <= shapes
    assert {f.get("id") for f in flows} <= edges
    lanes = proc.findall(".//bpmn:lane", NS)
    assert lanes and all(l.get("name") in LANE_TO_ROLE for l in lanes)
    assert {l.get("id") for l in lanes} <= shapes
    in_lanes = {ref.text for l in lanes for ref in l.findall("bpmn:flowNodeRef", NS)}
    assert {n.get("id") for n in nodes} <= in_lanes
    forms = read_bundle_files(ROOT / "bpmn", ROOT / "forms", process)[1]
    for task in proc.findall("bpmn:userTask", NS):
        assert re.search(r"[\u4e00-\u9fff]", task.get("name")), f"{task.get('id')} needs a Chinese name"
        assert task.get("id") in forms, f"forms/{process}/{task.get('id')}.json is missing"
        assert re.search(r"[\u4e00-\u9fff]", forms[task.get("id")]["title"])
    assert "start" in forms
    parse_bundle(process, (ROOT / "bpmn" / f"{process}.bpmn").read_text(encoding="utf-8"), forms)


def test_form_files_are_valid_json_schema():
    from jsonschema import Draft202012Validator

    from service.flows.forms import schema_of

    for path in (ROOT / "forms").rglob("*.json"):
        Draft202012Validator.check_schema(schema_of(json.loads(path.read_text(encoding="utf-8"))))
