"""What an admin sees and repairs: backlogs, failed timers, failed and waiting messages — over the API, the
CLI and the 运维 page — and putting messages back in the queue."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime

from service.flows.notify import drain
from service.flows.timers import fire_due
from service.notify import WebhookChannel
from scenarios import ROOT, SEC, SUP, to_supply_tools
from test_web__pages import _csrf, login

DUE = datetime.fromisoformat("2026-03-05T18:00:01+08:00")  # the supply_tools duty's reminder and escalation


def failed_messages(api) -> list[int]:
    """A reminder and an escalation whose webhook could not be reached, with one attempt allowed: failed."""
    api.svc.settings.notify_channels = ("webhook",)
    api.svc.channels["webhook"] = WebhookChannel("http://127.0.0.1:9/hook", timeout=1)
    api.svc.settings.notify_max_attempts = 1
    to_supply_tools(api)
    api.travel(DUE)
    fire_due(api.svc)
    result = drain(api.svc)
    assert result.failed and not result.sent
    return result.failed


def test_ops_status_counts_the_backlog_for_admins_only(api):
    to_supply_tools(api)
    api.travel(DUE)
    r = api.get("/api/ops/status", "admin")
    assert r.status_code == 200
    body = r.get_json()
    assert body["timers_due"] == 2 and body["tasks_overdue"] == 1 and body["scheduler_lag_seconds"] > 0
    assert body["timers"]["pending"] >= 2 and body["scheduler_heartbeat"] is None
    assert api.get("/api/ops/status", SUP).status_code == 403


def test_failed_messages_are_listed_and_requeued_over_the_api(api):
    failed = failed_messages(api)
    r = api.get("/api/outbox", "admin", query_string={"status": "failed"})
    assert r.status_code == 200
    page = r.get_json()
    assert page["total"] == len(failed) and {m["id"] for m in page["items"]} == set(failed)
    assert all(m["channel"] == "webhook" and "webhook" in m["error"] and m["instance_title"] for m in page["items"])
    assert api.get("/api/outbox", SUP).status_code == 403
    assert api.get("/api/outbox", "admin", query_string={"status": "lost"}).status_code == 422
    r = api.post("/api/outbox/requeue", "admin", json={"ids": [failed[0], 999999]})
    assert r.status_code == 404 and r.get_json()["error"]["errors"][0]["field"] == "ids"
    r = api.post("/api/outbox/requeue", "admin", json={"ids": [failed[0]]})
    assert r.status_code == 200 and r.get_json() == {"requeued": [failed[0]]}
    pending = api.get("/api/outbox", "admin", query_string={"status": "pending"}).get_json()["items"]
    assert [(m["id"], m["attempts"]) for m in pending] == [(failed[0], 0)]
    assert api.post("/api/outbox/requeue", "admin", json={}).get_json()["requeued"] == failed[1:]


def test_the_cli_lists_and_requeues_messages_and_prints_the_status(api):
    failed = failed_messages(api)
    env = {"BRANCHFLOW_DATABASE_URL": api.svc.db_engine.url.render_as_string(hide_password=False),
           "BRANCHFLOW_AUTO_MIGRATE": "0", "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    listed = run("notify", "list", "--status", "failed")
    assert listed.returncode == 0, listed.stderr
    assert sorted(json.loads(line)["id"] for line in listed.stdout.splitlines()) == sorted(failed)
    assert run("notify", "requeue").returncode != 0
    assert "re-queued 1 message(s)" in run("notify", "requeue", str(failed[0])).stdout
    assert f"re-queued {len(failed) - 1} message(s)" in run("notify", "requeue", "--all").stdout
    status = json.loads(run("ops", "status").stdout)
    assert status["outbox"] == {"pending": len(failed)}


def test_the_ops_page_shows_failures_and_requeues_them(api):
    failed = failed_messages(api)
    client = login(api, "admin")
    page = client.get("/admin/ops")
    assert page.status_code == 200
    assert "运维" in page.text and "发送失败" in page.text
    assert all(f'data-message="{i}"' in page.text for i in failed)
    r = client.post("/admin/ops/outbox/requeue", data={"id": str(failed[0]), "csrf_token": _csrf(client, "/admin/ops")})
    assert r.status_code == 303
    assert "已重新发送 1 条消息" in client.get(r.headers["Location"]).text
    assert f'data-message="{failed[0]}"' not in client.get("/admin/ops").text
    waiting = client.get("/admin/ops?status=pending").text
    assert f'data-message="{failed[0]}"' in waiting
    assert login(api, SEC).get("/admin/ops").status_code == 403
    assert re.search(r'href="/admin/ops"', client.get("/inbox").text)  # the admin's menu links it


def test_the_ops_page_requeues_a_failed_timer(api):
    iid = to_supply_tools(api)
    with api.svc.uow() as uow:
        inst = uow.instances.get(iid)
        good, inst.state = inst.state, "{not json"
        uow.commit()
    assert fire_due(api.svc, DUE).failed
    client = login(api, "admin")
    page = client.get("/admin/ops").text
    timer_ids = re.findall(r'data-timer="([^"]+)"', page)
    assert len(timer_ids) == 2 and "JSONDecodeError" in page
    with api.svc.uow() as uow:
        uow.instances.get(iid).state = good
        uow.commit()
    r = client.post("/admin/ops/timers/requeue", data={"csrf_token": _csrf(client, "/admin/ops")})
    assert r.status_code == 303 and "已重新排队 2 个定时器" in client.get(r.headers["Location"]).text
    assert len(fire_due(api.svc, DUE).fired) == 2


def test_everyone_sets_their_notifications_on_a_page(api):
    client = login(api, SEC)
    page = client.get("/settings/notifications")
    assert page.status_code == 200 and "企业微信" in page.text and "钉钉" in page.text
    token = _csrf(client, "/settings/notifications")
    bad = client.post("/settings/notifications", data={"mobile": "12ab", "csrf_token": token})
    assert bad.status_code == 422 and "手机号" in bad.text
    r = client.post("/settings/notifications", data={"channels": ["email", "wecom"], "new_task_channels": ["dingtalk"],
                                                     "mobile": "13800000009", "csrf_token": token})
    assert r.status_code == 303
    choices = api.get("/api/me/notifications", SEC).get_json()
    assert (choices["channels"], choices["new_task_channels"], choices["mobile"]) == \
        (["email", "wecom"], ["dingtalk"], "13800000009")
