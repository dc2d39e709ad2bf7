"""Unit of work: one transaction, and the repositories of each area that run inside it.

``with svc.uow() as uow:`` opens a transaction; the use case reads and writes through ``uow.instances``,
``uow.inbox``, ``uow.timers``, ``uow.events``, ``uow.identity``, ``uow.outbox``, ``uow.calendar``, … and
the read-side pages through ``uow.queries``; ``uow.commit()`` ends it, and leaving without a commit rolls
back (cosmicpython's ``unit_of_work.py``).
"""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..domain.errors import Conflict
from . import repositories, writes
from .models import Instance
from .queries import Queries
from .queries_board import BoardQueries


class UnitOfWork:
    """``with uow:`` opens a transaction; ``commit()`` ends it; leaving without commit rolls back."""

    def __init__(self, factory: sessionmaker):
        self._factory = factory
        self.session: Session | None = None
        self._after_commit: list = []
        self.identity = repositories.Identity(self)
        self.idempotency = repositories.Idempotency(self)
        self.org = repositories.Organisation(self)
        self.instances = repositories.Instances(self)
        self.inbox = repositories.Inbox(self)
        self.timers = repositories.Timers(self)
        self.events = repositories.Events(self)
        self.checkpoints = repositories.Checkpoints(self)
        self.checklists = repositories.Checklists(self)
        self.attachments = repositories.Attachments(self)
        self.calendar = repositories.Calendar(self)
        self.outbox = repositories.OutboxRepository(self)
        self.cc = repositories.CarbonCopies(self)
        self.queries = Queries(self)
        self.board = BoardQueries(self)

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        # close() rolls back anything uncommitted without expiring what was loaded,
        # so views can still read the rows they returned
        try:
            self.session.close()
        except DBAPIError:  # the connection died (a server restart): its transaction died with it
            pass
        finally:
            self.session = None
            self._after_commit.clear()

    def commit(self) -> None:
        """Commit, then run what ``after_commit`` registered; a unique-key race becomes a Conflict."""
        try:
            self.session.commit()
        except (IntegrityError, StaleDataError) as exc:
            self.session.rollback()
            self._after_commit.clear()
            raise Conflict(writes.MOVED_ON) from exc
        done, self._after_commit = self._after_commit, []
        for action in done:
            action()

    def after_commit(self, action) -> None:
        """Run ``action()`` once the current transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)

    def flush(self) -> None:
        """Send pending changes without committing."""
        try:
            self.session.flush()
        except (IntegrityError, StaleDataError) as exc:
            raise Conflict(writes.MOVED_ON) from exc

    def add(self, obj) -> None:
        """Stage a new row."""
        self.session.add(obj)

    def delete(self, obj) -> None:
        """Stage the removal of a row."""
        self.session.delete(obj)

    def insert(self, *objs) -> None:
        """INSERT new rows now, as Core statements, without tracking them in the session.

        For the append-only rows of the hot path (events, inbox rows, timers): the ORM unit of work
        costs more than the statements themselves. The objects are built as mapped instances first, so
        their defaults and validators apply; a unique-key clash is a Conflict like a stale version."""
        for obj in objs:  # unset columns are left out, so their column defaults apply
            values = obj.__dict__
            self.insert_row(type(obj), {c.key: values[c.key] for c in obj.__table__.columns if c.key in values})

    def insert_row(self, model, values: dict) -> None:
        """INSERT one row of ``model`` from column values now (no mapped object: for append-only rows whose
        values are complete, such as events)."""
        writes.insert_row(self.session, model, values)

    def update_rows(self, model, ids, **values) -> None:
        """UPDATE rows ``ids`` of ``model`` now; loaded objects of those rows take the new values."""
        writes.update_rows(self.session, model, ids, values)

    def save_instance(self, inst: Instance) -> None:
        """Write the changed columns of a loaded instance now, checked against its loaded version."""
        writes.save_instance(self.session, inst)
