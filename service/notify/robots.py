"""Group robots people read: 企业微信 (WeCom) and 钉钉 (DingTalk) custom robots, in their own message formats.

WeCom: ``POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`` with
``{"msgtype": "text", "text": {"content": ..., "mentioned_mobile_list": [...]}}``.
DingTalk: ``POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN[&timestamp=T&sign=S]`` with
``{"msgtype": "text", "text": {"content": ...}, "at": {"atMobiles": [...], "isAtAll": false}}``; a robot with
signing ("加签") needs ``timestamp`` (milliseconds) and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret,
msg="timestamp\\nsecret"))). Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``, or an ``errcode``
saying what is wrong: rate limits are retried, anything else (bad key, signature, keyword) is permanent.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from . import DeliveryError, Message

#: errcodes that pass: too many messages a minute (WeCom 45009, DingTalk 130101), a busy system (-1)
RETRY_ERRCODES = {45009, 130101, -1}


def _content(message: Message) -> str:
    lines = [message.subject, message.body]
    if message.link:
        lines.append(message.link)
    return "\n".join(lines)


def _post(url: str, payload: dict, timeout: float, name: str) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise DeliveryError(f"{name} answered HTTP {exc.code}", permanent=permanent) from exc
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"{name}: {exc}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError(f"{name} answered something that is not JSON") from exc
    code = answer.get("errcode", 0)
    if code != 0:
        raise DeliveryError(f"{name} errcode {code}: {answer.get('errmsg', '')}", permanent=code not in RETRY_ERRCODES)


@dataclass
class WeComChannel:
    """企业微信群机器人: a text message @-mentioning the recipient by mobile number when one is known."""

    url: str
    timeout: float = 10.0
    name: str = "wecom"

    def send(self, message: Message) -> None:
        """Deliver one message or raise DeliveryError."""
        text = {"content": _content(message)}
        if message.mobile:
            text["mentioned_mobile_list"] = [message.mobile]
        _post(self.url, {"msgtype": "text", "text": text}, self.timeout, "企业微信 robot")


@dataclass
class DingTalkChannel:
    """钉钉群机器人: a text message @-mentioning the recipient; with ``secret``, the signed URL ("加签")."""

    url: str
    secret: str | None = None
    timeout: float = 10.0
    name: str = "dingtalk"
    #: milliseconds since the epoch (wall time: DingTalk refuses a timestamp more than an hour off)
    now_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))

    def signed_url(self) -> str:
        """The robot's URL, with ``timestamp`` and ``sign`` when the robot has a signing secret."""
        if not self.secret:
            return self.url
        timestamp = str(self.now_ms())
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        return f"{self.url}{'&' if '?' in self.url else '?'}timestamp={timestamp}&sign={sign}"

    def send(self, message: Message) -> None:
        """Deliver one message or raise DeliveryError."""
        content = _content(message)
        at = {"atMobiles": [message.mobile] if message.mobile else [], "isAtAll": False}
        if message.mobile:
            content += f"\n@{message.mobile}"  # DingTalk shows the mention only where the text names it
        _post(self.signed_url(), {"msgtype": "text", "text": {"content": content}, "at": at}, self.timeout,
              "钉钉 robot")
