"""Rectification tickets (整改销号) through HTTP: filed by hand or from a diagnosis, evidence files with
type and size limits, sent back with a reason, escalation when overdue, lists and counts."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

from service.flows.timers import fire_due
from scenarios import SUP, file_ticket, open_pairing

T = datetime.fromisoformat
SEC = "sec_sb"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(api, data: bytes, name: str, user=SEC, branch="sb"):
    return api.post("/api/attachments", user, data={"branch": branch, "file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_a_ticket_filed_by_hand_closes_after_verification(api):
    tid = file_ticket(api)["id"]
    api.complete(SEC, "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}, tid)
    api.complete(SEC, "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    up = upload(api, PDF, "../../etc/整改报告.PDF")
    assert up.status_code == 201, up.get_json()
    meta = up.get_json()
    assert (meta["content_type"], meta["filename"], meta["size"]) == ("application/pdf", "整改报告.pdf", len(PDF))
    # evidence must be a file uploaded for this branch
    other = upload(api, PDF, "x.pdf", user="sec_jg1", branch="jg1").get_json()["id"]
    task = api.task(SEC, "evidence", tid)
    r = api.post(f"/api/tasks/{task['id']}/complete", SEC, json={"data": {"evidence": [meta["id"], other]}})
    assert r.status_code == 422 and [e["field"] for e in r.get_json()["error"]["errors"]] == ["data.evidence[1]"]
    api.complete(SEC, "evidence", {"evidence": [meta["id"]], "description": "整改报告"}, tid)
    # the verifier sends it back with a reason (required), then closes it
    verify = api.task(SUP, "verify", tid)
    r = api.post(f"/api/tasks/{verify['id']}/complete", SUP, json={"data": {"verdict": "sent_back"}})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "data.reason"
    api.complete(SUP, "verify", {"verdict": "sent_back", "reason": "缺少上墙照片"}, tid)
    assert api.task(SEC, "rectify", tid)["status"] == "open"
    api.complete(SEC, "rectify", {"actions": "补充上墙照片", "completed_date": "2026-03-10"}, tid)
    photo = upload(api, docx(), "照片说明.docx").get_json()
    assert photo["content_type"].endswith("wordprocessingml.document")
    api.complete(SEC, "evidence", {"evidence": [photo["id"]]}, tid)
    api.complete(SUP, "verify", {"verdict": "closed", "comment": "整改到位，予以销号"}, tid)
    ticket = api.get("/api/tickets", SEC, query_string={"branch": "sb"}).get_json()["items"][0]
    assert (ticket["status"], ticket["sent_back_count"], ticket["source"]) == ("closed", 1, "problem_list")
    # the evidence can be downloaded by the branch and the supervisor, not by another branch
    got = api.get(f"/api/attachments/{meta['id']}", SUP)
    assert got.status_code == 200 and got.data == PDF and got.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/api/attachments/{meta['id']}", "sec_jg1").status_code == 404


def test_attachments_are_checked_by_their_bytes_and_size(api):
    r = upload(api, b"MZ\x90\x00 not a pdf", "evidence.pdf")
    assert r.status_code == 415 and r.get_json()["error"]["errors"][0]["field"] == "file"
    api.svc.settings.attachment_max_bytes = 1024
    r = upload(api, PDF + b"0" * 2048, "big.pdf")
    assert r.status_code == 413 and r.get_json()["error"]["errors"][0]["field"] == "file"
    assert upload(api, PDF, "ok.pdf", user="sec_jg1").status_code == 403  # not their branch
    assert upload(api, PDF, "ok.pdf", user="auditor").status_code == 403
    r = api.post("/api/attachments", SEC, data={"branch": "sb"}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "file"
    assert list((api.svc.settings.attachments_dir).glob("*/*")) == []  # nothing refused was kept


def test_tickets_from_a_diagnosis_and_their_counts(api):
    pairing = open_pairing(api, branch="sb", helper="zonghe")
    a = file_ticket(api, user="zonghe", source="diagnosis", source_instance=pairing, title="台账不齐全")["id"]
    file_ticket(api, title="阵地“六有”缺书报")
    bad = file_ticket(api, expect=422, source="diagnosis", source_instance="00000000-0000-4000-8000-000000000000")
    assert bad["error"]["errors"][0]["field"] == "variables.source_instance"
    listing = api.get("/api/tickets", SUP, query_string={"branch": "sb", "source": "diagnosis"}).get_json()
    assert [t["id"] for t in listing["items"]] == [a] and listing["items"][0]["source_instance"] == pairing
    counts = api.get("/api/tickets", SUP, query_string={"branch": "sb"}).get_json()
    assert (counts["total"], counts["open"], counts["overdue"]) == (2, 2, 0)
    r = api.get("/api/tickets", SUP, query_string={"status": "lost"})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "status"


def test_an_overdue_ticket_escalates(api):
    tid = file_ticket(api)["id"]
    assert api.task(SEC, "plan", tid)["due_at"] == "2026-03-11T10:00:00+00:00"  # 7 working days
    api.complete(SEC, "plan", {"measures": ["制作制度牌"], "owner": "组织委员", "planned_date": "2026-03-12"}, tid)
    rectify = api.task(SEC, "rectify", tid)
    assert rectify["due_at"] == "2026-03-13T10:00:00+00:00"  # the ticket's own deadline, 18:00 CST
    api.travel(T("2026-03-13T18:00:01+08:00"))
    fire_due(api.svc)
    assert api.task(SEC, "rectify", tid)["overdue"] is True
    escalations = [t for t in api.inbox(SUP) if t["kind"] == "escalation" and t["instance_id"] == tid]
    assert [t["name"] for t in escalations] == ["督办（一级）：落实整改"]
    counts = api.get("/api/tickets", SEC, query_string={"status": "overdue"}).get_json()
    assert counts["total"] == 1 and counts["items"][0]["status"] == "overdue" and counts["overdue"] == 1


def _to_evidence(api, tid: str) -> None:
    api.complete(SEC, "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}, tid)
    api.complete(SEC, "rectify", {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}, tid)
    api.complete(SEC, "evidence", {"evidence": [upload(api, PDF, "整改报告.pdf").get_json()["id"]],
                                   "description": "整改佐证"}, tid)


def test_a_form_never_overwrites_the_ticket_own_fields(api):
    tid = file_ticket(api, description="党员活动室未悬挂制度牌，群众反映不清楚办事流程")["id"]
    _to_evidence(api, tid)
    [ticket] = api.get("/api/tickets", SEC, query_string={"branch": "sb"}).get_json()["items"]
    assert ticket["description"] == "党员活动室未悬挂制度牌，群众反映不清楚办事流程"
    assert ticket["evidence_note"] == "整改佐证"  # the submission is kept under its own task
    data = api.get(f"/api/instances/{tid}", SUP).get_json()["data"]
    assert data["submitted"]["evidence"]["description"] == "整改佐证" and data["submitted"]["rectify"]["actions"]
    assert api.get(f"/api/instances/{tid}/verify", "auditor").get_json()["ok"] is True


def test_an_instance_started_before_the_namespace_replays_with_its_flat_data(api, monkeypatch):
    """A start recorded without the protected fields (as every instance begun before them) keeps merging
    submissions flat, on the live path and in replay: its stored state is reproduced exactly."""
    import types
    from service.flows import event_types, instances

    legacy = types.SimpleNamespace(**{k: getattr(event_types, k) for k in dir(event_types) if not k.startswith("__")})
    legacy.Start = lambda process, spec, values, parent=None, protect=None: event_types.Start(process, spec, values, parent)
    monkeypatch.setattr(instances, "event_types", legacy)
    tid = file_ticket(api, description="原问题")["id"]
    monkeypatch.undo()
    _to_evidence(api, tid)
    [ticket] = api.get("/api/tickets", SEC, query_string={"branch": "sb"}).get_json()["items"]
    assert ticket["description"] == "整改佐证" and ticket["evidence_note"] is None  # as it ran
    assert api.get(f"/api/instances/{tid}/verify", "auditor").get_json()["ok"] is True
