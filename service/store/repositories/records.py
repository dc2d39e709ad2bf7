"""What is kept about the work: events, signed checkpoints, calendar years, the outbox."""
from __future__ import annotations
from ...domain.status import OutboxStatus

from datetime import datetime

from sqlalchemy import and_, or_, select, update

from ..models import (
    Checkpoint,
    CalendarSchedule,
    CalendarYear,
    Event,
    Outbox,
    User,
)
from .base import Repository


class Events(Repository):
    """The append-only, hash-chained events of instances."""

    def of(self, instance_id: str, upto: int | None = None) -> list[Event]:
        """Events of an instance in sequence order (up to ``upto`` inclusive)."""
        stmt = select(Event).where(Event.instance_id == instance_id)
        if upto is not None:
            stmt = stmt.where(Event.seq <= upto)
        return list(self.session.scalars(stmt.order_by(Event.seq)))

    def hashes(self, instance_id: str, after: int, upto: int) -> list[tuple[int, str]]:
        """(seq, hash) of the events of ``instance_id`` after ``after`` up to ``upto``."""
        return [tuple(r) for r in self.session.execute(
            select(Event.seq, Event.hash).where(Event.instance_id == instance_id, Event.seq > after,
                                                Event.seq <= upto).order_by(Event.seq))]

    def hash_map(self) -> dict[tuple[str, int], str]:
        """Every event's hash by (instance, seq): what a witnessed checkpoint is compared with."""
        return {(i, q): h for i, q, h in self.session.execute(select(Event.instance_id, Event.seq, Event.hash))}


class Checkpoints(Repository):
    """Signed checkpoints of the audit chains."""

    def last(self) -> Checkpoint | None:
        """The newest checkpoint."""
        return self.session.scalar(select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))

    def after(self, after: int = 0, limit: int = 1000) -> list[Checkpoint]:
        """Checkpoints after ``after``, oldest first."""
        return list(self.session.scalars(select(Checkpoint).where(Checkpoint.seq > after)
                                         .order_by(Checkpoint.seq).limit(limit)))


class Calendar(Repository):
    """Loaded official calendar years and their content-addressed schedules."""

    def years(self) -> list[CalendarYear]:
        """Loaded calendar years."""
        return list(self.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))

    def keep_schedule(self, sha: str, year: int, data: dict, at: datetime) -> None:
        """Store a year schedule under its content address unless it is already there."""
        if self.session.get(CalendarSchedule, sha) is None:
            self.session.add(CalendarSchedule(sha256=sha, year=year, data=data, created_at=at))

    def schedules(self, shas: list[str]) -> dict[str, dict]:
        """Stored year schedules by content address."""
        if not shas:
            return {}
        return {r.sha256: r.data for r in self.session.scalars(
            select(CalendarSchedule).where(CalendarSchedule.sha256.in_(shas)))}

    def year(self, year: int) -> CalendarYear | None:
        """The loaded schedule of ``year``."""
        return self.session.get(CalendarYear, year)


class OutboxRepository(Repository):
    """Messages waiting for delivery."""

    def claim(self, now: datetime, channels: list[str], claim: str, limit: int,
                     stale_before: datetime) -> list[tuple[Outbox, User | None]]:
        """Atomically take up to ``limit`` deliverable messages (pending and due, or stuck in sending
        since before ``stale_before``) for ``channels``; return them with their recipient's user row."""
        due = or_(and_(Outbox.status == OutboxStatus.PENDING,
                       or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)),
                  and_(Outbox.status == OutboxStatus.SENDING, Outbox.claimed_at < stale_before))
        ids = self._lock_free_ids(
            select(Outbox.id).where(due, Outbox.channel.in_(channels)).order_by(Outbox.id).limit(limit))
        if not ids:
            return []
        self.session.execute(update(Outbox).where(Outbox.id.in_(ids), due)
                             .values(status=OutboxStatus.SENDING, claim=claim, claimed_at=now)
                             .execution_options(synchronize_session=False))
        rows = self.session.execute(select(Outbox, User).outerjoin(User, User.username == Outbox.recipient)
                                    .where(Outbox.claim == claim, Outbox.status == OutboxStatus.SENDING).order_by(Outbox.id))
        return [(o, u) for o, u in rows]

    def get(self, row_id: int) -> Outbox | None:
        """The outbox message ``row_id``."""
        return self.session.get(Outbox, row_id)

    def listed(self, *, status: str | None = None, limit: int = 100) -> list[Outbox]:
        """Outbox messages (optionally of one status), oldest first."""
        stmt = select(Outbox)
        if status:
            stmt = stmt.where(Outbox.status == status)
        return list(self.session.scalars(stmt.order_by(Outbox.id).limit(limit)))
