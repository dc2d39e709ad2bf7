"""What a caller can learn is what their roles need: a lent inspector sees the inspection, not the branch; an
id of another branch answers like an unknown id; production refuses unsafe configuration."""
from __future__ import annotations

import io
import uuid

import pytest

from service.config import Config
from scenarios import REQUEST, open_pairing, publish

PDF = b"%PDF-1.4\n%%EOF\n"


def test_an_inspector_lent_on_a_branch_reads_the_inspection_not_the_branch(api):
    inspection = {i["branch"]: i["id"] for i in publish(api)["inspections"]}["sc1"]  # wei_jg1 inspects sc1
    pairing = open_pairing(api, branch="sc1", helper="jiwei")
    upload = api.post("/api/attachments", "sec_sc1", data={"branch": "sc1", "file": (io.BytesIO(PDF), "证据.pdf")},
                      content_type="multipart/form-data")
    assert upload.status_code == 201
    inspector = "wei_jg1"
    assert api.get(f"/api/instances/{inspection}", inspector).status_code == 200
    task = api.task(inspector, "hear_report", inspection)
    assert api.get(f"/api/tasks/{task['id']}", inspector).status_code == 200
    # the rest of 生产一支部 stays closed to the lent role
    assert api.get(f"/api/instances/{pairing}", inspector).status_code == 404
    assert api.get(f"/api/instances/{pairing}/history", inspector).status_code == 404
    assert api.get(f"/api/attachments/{upload.get_json()['id']}", inspector).status_code == 404
    listed = api.get("/api/instances", inspector, query_string={"per_page": 200}).get_json()["items"]
    assert "sc1" not in {i["branch"] for i in listed}
    # the branch itself still sees all of it
    assert api.get(f"/api/instances/{pairing}", "sec_sc1").status_code == 200


def test_an_id_of_another_branch_is_answered_like_an_unknown_id(api):
    other = open_pairing(api, branch="jg2")  # a real pairing, of 机关二支部
    answers = []
    for ref in (other, str(uuid.uuid4())):
        r = api.post("/api/instances", "sec_sb", json={"process": "resource_request",
                                                         "variables": dict(REQUEST, pairing=ref)})
        assert r.status_code == 422
        answers.append(r.get_json()["error"]["errors"][0]["message"].replace(ref, "ID"))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("env,message", [
    ({"BRANCHFLOW_ENV": "Production"}, "SECRET_KEY"),  # any spelling of production is production
    ({"BRANCHFLOW_ENV": "prod"}, "production or development"),
    ({"BRANCHFLOW_ENV": "production", "BRANCHFLOW_SECRET_KEY": "change-me-to-a-long-random-string"}, "placeholder"),
    ({"BRANCHFLOW_ENV": "production", "BRANCHFLOW_SECRET_KEY": "short-but-not-default"}, "32"),
])
def test_production_refuses_an_unsafe_configuration(env, message):
    with pytest.raises(SystemExit, match=message):
        Config.from_env(env)


def test_production_starts_with_a_real_secret():
    cfg = Config.from_env({"BRANCHFLOW_ENV": "PRODUCTION", "BRANCHFLOW_SECRET_KEY": "q9" + uuid.uuid4().hex})
    assert cfg.production is True
