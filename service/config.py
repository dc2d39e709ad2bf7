"""Configuration from the environment (``BRANCHFLOW_*``), with zero-set-up defaults."""
from __future__ import annotations

import os
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
)


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
        default_channels = ",".join(["email"] + (["webhook"] if cfg.webhook else []))
        s.notify_channels = tuple(c.strip() for c in env.get("BRANCHFLOW_NOTIFY_CHANNELS", default_channels).split(",")
                                  if c.strip())
        unknown = set(s.notify_channels) - {"email", "webhook"}
        if unknown:
            raise SystemExit(f"BRANCHFLOW_NOTIFY_CHANNELS: unknown channel(s) {', '.join(sorted(unknown))}")
        return cfg
