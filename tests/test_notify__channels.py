"""Reminders and escalations leave the outbox by e-mail (a real SMTP server the test starts) and by webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from service.flows.notify import drain
from service.flows.timers import fire_due
from service.notify import EmailChannel, WebhookChannel
from service.store.models import Outbox
from scenarios import to_supply_tools

T = datetime.fromisoformat


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


class Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 204

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received, Hook.status = [], 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Hook
    server.shutdown()


def subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def statuses(api) -> list[tuple[str, str]]:
    with api.svc.uow() as uow:
        return [(o.channel, o.status) for o in uow.outbox.listed()]


def test_reminder_and_escalation_arrive_by_email(api, smtp):
    controller, mailbox = smtp
    api.svc.channels["email"] = EmailChannel(controller.hostname, controller.port, sender="branchflow@example.com")
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    result = drain(api.svc)
    assert len(result.sent) == 1 and result.failed == result.retry == []
    (rcpt, msg), = mailbox.messages
    assert rcpt == ["supervisor@example.com"]  # the helper of 机关二支部 in the demo
    assert subject(msg) == "【提醒】提供配套工具（3个工作日内）即将到期"
    assert "2026-03-05 18:00" in msg.get_content() and "结对提升 · 机关二支部" in msg.get_content()
    # escalation: to every supervisor, and nothing is sent twice
    api.travel(T("2026-03-05T18:00:01+08:00"))
    fire_due(api.svc)
    assert len(drain(api.svc).sent) == 1 and drain(api.svc).sent == []
    assert subject(mailbox.messages[-1][1]) == "【一级督办】提供配套工具（3个工作日内）已逾期"
    assert statuses(api) == [("email", "sent"), ("email", "sent")]


def test_smtp_down_retries_with_backoff_then_gives_up(api):
    api.svc.channels["email"] = EmailChannel("127.0.0.1", free_port(), timeout=2)
    api.svc.settings.notify_max_attempts = 3
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    now = api.svc.clock.now()
    first = drain(api.svc, now)
    assert first.sent == [] and len(first.retry) == 1
    assert drain(api.svc, now + timedelta(seconds=30)).retry == []  # not before the backoff (1 min)
    assert len(drain(api.svc, now + timedelta(minutes=1)).retry) == 1
    assert len(drain(api.svc, now + timedelta(minutes=4)).failed) == 1
    with api.svc.uow() as uow:
        row, = uow.outbox.listed()
    assert row.status == "failed" and row.attempts == 3 and "SMTP 127.0.0.1" in row.error


def test_webhook_channel_posts_signed_json(api, webhook):
    url, hook = webhook
    api.svc.settings.notify_channels = ("email", "webhook")
    api.svc.channels["webhook"] = WebhookChannel(url, secret="s3cret")
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    result = drain(api.svc)
    assert len(result.sent) == 1  # the webhook; e-mail is not configured here and waits
    assert statuses(api) == [("email", "pending"), ("webhook", "sent")]
    (headers, body), = hook.received
    payload = json.loads(body)
    assert payload["recipient"] == "supervisor" and payload["subject"].startswith("【提醒】")
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Branchflow-Signature"] == f"sha256={expected}"


def test_webhook_rejection_is_permanent_and_server_error_is_retried(api, webhook):
    url, hook = webhook
    api.svc.settings.notify_channels = ("webhook",)
    api.svc.channels["webhook"] = WebhookChannel(url)
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    hook.status = 503
    assert len(drain(api.svc).retry) == 1
    hook.status = 410
    assert len(drain(api.svc, api.svc.clock.now() + timedelta(minutes=2)).failed) == 1
    with api.svc.uow() as uow:
        assert uow.session.get(Outbox, 1).error == "webhook answered 410"


def test_a_drain_that_crashed_mid_send_is_taken_over(api, smtp):
    controller, mailbox = smtp
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    now = api.svc.clock.now()
    with api.svc.uow() as uow:  # a drain claimed the message and died before recording anything
        assert len(uow.outbox.claim(now, ["email"], "dead-drain", 10, now)) == 1
        uow.commit()
    api.svc.channels["email"] = EmailChannel(controller.hostname, controller.port)
    assert drain(api.svc, now + timedelta(minutes=1)).sent == []
    assert len(drain(api.svc, now + timedelta(minutes=11)).sent) == 1 and len(mailbox.messages) == 1
