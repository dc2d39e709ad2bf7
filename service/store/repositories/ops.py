"""Operations: backlogs for metrics and admins, the outbox's admin side, notification choices, heartbeats."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update

from ...domain.status import UNFIRED, OutboxStatus, TaskKind, TaskStatus
from ..models import Attachment, InboxTask, Instance, Outbox, Timer
from ..ops_models import Heartbeat, NotifyPrefs
from .base import Repository, _insert_ignoring


class Operations(Repository):
    """What an operator watches and repairs."""

    def backlog(self, now: datetime) -> dict:
        """Counts of open and overdue tasks, timers and outbox messages by status, the earliest unfired due
        time and the newest scheduler heartbeat: every figure ``/metrics`` and the ops page show."""
        s = self.session
        open_user = and_(InboxTask.status == TaskStatus.OPEN, InboxTask.kind == TaskKind.USER)
        tasks_open = s.scalar(select(func.count()).select_from(InboxTask).where(open_user))
        tasks_overdue = s.scalar(select(func.count()).select_from(InboxTask).where(open_user, InboxTask.due_at < now))
        escalations = s.scalar(select(func.count()).select_from(InboxTask).where(
            InboxTask.status == TaskStatus.OPEN, InboxTask.kind == TaskKind.ESCALATION))
        timers = dict(s.execute(select(Timer.status, func.count()).group_by(Timer.status)).all())
        timers_due = s.scalar(select(func.count()).select_from(Timer).where(Timer.status.in_(UNFIRED), Timer.due_at < now))
        earliest = s.scalar(select(func.min(Timer.due_at)).where(Timer.status.in_(UNFIRED)))
        outbox = dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
        beat = self.last_beat("scheduler")
        return {"tasks_open": tasks_open, "tasks_overdue": tasks_overdue, "escalations_open": escalations,
                "timers": {str(k): v for k, v in timers.items()}, "timers_due": timers_due,
                "earliest_unfired_due": earliest, "outbox": {str(k): v for k, v in outbox.items()},
                "scheduler_heartbeat": beat}

    def due_timers(self, now: datetime, limit: int = 100_000) -> list[tuple[Timer, Instance]]:
        """Unfired timers due at ``now`` with their instances, earliest first (what a sweep would fire)."""
        return [(t, i) for t, i in self.session.execute(
            select(Timer, Instance).join(Instance, Instance.id == Timer.instance_id)
            .where(Timer.status.in_(UNFIRED), Timer.due_at < now).order_by(Timer.due_at, Timer.id).limit(limit))]

    def next_timer_due(self) -> datetime | None:
        """When the earliest unfired timer is due (None: no timer waits)."""
        return self.session.scalar(select(func.min(Timer.due_at)).where(Timer.status.in_(UNFIRED)))

    def next_outbox_attempt(self, channels: list[str]) -> datetime | None:
        """When the next message of ``channels`` may be tried (a message never tried: its creation)."""
        if not channels:
            return None
        when = func.coalesce(Outbox.next_attempt_at, Outbox.created_at)
        return self.session.scalar(select(func.min(when)).where(Outbox.status == OutboxStatus.PENDING,
                                                                Outbox.channel.in_(channels)))

    # -- the outbox, for an admin ------------------------------------------------------------------------

    def messages(self, status: str | None, limit: int, offset: int = 0) -> tuple[list[Outbox], int]:
        """Outbox messages of ``status`` (every status when None), newest first, and how many there are."""
        cond = Outbox.status == status if status else True
        rows = list(self.session.scalars(select(Outbox).where(cond).order_by(Outbox.id.desc())
                                         .limit(limit).offset(offset)))
        total = self.session.scalar(select(func.count()).select_from(Outbox).where(cond))
        return rows, total

    def requeue_messages(self, ids: list[int] | None, now: datetime) -> list[int]:
        """Put failed messages ``ids`` (every failed one when None) back in the queue, due now, with their
        attempts counted from zero; the ids it re-queued."""
        cond = Outbox.status == OutboxStatus.FAILED
        if ids is not None:
            cond = and_(cond, Outbox.id.in_(ids))
        result = self.session.execute(
            update(Outbox).where(cond).values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
                                              claim=None).returning(Outbox.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    # -- notification choices ------------------------------------------------------------------------------

    def prefs(self, username: str) -> NotifyPrefs | None:
        """The notification choices of ``username`` (None: the deployment's defaults)."""
        return self.session.get(NotifyPrefs, username)

    def anyone_wants_new_task_notices(self) -> bool:
        """Has anybody chosen a channel for new-待办 notices?"""
        rows = self.session.scalars(select(NotifyPrefs.new_task_channels).where(NotifyPrefs.new_task_channels.is_not(None)))
        return any(rows)

    def prefs_of(self, usernames: list[str]) -> dict[str, NotifyPrefs]:
        """Notification choices of several people by username (one query)."""
        if not usernames:
            return {}
        return {p.username: p for p in self.session.scalars(
            select(NotifyPrefs).where(NotifyPrefs.username.in_(sorted(set(usernames)))))}

    # -- heartbeats ----------------------------------------------------------------------------------------

    def beat(self, name: str, role: str, at: datetime, pid: int) -> None:
        """Record that process ``name`` (a ``role``) is alive at ``at``; forget processes silent for a day."""
        row = self.session.get(Heartbeat, name)
        if row is None:
            self.session.connection().execute(
                _insert_ignoring(self.session.bind.dialect.name, Heartbeat, ["name"]),
                {"name": name, "role": role, "at": at, "pid": pid})
        else:
            row.at, row.pid = at, pid
        self.session.execute(Heartbeat.__table__.delete().where(Heartbeat.at < at - timedelta(days=1)))

    def last_beat(self, role: str) -> datetime | None:
        """The newest heartbeat of any process of ``role``."""
        return self.session.scalar(select(func.max(Heartbeat.at)).where(Heartbeat.role == role))

    def attachment_shas(self) -> list[str]:
        """The content address of every evidence file a row names (a backup packs these)."""
        return sorted(set(self.session.scalars(select(Attachment.sha256))))

    def instance_count(self) -> int:
        """How many instances there are."""
        return self.session.scalar(select(func.count()).select_from(Instance))

    def instance_titles(self, ids: list[str]) -> dict[str, str]:
        """Instance titles by id (for listings of messages)."""
        if not ids:
            return {}
        return dict(self.session.execute(select(Instance.id, Instance.title).where(Instance.id.in_(sorted(set(ids))))).all())
