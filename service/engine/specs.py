"""Spec bundles: one BPMN file plus its forms, parsed once and addressed by sha256."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..domain.errors import BranchflowError
from . import elements


class SpecError(BranchflowError):
    """A BPMN file or form that cannot be loaded."""

    status = 500
    code = "spec_error"


@dataclass
class SpecBundle:
    """The exact BPMN text and forms an instance runs, with the parsed specs."""

    process_id: str
    bpmn_xml: str
    forms: dict[str, dict]
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

    def canonical(self) -> bytes:
        """The bytes the sha256 covers: BPMN text and forms, key-sorted JSON."""
        return json.dumps(
            {"process_id": self.process_id, "bpmn": self.bpmn_xml, "forms": self.forms},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()


def bundle_sha(process_id: str, bpmn_xml: str, forms: dict[str, dict]) -> str:
    """The content address of a bundle, without parsing it."""
    return hashlib.sha256(SpecBundle(process_id, bpmn_xml, dict(sorted(forms.items()))).canonical()).hexdigest()


def parse_bundle(process_id: str, bpmn_xml: str, forms: dict[str, dict], pinned: bool = False) -> SpecBundle:
    """Parse ``bpmn_xml`` and return a complete bundle; raises SpecError on invalid BPMN or an unknown
    element property (``pinned``: a bundle an instance already runs, which may carry retired ones)."""
    bundle = SpecBundle(process_id, bpmn_xml, dict(sorted(forms.items())))
    bundle.sha256 = hashlib.sha256(bundle.canonical()).hexdigest()
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_str(bpmn_xml.encode(), filename=f"{process_id}.bpmn")
        bundle.spec = parser.get_spec(process_id)
        bundle.subprocess_specs = parser.get_subprocess_specs(process_id)
        bundle.elements = elements.read_all(bundle.spec.task_specs.values(), accept_retired=pinned)
    except (ValidationException, ValueError, KeyError) as exc:
        raise SpecError(f"cannot load process {process_id}: {exc}") from exc
    return bundle


def read_bundle_files(bpmn_dir: Path, forms_dir: Path, process_id: str) -> tuple[str, dict[str, dict]]:
    """Read ``bpmn/<process_id>.bpmn`` and every ``forms/<process_id>/*.json``."""
    path = bpmn_dir / f"{process_id}.bpmn"
    if not path.is_file():
        raise SpecError(f"no BPMN file for process {process_id}")
    forms = {}
    form_dir = forms_dir / process_id
    if form_dir.is_dir():
        for form_path in sorted(form_dir.glob("*.json")):
            forms[form_path.stem] = json.loads(form_path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8"), forms


def available_processes(bpmn_dir: Path) -> list[str]:
    """Process ids that have a BPMN file."""
    return sorted(p.stem for p in bpmn_dir.glob("*.bpmn"))
