"""Spec bundles: one BPMN file plus its forms and the decision tables it calls, parsed once and addressed
by sha256.

Decision tables (DMN). A diagram calls a table from a business rule task::

    <bpmn:businessRuleTask id="band" name="定牌">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>plaque_band</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>

(in ``tools/draw_diagrams.py``: ``El("band", "businessRuleTask", "定牌", lane, col, decision="plaque_band")``).
The table is ``dmn/<decision id>.dmn``; its input expressions are read from the task's data and its
outputs are merged into it (SpiffWorkflow's DMN engine, hit policy FIRST). When a process is deployed,
the tables its diagram calls are read with it and become part of the bundle: stored under the reserved
forms key ``@dmn`` (decision id → DMN text) and covered by the bundle's sha256, so a changed table is a
new bundle, and an instance replays with the tables it was started on. A bundle that calls no table
hashes exactly as before tables existed."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..domain.errors import BranchflowError
from . import elements


#: the forms key a stored bundle keeps its decision tables under (no task id starts with ``@``)
DMN_KEY = "@dmn"
_CALLED = re.compile(r"<spiffworkflow:calledDecisionId>\s*([^<\s]+)\s*</spiffworkflow:calledDecisionId>")


class SpecError(BranchflowError):
    """A BPMN file or form that cannot be loaded."""

    status = 500
    code = "spec_error"


@dataclass
class SpecBundle:
    """The exact BPMN text, forms and decision tables an instance runs, with the parsed specs."""

    process_id: str
    bpmn_xml: str
    forms: dict[str, dict]
    #: decision id → DMN text of every table the diagram calls
    dmn: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    spec: object = field(default=None, repr=False)
    subprocess_specs: dict = field(default_factory=dict, repr=False)
    #: element id → its typed diagram properties (``engine.elements``), read once at parse time
    elements: dict = field(default_factory=dict, repr=False)

    def element(self, element_id: str) -> elements.Element:
        """The typed properties of a diagram element (all empty when it sets none)."""
        return self.elements.get(element_id, elements.NONE)

    def documentation(self, element_id: str) -> str | None:
        """The ``<bpmn:documentation>`` of a diagram element: what a user task asks of its holder."""
        spec = (getattr(self.spec, "task_specs", None) or {}).get(element_id)
        return getattr(spec, "documentation", None) or None

    def stored_forms(self) -> dict:
        """The forms as the store keeps them: the task forms, plus the decision tables under ``@dmn``."""
        return dict(self.forms, **{DMN_KEY: dict(sorted(self.dmn.items()))}) if self.dmn else dict(self.forms)

    def canonical(self) -> bytes:
        """The bytes the sha256 covers: BPMN text, forms and tables, key-sorted JSON."""
        return json.dumps(
            {"process_id": self.process_id, "bpmn": self.bpmn_xml, "forms": self.stored_forms()},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()


def bundle_sha(process_id: str, bpmn_xml: str, forms: dict[str, dict]) -> str:
    """The content address of a bundle, without parsing it."""
    forms = dict(forms)
    tables = forms.pop(DMN_KEY, None) or {}
    return hashlib.sha256(SpecBundle(process_id, bpmn_xml, dict(sorted(forms.items())), tables).canonical()).hexdigest()


def decision_tables(bundle: SpecBundle) -> list[dict]:
    """The bundle's decision tables as plain rows for people to read (the instance page shows the version the
    instance pinned): id, name, hit policy, input and output labels, and each rule's cells and note."""
    ns = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
    out = []
    for decision_id, text in bundle.dmn.items():
        root = ElementTree.fromstring(text.encode())
        decision = root.find("dmn:decision", ns)
        table = decision.find("dmn:decisionTable", ns) if decision is not None else None
        if table is None:
            continue
        rules = [{"when": [(e.findtext("dmn:text", "", ns) or "").strip() for e in r.findall("dmn:inputEntry", ns)],
                  "then": [(e.findtext("dmn:text", "", ns) or "").strip() for e in r.findall("dmn:outputEntry", ns)],
                  "note": r.findtext("dmn:description", "", ns)} for r in table.findall("dmn:rule", ns)]
        out.append({"id": decision_id, "name": decision.get("name") or decision_id,
                    "hit_policy": table.get("hitPolicy", "UNIQUE"),
                    "inputs": [i.get("label") or i.findtext("dmn:inputExpression/dmn:text", "", ns)
                               for i in table.findall("dmn:input", ns)],
                    "outputs": [o.get("label") or o.get("name") for o in table.findall("dmn:output", ns)],
                    "rules": rules})
    return out


def called_decisions(bpmn_xml: str) -> list[str]:
    """Decision ids the business rule tasks of ``bpmn_xml`` call, in first-use order."""
    return list(dict.fromkeys(_CALLED.findall(bpmn_xml)))


def parse_bundle(process_id: str, bpmn_xml: str, forms: dict[str, dict], pinned: bool = False) -> SpecBundle:
    """Parse ``bpmn_xml`` and return a complete bundle; raises SpecError on invalid BPMN or DMN, a table
    the diagram calls but the bundle lacks, or an unknown element property (``pinned``: a bundle an
    instance already runs, which may carry retired ones). ``forms`` is as stored (tables under ``@dmn``)."""
    forms = dict(forms)
    tables = forms.pop(DMN_KEY, None) or {}
    bundle = SpecBundle(process_id, bpmn_xml, dict(sorted(forms.items())), dict(sorted(tables.items())))
    bundle.sha256 = hashlib.sha256(bundle.canonical()).hexdigest()
    parser = SpiffBpmnParser()
    try:
        for decision, dmn_xml in bundle.dmn.items():
            parser.add_dmn_str(dmn_xml.encode(), filename=f"{decision}.dmn")
        parser.add_bpmn_str(bpmn_xml.encode(), filename=f"{process_id}.bpmn")
        bundle.spec = parser.get_spec(process_id)
        bundle.subprocess_specs = parser.get_subprocess_specs(process_id)
        bundle.elements = elements.read_all(bundle.spec.task_specs.values(), accept_retired=pinned)
    except (ValidationException, ValueError, KeyError, IndexError, SyntaxError) as exc:  # SyntaxError: malformed XML
        raise SpecError(f"cannot load process {process_id}: {exc}") from exc
    return bundle


def read_bundle_files(bpmn_dir: Path, forms_dir: Path, process_id: str,
                      dmn_dir: Path | None = None) -> tuple[str, dict[str, dict]]:
    """Read ``bpmn/<process_id>.bpmn``, every ``forms/<process_id>/*.json`` and the ``dmn/<id>.dmn`` of each
    table the diagram calls (returned in the forms under ``@dmn``, as the store keeps them)."""
    path = bpmn_dir / f"{process_id}.bpmn"
    if not path.is_file():
        raise SpecError(f"no BPMN file for process {process_id}")
    forms = {}
    form_dir = forms_dir / process_id
    if form_dir.is_dir():
        for form_path in sorted(form_dir.glob("*.json")):
            forms[form_path.stem] = json.loads(form_path.read_text(encoding="utf-8"))
    xml = path.read_text(encoding="utf-8")
    tables = {}
    for decision in called_decisions(xml):
        table = (dmn_dir or bpmn_dir.parent / "dmn") / f"{decision}.dmn"
        if not table.is_file():
            raise SpecError(f"process {process_id} calls decision table {decision}, but there is no {table.name}")
        tables[decision] = table.read_text(encoding="utf-8")
    if tables:
        forms[DMN_KEY] = tables
    return xml, forms


def available_processes(bpmn_dir: Path) -> list[str]:
    """Process ids that have a BPMN file."""
    return sorted(p.stem for p in bpmn_dir.glob("*.bpmn"))
