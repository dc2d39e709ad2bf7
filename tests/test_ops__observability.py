"""Health, readiness, Prometheus metrics and structured logs with request ids."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest

from service.config import Config, configure_logging
from service.flows import ops
from scenarios import HELPER, SEC, open_pairing, to_supply_tools


def metric(text: str, name: str, **labels) -> float:
    """The value of one series in a Prometheus text exposition (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.compile(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", re.M)
    for m in pattern.finditer(text):
        found = (m.group(1) or "{}")[1:-1]
        if all(part in found.split(",") for part in want.split(",") if part):
            return float(m.group(2))
    return 0.0


@pytest.fixture
def logs():
    stream = io.StringIO()
    handler = configure_logging("INFO", "json", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    logging.getLogger().removeHandler(handler)


def test_healthz_answers_without_the_database(api):
    api.svc.db_engine.dispose()
    r = api.client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_wants_the_schema_and_a_recent_scheduler_heartbeat(api):
    r = api.client.get("/readyz")
    assert r.status_code == 503
    checks = r.get_json()["checks"]
    assert checks["database"]["ok"] and checks["schema"]["ok"] and not checks["scheduler"]["ok"]
    ops.beat(api.svc, "host:1", 1)
    r = api.client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["ready"]
    ops.beat(api.svc, "host:1", 1, at=ops.wall_now() - timedelta(minutes=10))  # the scheduler died 10 min ago
    assert api.client.get("/readyz").status_code == 503


def test_readyz_says_when_the_database_is_gone(api, monkeypatch):
    from service.store import migrate

    def unreachable(_engine):
        raise OSError("connection refused")

    monkeypatch.setattr(migrate, "current", unreachable)
    r = api.client.get("/readyz")
    assert r.status_code == 503 and "connection refused" in r.get_json()["checks"]["database"]["error"]


def test_metrics_answer_and_move_when_a_task_completes(api):
    iid = open_pairing(api)
    before = api.client.get("/metrics")
    assert before.status_code == 200 and before.mimetype == "text/plain"
    text = before.get_data(as_text=True)
    route = "/api/tasks/<string:task_id>/complete"
    assert metric(text, "branchflow_tasks_open") == 2  # both signatures
    assert metric(text, "branchflow_http_request_duration_seconds_count", route=route) == 0
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    api.svc.metrics._backlog._cached = (-1e18, None)  # the 5 s cache: as if the next scrape came later
    after = api.client.get("/metrics").get_data(as_text=True)
    assert metric(after, "branchflow_http_request_duration_seconds_count", method="POST", route=route, status="200") == 1
    assert metric(after, "branchflow_tasks_open") == 1
    assert metric(after, "branchflow_timers", status="pending") == metric(text, "branchflow_timers", status="pending")
    for name in ("branchflow_tasks_overdue", "branchflow_timers_due", "branchflow_outbox_messages",
                 "branchflow_scheduler_lag_seconds", "branchflow_timer_fire_delay_seconds_bucket",
                 "branchflow_database_up"):
        assert re.search(rf"^{name}", after, re.M), name


def test_overdue_tasks_and_scheduler_lag_show_when_timers_wait(api):
    to_supply_tools(api)  # 提供配套工具 has a 3-working-day duty
    api.travel(api.svc.clock.now() + timedelta(days=30))  # no scheduler ran: everything is late
    b = ops.backlog(api.svc)
    assert b["tasks_overdue"] >= 1 and b["timers_due"] >= 1 and b["scheduler_lag_seconds"] > 86400


def test_a_request_id_travels_from_header_to_log_line(api, logs):
    r = api.get("/api/tasks", SEC, headers={"X-Request-ID": "trace-42.a:b"})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "trace-42.a:b"
    line, = [entry for entry in logs() if entry.get("request_id") == "trace-42.a:b"]
    assert line["logger"] == "branchflow.access" and line["level"] == "INFO"
    assert (line["user"], line["method"], line["route"], line["path"], line["status"]) == \
        (SEC, "GET", "/api/tasks", "/api/tasks", 200)
    assert line["duration_ms"] > 0 and line["message"] == "GET /api/tasks 200" and "time" in line


def test_a_request_without_a_usable_id_gets_one_and_its_own_log_records_carry_it(api, logs):
    r = api.get("/api/tasks", SEC, headers={"X-Request-ID": "bad id with spaces"})
    rid = r.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    iid = open_pairing(api)
    t = api.task(HELPER, "sign_helper", iid)
    api.post(f"/api/tasks/{t['id']}/complete", HELPER, json={"data": {"signed": True}}, headers={"X-Request-ID": "done-1"})
    assert [e["status"] for e in logs() if e.get("request_id") == "done-1"] == [200]
    assert any(e.get("request_id") == rid for e in logs())


def test_log_level_and_format_are_configurable():
    cfg = Config.from_env({"BRANCHFLOW_LOG_LEVEL": "warning", "BRANCHFLOW_LOG_FORMAT": "text"})
    assert (cfg.log_level, cfg.log_format) == ("WARNING", "text")
    with pytest.raises(SystemExit):
        Config.from_env({"BRANCHFLOW_LOG_LEVEL": "LOUD"})
    stream = io.StringIO()
    handler = configure_logging(cfg.log_level, cfg.log_format, stream)
    try:
        logging.getLogger("branchflow.test").info("not shown")
        logging.getLogger("branchflow.test").warning("shown")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert "not shown" not in stream.getvalue() and stream.getvalue().rstrip().endswith("WARNING branchflow.test: shown")


def test_with_observability_off_no_id_and_no_series(tmp_path):
    from conftest import Api, demo_services
    from service.app import create_app

    cfg, svc = demo_services(tmp_path)
    cfg.observability = False
    api = Api(create_app(cfg, svc))
    r = api.get("/api/tasks", SEC)
    assert r.status_code == 200 and "X-Request-ID" not in r.headers
    assert metric(api.client.get("/metrics").get_data(as_text=True), "branchflow_http_request_duration_seconds_count",
                  route="/api/tasks") == 0
