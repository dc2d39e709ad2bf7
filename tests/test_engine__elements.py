"""Diagram properties are read once, when a bundle is parsed: a misspelt key is refused at deployment, a
retired one is still read in bundles that running instances pinned."""
from __future__ import annotations

from pathlib import Path

import pytest

from service.engine.specs import SpecError, parse_bundle, read_bundle_files

ROOT = Path(__file__).resolve().parents[1]


def _resource_request(replace: tuple[str, str] | None = None) -> tuple[str, dict]:
    xml, forms = read_bundle_files(ROOT / "bpmn", ROOT / "forms", "resource_request")
    if replace:
        assert replace[0] in xml
        xml = xml.replace(*replace)
    return xml, forms


def test_properties_become_typed_fields_at_parse_time():
    bundle = parse_bundle("resource_request", *_resource_request())
    assert bundle.element("coordinate").fallback_role == "supervisor"
    overdue = bundle.element("coordinate_overdue")
    assert (overdue.kind, overdue.level, overdue.escalate_to) == ("escalate", 1, "supervisor")
    assert bundle.element("start").level == 0 and bundle.element("no-such-element").kind is None


def test_a_misspelt_property_is_refused_when_the_bundle_is_deployed():
    xml, forms = _resource_request(('name="escalate_to" value="supervisor"', 'name="escalte_to" value="supervisor"'))
    with pytest.raises(SpecError, match="coordinate_overdue.*escalte_to"):
        parse_bundle("resource_request", xml, forms)


def test_a_retired_property_is_read_only_in_a_pinned_bundle():
    xml, forms = _resource_request(('name="kind" value="remind"/>',
                                    'name="kind" value="remind"/><spiffworkflow:property name="duty" value="协调"/>'))
    with pytest.raises(SpecError, match="duty"):
        parse_bundle("resource_request", xml, forms)
    assert parse_bundle("resource_request", xml, forms, pinned=True).element("coordinate_remind").kind == "remind"
