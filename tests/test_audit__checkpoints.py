"""Signed checkpoints anchor the audit chains outside the database: a writer who rewrites history and
recomputes every hash passes the chain check, but not the witnessed checkpoints."""
from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from service.cli import main as cli
from service.flows import checkpoints, events
from scenarios import AUDITOR, open_pairing, sql

ALTERED_SEQ = 2  # sign_helper's completion: its actor is what the forger changes


@pytest.fixture
def signed(api, tmp_path):
    """A signing key made with the CLI and a witness file, configured on the running service."""
    key = tmp_path / "keys" / "audit-key.pem"
    key.parent.mkdir()
    made = CliRunner().invoke(cli, ["audit", "keygen", "--out", str(key)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    api.svc.settings.audit_key = key
    api.svc.settings.checkpoint_log = tmp_path / "witness.jsonl"
    return {"key": key, "public": made.stdout.strip(), "witness": tmp_path / "witness.jsonl"}


def forge(api, iid: str, seq: int, actor: str) -> None:
    """Rewrite event ``seq``'s actor and recompute every later hash and the chain head, as a database
    writer who knows the hash function would."""
    with api.svc.uow() as uow:
        rows = [dict(events.content_of(e)) for e in uow.events.of(iid)]
    rows[seq - 1]["actor"] = actor
    prev, hashes = events.GENESIS, []
    for content in rows:
        prev = events.chain_hash(prev, content)
        hashes.append(prev)
    for n, content in enumerate(rows[seq - 1:], start=seq):
        sql(api, "UPDATE events SET actor = :a, prev_hash = :p, hash = :h WHERE instance_id = :i AND seq = :s",
            a=content["actor"], p=hashes[n - 2] if n > 1 else events.GENESIS, h=hashes[n - 1], i=iid, s=n)
    sql(api, "UPDATE instances SET head = :h WHERE id = :i", h=hashes[-1], i=iid)


def run(api, tmp_path, *args):
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    return CliRunner().invoke(cli, list(args), env=env)


def test_a_recomputed_rewrite_passes_the_chain_but_not_the_witnessed_checkpoints(api, pairing, signed, tmp_path):
    first = checkpoints.make(api.svc)
    assert first["seq"] == 1 and first["size"] == 1  # the pairing (its first month opens on 1 April)
    assert checkpoints.make(api.svc) is None  # nothing changed: nothing to sign
    other = open_pairing(api, branch="sb", helper="zonghe")
    second = checkpoints.make(api.svc)
    assert second["seq"] == 2 and set(second["delta"]) == {other}
    witness = [json.loads(line) for line in signed["witness"].read_text().splitlines()]
    assert [w["seq"] for w in witness] == [1, 2]

    args = ("--checkpoints", str(signed["witness"]), "--public-key", signed["public"])
    assert run(api, tmp_path, "audit", "verify", *args).exit_code == 0

    forge(api, pairing, ALTERED_SEQ, "someone-else")
    plain = run(api, tmp_path, "audit", "verify")
    assert plain.exit_code == 0, plain.output  # the chain alone cannot see a recomputed rewrite
    anchored = run(api, tmp_path, "audit", "verify", *args)
    assert anchored.exit_code == 1
    found = [json.loads(line)["checkpoint_mismatch"] for line in anchored.stdout.splitlines()
             if "checkpoint_mismatch" in line]
    assert [(f["instance"], f["seq"], f["checkpoint"]) for f in found] == [(pairing, ALTERED_SEQ, 1)]
    # the other instance is untouched and named nowhere
    assert other not in anchored.stdout.split("checkpoint_mismatch")[-1]


def test_a_forged_or_reordered_witness_log_is_refused(api, pairing, signed, tmp_path):
    checkpoints.make(api.svc)
    open_pairing(api, branch="sb", helper="zonghe")
    checkpoints.make(api.svc)
    lines = signed["witness"].read_text().splitlines()
    public = checkpoints.load_public(signed["public"])
    good = [json.loads(line) for line in lines]
    assert checkpoints.read_witness(good, public)[1] == []
    forged = json.loads(lines[1])
    forged["root"] = "0" * 64
    assert "signature" in checkpoints.read_witness([good[0], forged], public)[1][0].message
    assert "skips" in checkpoints.read_witness([good[1]], public)[1][0].message
    stranger = checkpoints.load_public(checkpoints.generate_key(tmp_path / "other.pem"))
    assert "key" in checkpoints.read_witness(good, stranger)[1][0].message


def test_an_export_carries_its_inclusion_proof_checked_offline(api, pairing, signed, tmp_path):
    checkpoints.make(api.svc)
    export = api.get(f"/api/instances/{pairing}/export", AUDITOR).get_json()
    assert export["inclusion"]["leaf"]["head"] == export["head"]
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    offline = {"BRANCHFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'absent' / 'x.db'}"}  # an auditor's laptop
    args = ["audit", "verify", "--file", str(path), "--public-key", signed["public"]]
    ok = CliRunner().invoke(cli, args + ["--checkpoints", str(signed["witness"])], env=offline)
    assert ok.exit_code == 0, ok.output

    # the same forgery inside the export: chain recomputed, so only the checkpoint can tell
    prev = events.GENESIS
    export["events"][ALTERED_SEQ - 1]["actor"] = "someone-else"
    for ev in export["events"]:
        content = {k: ev[k] for k in events.CONTENT_KEYS}
        ev["prev_hash"], ev["hash"] = prev, events.chain_hash(prev, content)
        prev = ev["hash"]
    export["instance"]["head"] = export["head"] = prev
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    assert CliRunner().invoke(cli, ["audit", "verify", "--file", str(path)], env=offline).exit_code == 0
    bad = CliRunner().invoke(cli, args, env=offline)
    assert bad.exit_code == 1 and "checkpoint_mismatch" in bad.stdout and pairing in bad.stdout


def test_auditors_receive_and_can_pull_the_checkpoints(api, pairing, signed):
    line = checkpoints.make(api.svc)
    with api.svc.uow() as uow:
        messages = [m for m in uow.outbox.listed() if m.recipient == AUDITOR]
    assert messages and json.loads(messages[0].body)["root"] == line["root"]
    pulled = api.get("/api/audit/checkpoints", AUDITOR).get_json()["items"]
    assert [p["signature"] for p in pulled] == [line["signature"]]
    assert api.get("/api/audit/checkpoints", "sec_jg2").status_code == 403
    key = api.client.get("/api/audit/public-key").get_json()
    assert key["public_key"] == signed["public"] and key["key_id"] == line["key_id"]


def test_the_cli_signs_a_checkpoint_and_hands_it_to_the_witness_file(api, pairing, signed, tmp_path):
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none"),
           "BRANCHFLOW_AUDIT_KEY": str(signed["key"]), "BRANCHFLOW_CHECKPOINT_LOG": str(signed["witness"])}
    made = CliRunner().invoke(cli, ["audit", "checkpoint"], env=env)
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["seq"] == 1 and len(signed["witness"].read_text().splitlines()) == 1
    again = CliRunner().invoke(cli, ["audit", "checkpoint"], env=env)
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    unsigned = CliRunner().invoke(cli, ["audit", "checkpoint"], env=dict(env, BRANCHFLOW_AUDIT_KEY=""))
    assert unsigned.exit_code != 0 and "BRANCHFLOW_AUDIT_KEY" in unsigned.output
