"""A unit of work that says what its commit changed: the scheduler wakes when a timer is armed or a message
queued (in this process through ``Wakeups``, in others through PostgreSQL ``NOTIFY``), and new inbox rows
are handed to a hook before the commit, so a notice of a new 待办 is queued in the same transaction
(cosmicpython's unit of work collecting events for its message bus)."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..domain.status import TaskKind, TimerStatus
from .models import InboxTask, Outbox, Timer
from .repositories.ops import Operations
from .uow import UnitOfWork

log = logging.getLogger(__name__)

#: the PostgreSQL channel a commit that armed a timer or queued a message notifies
WAKE_CHANNEL = "branchflow_wake"


class Wakeups:
    """In-process listeners told what a commit changed (``{"timers", "outbox"}``)."""

    def __init__(self):
        self._listeners: list[Callable[[set], None]] = []

    def subscribe(self, listener: Callable[[set], None]) -> None:
        """Call ``listener(changes)`` after every commit that changed something a scheduler waits on."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[set], None]) -> None:
        """Stop telling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def notify(self, changes: set) -> None:
        """Tell every listener (a failing listener is logged, never the committer's problem)."""
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # pragma: no cover - a listener's bug must not fail a committed request
                log.exception("wake-up listener failed")


class ObservedUnitOfWork(UnitOfWork):
    """``UnitOfWork`` plus ``ops`` (operations queries), change tracking and the new-task hook."""

    def __init__(self, factory, wakeups: Wakeups | None = None,
                 tasks_arrived: Callable[["ObservedUnitOfWork", list[InboxTask]], None] | None = None):
        super().__init__(factory)
        self.ops = Operations(self)
        self._wakeups = wakeups
        self._tasks_arrived = tasks_arrived
        self._changes: set[str] = set()
        self._arrived: list[InboxTask] = []
        requeue = self.timers.requeue

        def requeue_and_wake(ids):
            done = requeue(ids)
            if done:
                self._changes.add("timers")
            return done

        self.timers.requeue = requeue_and_wake

    def __exit__(self, *exc) -> None:
        self._changes, self._arrived = set(), []
        super().__exit__(*exc)

    def touch(self, *what: str) -> None:
        """Say this transaction changed ``what`` (``"timers"``, ``"outbox"``): the schedulers wake after commit."""
        self._changes.update(what)

    def insert(self, *objs) -> None:
        super().insert(*objs)
        for obj in objs:
            if isinstance(obj, Timer):
                self._changes.add("timers")
            elif isinstance(obj, InboxTask) and obj.kind == TaskKind.USER and self._tasks_arrived is not None:
                self._arrived.append(obj)

    def add(self, obj) -> None:
        super().add(obj)
        if isinstance(obj, Outbox):
            self._changes.add("outbox")
        elif isinstance(obj, Timer):
            self._changes.add("timers")

    def update_rows(self, model, ids, **values) -> None:
        super().update_rows(model, ids, **values)
        if model is Timer and ids and ("due_at" in values or values.get("status") == TimerStatus.PENDING):
            self._changes.add("timers")

    def commit(self) -> None:
        if self._arrived:
            rows, self._arrived = self._arrived, []
            self._tasks_arrived(self, rows)
        changes, self._changes = self._changes, set()
        if changes and self.session.bind.dialect.name == "postgresql":
            # delivered by the server when (and only if) this transaction commits
            self.session.execute(text("SELECT pg_notify(:channel, :what)"),
                                 {"channel": WAKE_CHANNEL, "what": ",".join(sorted(changes))})
        super().commit()
        if changes and self._wakeups is not None:
            self._wakeups.notify(changes)


def listen(engine: Engine, on_wake: Callable[[set], None], stop: threading.Event, poll: float = 1.0) -> None:
    """Call ``on_wake(changes)`` for every ``NOTIFY branchflow_wake`` on PostgreSQL until ``stop`` is set;
    reconnects after a lost connection (a server restart). Returns at once on other databases."""
    if engine.dialect.name != "postgresql":
        return
    while not stop.is_set():
        try:
            raw = engine.raw_connection()
            try:
                conn = raw.driver_connection
                conn.autocommit = True
                conn.execute(f"LISTEN {WAKE_CHANNEL}")
                on_wake({"timers", "outbox"})  # anything committed while we were not listening
                while not stop.is_set():
                    for note in conn.notifies(timeout=poll):
                        on_wake(set(filter(None, note.payload.split(","))))
            finally:
                raw.invalidate()
        except Exception as exc:  # the server went away: listen again shortly
            log.warning("listening for wake-ups failed: %s", exc)
            stop.wait(2.0)
