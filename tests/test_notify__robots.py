"""企业微信 and 钉钉 group robots in their own message formats, each person's channel choice, and the notice
of a new 待办 — delivered to local fake robot endpoints that check the exact payloads."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from service.flows.notify import drain
from service.flows.timers import fire_due
from service.notify import DeliveryError, DingTalkChannel, Message, WeComChannel
from scenarios import HELPER, SEC, SUP, open_pairing, to_supply_tools

T = datetime.fromisoformat


class Robot(BaseHTTPRequestHandler):
    """A robot endpoint: keeps (path, query, JSON body) and answers what ``reply`` says."""

    received: list = []
    reply: dict = {"errcode": 0, "errmsg": "ok"}
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        url = urllib.parse.urlsplit(self.path)
        type(self).received.append((url.path, urllib.parse.parse_qs(url.query), dict(self.headers), json.loads(body)))
        data = json.dumps(type(self).reply).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    Robot.received, Robot.reply, Robot.status = [], {"errcode": 0, "errmsg": "ok"}, 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Robot
    server.shutdown()


MESSAGE = Message(id=7, recipient="sec_jg2", address=None, display_name="机关二支部书记", subject="【提醒】签订结对协议即将到期",
                  body="结对提升 · 机关二支部：任务「签订结对协议」将于 2026-03-05 18:00 到期，请及时办理。", instance_id="i1",
                  task_id="t1", created_at="2026-03-05T06:30:00+00:00", mobile="13800000001",
                  link="https://bf.example.com/tasks/t1")


def test_wecom_robot_gets_a_text_message_mentioning_the_mobile(robot):
    base, hook = robot
    WeComChannel(f"{base}/cgi-bin/webhook/send?key=KEY-1").send(MESSAGE)
    (path, query, headers, body), = hook.received
    assert path == "/cgi-bin/webhook/send" and query == {"key": ["KEY-1"]}
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert body == {"msgtype": "text", "text": {
        "content": "【提醒】签订结对协议即将到期\n结对提升 · 机关二支部：任务「签订结对协议」将于 2026-03-05 18:00 到期，请及时办理。\n"
                   "https://bf.example.com/tasks/t1",
        "mentioned_mobile_list": ["13800000001"]}}


def test_dingtalk_robot_url_is_signed_and_the_text_names_the_mention(robot):
    base, hook = robot
    channel = DingTalkChannel(f"{base}/robot/send?access_token=TOKEN", secret="SEC-secret", now_ms=lambda: 1767225600000)
    channel.send(MESSAGE)
    (path, query, _headers, body), = hook.received
    assert path == "/robot/send" and query["access_token"] == ["TOKEN"] and query["timestamp"] == ["1767225600000"]
    # DingTalk's rule: sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\n" + secret)))
    expected = base64.b64encode(hmac.new(b"SEC-secret", b"1767225600000\nSEC-secret", hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL encoding
    assert urllib.parse.quote_plus(expected) in channel.signed_url()
    assert body == {"msgtype": "text",
                    "text": {"content": "【提醒】签订结对协议即将到期\n结对提升 · 机关二支部：任务「签订结对协议」将于 2026-03-05 18:00 到期，"
                                        "请及时办理。\nhttps://bf.example.com/tasks/t1\n@13800000001"},
                    "at": {"atMobiles": ["13800000001"], "isAtAll": False}}


def test_robot_errcodes_rate_limit_is_retried_anything_else_is_permanent(robot):
    base, hook = robot
    hook.reply = {"errcode": 130101, "errmsg": "send too fast"}
    with pytest.raises(DeliveryError) as passing:
        DingTalkChannel(f"{base}/robot/send?access_token=T").send(MESSAGE)
    assert not passing.value.permanent
    hook.reply = {"errcode": 310000, "errmsg": "sign not match"}
    with pytest.raises(DeliveryError) as refused:
        DingTalkChannel(f"{base}/robot/send?access_token=T", secret="x").send(MESSAGE)
    assert refused.value.permanent and "310000" in str(refused.value)
    hook.reply = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with pytest.raises(DeliveryError) as bad_key:
        WeComChannel(f"{base}/cgi-bin/webhook/send?key=nope").send(MESSAGE)
    assert bad_key.value.permanent


def test_each_person_chooses_channels_and_reminders_follow_the_choice(api, robot):
    base, hook = robot
    api.svc.channels["wecom"] = WeComChannel(f"{base}/cgi-bin/webhook/send?key=K")
    r = api.call("PUT", "/api/me/notifications", HELPER, json={"channels": ["wecom"], "mobile": "13900000002"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["channels"] == ["wecom"] and not r.get_json()["channels_default"]
    assert api.get("/api/me/notifications", SEC).get_json()["channels"] == ["email"]  # the default
    to_supply_tools(api)
    api.travel(T("2026-03-05T14:30:00+08:00"))
    fire_due(api.svc)
    assert len(drain(api.svc).sent) == 1
    (_p, _q, _h, body), = hook.received
    assert body["text"]["mentioned_mobile_list"] == ["13900000002"]
    assert body["text"]["content"].startswith("【提醒】提供配套工具")
    with api.svc.uow() as uow:
        assert [(o.recipient, o.channel) for o in uow.outbox.listed()] == [(HELPER, "wecom")]


def test_choices_are_validated_and_null_returns_to_the_default(api):
    bad = api.call("PUT", "/api/me/notifications", SEC, json={"channels": ["sms"]})
    assert bad.status_code == 422 and bad.get_json()["error"]["errors"][0]["field"].startswith("channels")
    assert api.call("PUT", "/api/me/notifications", SEC, json={"mobile": "12ab"}).status_code == 422
    api.call("PUT", "/api/me/notifications", SEC, json={"channels": [], "new_task_channels": ["email"]})
    assert api.get("/api/me/notifications", SEC).get_json()["channels"] == []
    back = api.call("PUT", "/api/me/notifications", SEC, json={"channels": None}).get_json()
    assert back["channels"] == ["email"] and back["channels_default"] and back["new_task_channels"] == ["email"]


def test_a_new_task_notice_is_queued_with_the_task_and_reaches_the_robot(api, robot):
    base, hook = robot
    api.svc.channels["dingtalk"] = DingTalkChannel(f"{base}/robot/send?access_token=T", secret="s", now_ms=lambda: 1)
    api.call("PUT", "/api/me/notifications", SEC, json={"new_task_channels": ["dingtalk"], "mobile": "13700000003"})
    iid = open_pairing(api)  # both signatures open at once: the helper's (no notices chosen) and the secretary's
    task = api.task(SEC, "sign_secretary", iid)
    with api.svc.uow() as uow:
        (row,) = uow.outbox.listed()
    assert (row.recipient, row.channel, row.task_id, row.instance_id) == (SEC, "dingtalk", task["id"], iid)
    assert row.subject == f"【新待办】{task['name']}"
    assert len(drain(api.svc).sent) == 1
    (_p, query, _h, body), = hook.received
    assert query["timestamp"] == ["1"] and body["at"] == {"atMobiles": ["13700000003"], "isAtAll": False}
    title = api.get(f"/api/instances/{iid}", SUP).get_json()["title"]
    assert body["text"]["content"] == f"【新待办】{task['name']}\n{title}：任务「{task['name']}」已到达您的待办。\n@13700000003"


def test_notices_go_only_to_who_chose_them_and_a_refused_step_queues_none(api):
    api.call("PUT", "/api/me/notifications", SEC, json={"new_task_channels": ["email"]})
    iid = open_pairing(api)
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)  # no new task for anyone who chose notices
    with api.svc.uow() as uow:
        assert [(o.recipient, o.subject[:5]) for o in uow.outbox.listed()] == [(SEC, "【新待办】")]
    t = api.task(SEC, "sign_secretary", iid)
    assert api.post(f"/api/tasks/{t['id']}/complete", SEC, json={"data": {"signed": "yes"}}).status_code == 422
    api.svc.settings.new_task_channels = ("email",)  # now everyone without a choice gets notices by e-mail
    api.complete(SEC, "sign_secretary", {"signed": True}, iid)  # 存档 arrives for the supervisor
    with api.svc.uow() as uow:
        rows = [(o.recipient, o.channel) for o in uow.outbox.listed()]
    assert rows[0] == (SEC, "email") and set(rows[1:]) == {(SUP, "email")}
