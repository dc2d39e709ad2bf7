"""Tables of operations (issue 19): each person's notification choices and the schedulers' heartbeats.

Kept beside ``models.py`` on the same ``Base`` (``migrate`` and the operations repository import this
module, so the metadata always holds them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime


class NotifyPrefs(Base):
    """One person's notification choices; a missing row (or a NULL list) means the deployment's default."""

    __tablename__ = "notify_prefs"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: channels reminders and escalations reach this person on (None: BRANCHFLOW_NOTIFY_CHANNELS)
    channels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: channels a notice of each new 待办 goes to (None: BRANCHFLOW_NEW_TASK_CHANNELS; []: none)
    new_task_channels: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: mobile number the group robots (企业微信, 钉钉) @-mention this person by
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Heartbeat(Base):
    """A scheduler process says it is alive (one row per host and process, rewritten every wake)."""

    __tablename__ = "heartbeats"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    pid: Mapped[int] = mapped_column(Integer)
