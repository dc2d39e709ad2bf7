"""A committed audit export, verified on every run: a SpiffWorkflow, SQLAlchemy or branchflow change that
alters how a recorded history replays fails here, loudly, instead of in an auditor's hands.

The file (tests/data/golden_pairing_export.json) is one pairing through signing, diagnosis, a claimed
3-working-day duty whose reminder and escalation fired, the improvement plan and its first month: every
kind of event a pairing writes (start, complete, claim, timer, escalation, message). Regenerate it only for
a deliberate change of the recorded format, and say so in the commit.
"""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main as cli
from service.config import Config
from service.flows import audit
from service.flows.context import Services

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_pairing_export.json"
HEAD = "de8f64a0521c78e6a70aa8cdfed35c905e59cd0e2c0a3d1cb0652a8a832a4486"


def test_the_golden_export_still_replays_to_its_recorded_state():
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert data["head"] == HEAD  # the file itself is the one committed
    assert [e["type"] for e in data["events"]] == ["start", "complete", "complete", "complete", "complete", "claim",
                                                   "timer", "escalation", "complete", "complete", "message"]
    svc = Services(settings=Config().settings, clock=None, uow=None)  # offline, as an auditor runs it
    report = audit.verify_record(svc, audit.record_from_export(data))
    assert report.ok, report.problems
    assert report.head == HEAD and report.events == 11


def test_the_cli_verifies_the_golden_export_offline(tmp_path):
    result = CliRunner().invoke(cli, ["audit", "verify", "--file", str(GOLDEN)],
                                env={"BRANCHFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'absent' / 'x.db'}"})
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.stdout
