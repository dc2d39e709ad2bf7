"""Configuration from the environment (``BRANCHFLOW_*``), with zero-set-up defaults."""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from .flows.context import Settings


#: BRANCHFLOW_* variables that set one field of Settings: (variable, field, parser)
_SETTINGS = (
    ("BRANCHFLOW_TOKEN_TTL_HOURS", "token_ttl_hours", float),
    ("BRANCHFLOW_CLOSE_OF_BUSINESS", "close_of_business", time.fromisoformat),
    ("BRANCHFLOW_REMINDER_HOURS", "reminder_hours", float),
    ("BRANCHFLOW_SECOND_ESCALATION", "second_level_escalation", str),
    ("BRANCHFLOW_CALENDAR_DIR", "calendar_dir", Path),
    ("BRANCHFLOW_ATTACHMENTS_DIR", "attachments_dir", Path),
    ("BRANCHFLOW_ATTACHMENT_MAX_MB", "attachment_max_bytes", lambda v: int(float(v) * 1024 * 1024)),
    ("BRANCHFLOW_PDF_FONT", "pdf_font", str),
    ("BRANCHFLOW_LOGIN_MAX_FAILURES", "login_max_failures", int),
    ("BRANCHFLOW_LOGIN_LOCK_MINUTES", "login_lock_minutes", float),
    ("BRANCHFLOW_WORKFLOW_CACHE", "workflow_cache", int),
    ("BRANCHFLOW_AUDIT_KEY", "audit_key", Path),
    ("BRANCHFLOW_CHECKPOINT_LOG", "checkpoint_log", Path),
    ("BRANCHFLOW_CHECKPOINT_MINUTES", "checkpoint_minutes", float),
    ("BRANCHFLOW_BASE_URL", "base_url", str),
    ("BRANCHFLOW_DUTY_CALENDAR_MINUTES", "duty_calendar_minutes", float),
)

#: every delivery channel, and the variable that configures it
CHANNEL_VARIABLES = {"email": "BRANCHFLOW_SMTP_HOST", "webhook": "BRANCHFLOW_WEBHOOK_URL",
                     "wecom": "BRANCHFLOW_WECOM_WEBHOOK", "dingtalk": "BRANCHFLOW_DINGTALK_WEBHOOK"}


#: secrets shipped in examples and templates: never accepted in production
_PLACEHOLDER_SECRETS = {"dev-only-secret", "change-me-to-a-long-random-string", "changeme", "secret"}


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` must not protect a production service (a shipped placeholder, too short, one
    repeated character), or None."""
    lowered = secret.strip().lower()
    if lowered in _PLACEHOLDER_SECRETS or "change-me" in lowered or "changeme" in lowered:
        return "is the shipped placeholder"
    if len(secret) < 32:
        return "is shorter than 32 characters"
    if len(set(secret)) < 8:
        return "repeats too few characters"
    return None


@dataclass
class Config:
    """Everything ``create_app`` needs."""

    database_url: str = "sqlite:///branchflow.sqlite3"
    secret_key: str = "dev-only-secret"
    production: bool = False
    now: datetime | None = None
    scheduler: bool = False
    tick_seconds: float = 30.0
    smtp: dict | None = None  # EmailChannel arguments when BRANCHFLOW_SMTP_HOST is set
    webhook: dict | None = None  # WebhookChannel arguments when BRANCHFLOW_WEBHOOK_URL is set
    wecom: dict | None = None  # WeComChannel arguments when BRANCHFLOW_WECOM_WEBHOOK is set
    dingtalk: dict | None = None  # DingTalkChannel arguments when BRANCHFLOW_DINGTALK_WEBHOOK is set
    #: request ids, JSON access log lines and Prometheus metrics (BRANCHFLOW_OBSERVABILITY=0 turns them off)
    observability: bool = True
    log_level: str = "INFO"
    #: "json" (one object a line) or "text"
    log_format: str = "json"
    #: /readyz wants a scheduler heartbeat younger than this (default: three longest sleeps)
    heartbeat_max_age: float | None = None
    settings: Settings = field(default_factory=Settings)
    #: apply migrations when the service starts; default: on for SQLite, off elsewhere
    auto_migrate: bool | None = None

    def __post_init__(self):
        if self.auto_migrate is None:
            self.auto_migrate = self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Config":
        """Read ``BRANCHFLOW_*`` variables; refuses ``BRANCHFLOW_NOW`` in production mode."""
        env = os.environ if env is None else env
        cfg = cls()
        cfg.database_url = env.get("BRANCHFLOW_DATABASE_URL", cfg.database_url)
        auto = env.get("BRANCHFLOW_AUTO_MIGRATE")
        cfg.auto_migrate = cfg.database_url.startswith("sqlite") if auto is None else auto.lower() in ("1", "true", "yes")
        cfg.secret_key = env.get("BRANCHFLOW_SECRET_KEY", cfg.secret_key)
        mode = env.get("BRANCHFLOW_ENV", "development").strip().lower()
        if mode not in ("production", "development"):
            raise SystemExit(f"BRANCHFLOW_ENV must be production or development, not {env['BRANCHFLOW_ENV']!r}")
        cfg.production = mode == "production"
        if cfg.production:
            weak = weak_secret(cfg.secret_key)
            if weak:
                raise SystemExit(f"BRANCHFLOW_SECRET_KEY {weak} in production: set a long random one, e.g. "
                                 "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
        if env.get("BRANCHFLOW_NOW"):
            if cfg.production:
                raise SystemExit("BRANCHFLOW_NOW is refused in production mode")
            cfg.now = datetime.fromisoformat(env["BRANCHFLOW_NOW"])
            if cfg.now.tzinfo is None:
                raise SystemExit("BRANCHFLOW_NOW needs a timezone, e.g. 2026-03-02T09:00:00+08:00")
        s = cfg.settings
        for name, attr, parse in _SETTINGS:
            if env.get(name):
                setattr(s, attr, parse(env[name]))
        if env.get("BRANCHFLOW_TICK_SECONDS"):
            cfg.tick_seconds = float(env["BRANCHFLOW_TICK_SECONDS"])
        if env.get("BRANCHFLOW_SMTP_HOST"):
            cfg.smtp = {"host": env["BRANCHFLOW_SMTP_HOST"], "port": int(env.get("BRANCHFLOW_SMTP_PORT", "25")),
                        "sender": env.get("BRANCHFLOW_SMTP_FROM", "branchflow@localhost"),
                        "username": env.get("BRANCHFLOW_SMTP_USER") or None,
                        "password": env.get("BRANCHFLOW_SMTP_PASSWORD") or None,
                        "starttls": env.get("BRANCHFLOW_SMTP_STARTTLS", "").lower() in ("1", "true", "yes")}
        if env.get("BRANCHFLOW_WEBHOOK_URL"):
            cfg.webhook = {"url": env["BRANCHFLOW_WEBHOOK_URL"], "secret": env.get("BRANCHFLOW_WEBHOOK_SECRET") or None}
        if env.get("BRANCHFLOW_WECOM_WEBHOOK"):
            cfg.wecom = {"url": env["BRANCHFLOW_WECOM_WEBHOOK"]}
        if env.get("BRANCHFLOW_DINGTALK_WEBHOOK"):
            cfg.dingtalk = {"url": env["BRANCHFLOW_DINGTALK_WEBHOOK"],
                            "secret": env.get("BRANCHFLOW_DINGTALK_SECRET") or None}
        default_channels = ",".join(["email"] + [name for name in ("webhook", "wecom", "dingtalk") if getattr(cfg, name)])
        s.notify_channels = _channels(env, "BRANCHFLOW_NOTIFY_CHANNELS", default_channels)
        s.new_task_channels = _channels(env, "BRANCHFLOW_NEW_TASK_CHANNELS", "")
        cfg.observability = env.get("BRANCHFLOW_OBSERVABILITY", "1").lower() not in ("0", "false", "no", "off")
        cfg.log_level = env.get("BRANCHFLOW_LOG_LEVEL", cfg.log_level).upper()
        if not isinstance(logging.getLevelName(cfg.log_level), int):
            raise SystemExit(f"BRANCHFLOW_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {cfg.log_level!r}")
        cfg.log_format = env.get("BRANCHFLOW_LOG_FORMAT", cfg.log_format).lower()
        if cfg.log_format not in ("json", "text"):
            raise SystemExit(f"BRANCHFLOW_LOG_FORMAT must be json or text, not {cfg.log_format!r}")
        if env.get("BRANCHFLOW_HEARTBEAT_MAX_AGE"):
            cfg.heartbeat_max_age = float(env["BRANCHFLOW_HEARTBEAT_MAX_AGE"])
        return cfg

    @property
    def readiness_max_age(self) -> float:
        """How old the newest scheduler heartbeat may be for ``/readyz`` to say ready."""
        return self.heartbeat_max_age or max(3 * self.tick_seconds, 30.0)


def _channels(env, variable: str, default: str) -> tuple[str, ...]:
    names = tuple(c.strip() for c in env.get(variable, default).split(",") if c.strip())
    unknown = set(names) - set(CHANNEL_VARIABLES)
    if unknown:
        raise SystemExit(f"{variable}: unknown channel(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(CHANNEL_VARIABLES)})")
    return names


def configure_logging(level: str = "INFO", fmt: str = "json", stream=None) -> logging.Handler:
    """Send every log record to ``stream`` (standard error) as one JSON object a line (python-json-logger:
    time, level, logger, message and any extra fields such as request_id, user, route, status, duration_ms)
    or as plain text; replaces the handler an earlier call installed. Called once by each process's entry
    point (``branchflow serve``/``scheduler``, the gunicorn app), never at import time."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_branchflow", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._branchflow = True
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="time",
                                           rename_fields={"levelname": "level", "name": "logger"},
                                           json_ensure_ascii=False))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # their INFO lines say nothing an operator needs (alembic: every /readyz; spiff: every task state change)
    for noisy in ("alembic", "apscheduler", "spiff"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler
