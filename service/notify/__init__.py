"""Delivery channels for outbox messages: e-mail over SMTP, a signed JSON webhook, and the group robots of
企业微信 (WeCom) and 钉钉 (DingTalk) (``notify.robots``).

Only this package talks to mail servers and webhook endpoints (stdlib ``smtplib`` and
``urllib``); ``flows.notify`` decides what to send and records the outcome.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid


class DeliveryError(Exception):
    """A message could not be delivered; ``permanent`` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """One outbox row, as a channel sees it."""

    id: int
    recipient: str
    address: str | None
    display_name: str
    subject: str
    body: str
    instance_id: str | None
    task_id: str | None
    created_at: str
    #: the mobile number group robots @-mention the recipient by (their notification choices), if any
    mobile: str | None = None
    #: a link to the task or instance in the web app (``BRANCHFLOW_BASE_URL``), if the deployment has one
    link: str | None = None


@dataclass
class EmailChannel:
    """Send over SMTP (optionally STARTTLS and login) to the recipient's e-mail address."""

    host: str
    port: int = 25
    sender: str = "branchflow@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0
    name: str = "email"

    def send(self, message: Message) -> None:
        """Deliver one message or raise DeliveryError."""
        if not message.address:
            raise DeliveryError(f"user {message.recipient} has no e-mail address", permanent=True)
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = formataddr((message.display_name, message.address))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="branchflow")
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc


@dataclass
class WebhookChannel:
    """POST the message as JSON; with a secret, ``X-Branchflow-Signature: sha256=<hmac of the body>``."""

    url: str
    secret: str | None = None
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, message: Message) -> None:
        """Deliver one message or raise DeliveryError (4xx other than 408/429 are permanent)."""
        body = json.dumps({
            "id": message.id, "recipient": message.recipient, "subject": message.subject, "body": message.body,
            "instance_id": message.instance_id, "task_id": message.task_id, "created_at": message.created_at,
        }, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Branchflow-Delivery": str(message.id)}
        if self.secret:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Branchflow-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"webhook answered {exc.code}", permanent=permanent) from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"webhook {self.url}: {exc}") from exc


from .robots import DingTalkChannel, WeComChannel  # noqa: E402  (they build on DeliveryError and Message)

__all__ = ["DeliveryError", "Message", "EmailChannel", "WebhookChannel", "WeComChannel", "DingTalkChannel"]
