"""The scheduler: a ticker that fires timers at their due instant, and APScheduler for the periodic jobs.

The ticker sleeps until the earliest unfired timer is due (read from the timer rows: the database, never a
job store, holds what is due), or until a queued message may be tried, or at most ``idle`` seconds; a
commit that arms a timer or queues a message wakes it at once (in this process through
``store.observed.Wakeups``, from other processes through PostgreSQL ``NOTIFY``). Each wake it fires what
is due (``flows.timers.fire_due``), delivers what the outbox holds, and says it is alive (a heartbeat
``/readyz`` reads). APScheduler runs the periodic jobs: signing audit checkpoints, forgetting expired
idempotency keys, and opening the 党员责任认领 periods the calendar has current (at start, then every few
minutes: a quarter's claiming from its first day, a week's checks from its Monday).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from ..flows import checkpoints, claiming, idempotency, notify, ops, timers
from ..flows.context import Services
from ..store.observed import listen
from .metrics import Metrics

log = logging.getLogger(__name__)


#: seconds before a timer a sweep left due (its instance busy, a passing fault) is tried again
RETRY_PAUSE = 1.0


class Ticker:
    """Fires due timers on time and drains the outbox; ``wake()`` makes it look again now."""

    def __init__(self, svc: Services, idle: float = 30.0, metrics: Metrics | None = None, name: str | None = None):
        self.svc, self.idle = svc, idle
        self.metrics = metrics or getattr(svc, "metrics", None) or Metrics()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        #: when (on the service clock) the ticker means to look next, and why
        self.next_wake: datetime | None = None
        self.next_reason: str = ""
        self._wake, self._stop = threading.Event(), threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_beat = -1e18

    # -- running ------------------------------------------------------------------------------------------

    def start(self) -> "Ticker":
        """Run in background threads (the ticker, and on PostgreSQL a listener for other processes' commits)."""
        wakeups = getattr(self.svc, "wakeups", None)
        if wakeups is not None:
            wakeups.subscribe(self.wake)
        self._threads = [threading.Thread(target=self._loop, name="branchflow-ticker", daemon=True)]
        engine = getattr(self.svc, "db_engine", None)
        if engine is not None and engine.dialect.name == "postgresql":
            self._threads.append(threading.Thread(target=listen, args=(engine, self.wake, self._stop),
                                                  name="branchflow-listen", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current wake's work."""
        wakeups = getattr(self.svc, "wakeups", None)
        if wakeups is not None:
            wakeups.unsubscribe(self.wake)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def wake(self, changes: set | None = None) -> None:
        """Look again now (a timer was armed or moved, a message queued, the clock travelled)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake during the work below makes the wait return at once
            try:
                wait = self.run_once()
            except Exception:  # the database is down, a bug: log, keep the ticker alive, try again soon
                log.exception("scheduler wake failed")
                wait = min(self.idle, 5.0)
            self._wake.wait(wait)

    # -- one wake -----------------------------------------------------------------------------------------

    def run_once(self) -> float:
        """Fire what is due, deliver messages, beat; return the seconds until the next look."""
        svc = self.svc
        self._heartbeat()
        result = timers.fire_due(svc)
        done = svc.clock.now()
        self.metrics.sweeps.inc()
        for row in result.fired:
            delay = max(0.0, (done - datetime.fromisoformat(row["due"])).total_seconds())
            self.metrics.fire_delay.observe(delay)
            log.info("timer fired: %s %s of instance %s, %.3f s after due", row["kind"], row["name"], row["instance"],
                     delay, extra={"timer": row["timer"], "instance": row["instance"], "element": row["element"],
                                   "kind": row["kind"], "due": row["due"], "delay_seconds": round(delay, 3)})
        self.metrics.fired.inc(len(result.fired))
        for failure in result.failed:
            self.metrics.fire_failures.inc(len(failure["timers"]))
            log.error("timers failed and parked for an admin: instance %s: %s", failure["instance"], failure["error"],
                      extra={"instance": failure["instance"], "timers": failure["timers"]})
        if result.fired or result.failed or result.retry:
            log.info("timers fired=%d failed=%d retry=%d", len(result.fired), len(result.failed), len(result.retry))
        if svc.channels:
            sent = notify.drain(svc)
            for outcome in ("sent", "retry", "failed"):
                self.metrics.deliveries.labels(outcome).inc(len(getattr(sent, outcome)))
            if sent.sent or sent.failed or sent.retry:
                log.info("outbox sent=%d retry=%d failed=%d", len(sent.sent), len(sent.retry), len(sent.failed))
        return self._plan()

    def _plan(self) -> float:
        """Seconds until the earliest of: the next unfired timer's due instant, the next message retry, and
        ``idle`` (the heartbeat, and a safety net should a wake-up be missed)."""
        svc = self.svc
        now = svc.clock.now()
        with svc.uow() as uow:
            due = uow.ops.next_timer_due()
            retry = uow.ops.next_outbox_attempt(sorted(svc.channels))
        wait, reason = self.idle, "idle"
        for when, why in ((due, "timer"), (retry, "outbox")):
            if when is not None and (when - now).total_seconds() < wait:
                # a hair after the instant: a timer is due once its instant has passed
                wait, reason = max(0.001, (when - now).total_seconds() + 0.001), why
        if due is not None and due < now:  # due, yet this wake's sweep left it (locked, failing for a passing
            wait, reason = min(self.idle, RETRY_PAUSE), "retry"  # reason): not a busy loop on the database
        self.next_wake, self.next_reason = now + timedelta(seconds=wait), reason
        return wait

    def _heartbeat(self) -> None:
        if time.monotonic() - self._last_beat >= min(self.idle, 10.0) / 2:
            ops.beat(self.svc, self.name, os.getpid())
            self._last_beat = time.monotonic()


def start_ticker(svc: Services, seconds: float) -> "Scheduler":
    """Start the ticker (longest sleep ``seconds``) and the periodic jobs; ``.shutdown()`` stops both."""
    return Scheduler(svc, seconds).start()


class Scheduler:
    """The ticker plus APScheduler's periodic jobs, started and stopped together."""

    def __init__(self, svc: Services, idle: float):
        self.ticker = Ticker(svc, idle)
        self.jobs = BackgroundScheduler(timezone="UTC")
        self.jobs.add_job(lambda: idempotency.purge(svc), "interval", minutes=10, id="branchflow-idempotency",
                          max_instances=1, coalesce=True)
        if svc.settings.audit_key is not None:
            def checkpoint():
                line = checkpoints.make(svc)
                if line is not None:
                    log.info("audit checkpoint %d signed over %d instance(s)", line["seq"], line["size"])

            self.jobs.add_job(checkpoint, "interval", minutes=svc.settings.checkpoint_minutes,
                              id="branchflow-checkpoints", max_instances=1, coalesce=True)

        if svc.settings.duty_calendar_minutes > 0:
            def duty_calendar():
                claiming.open_due(svc)

            self.jobs.add_job(duty_calendar, "interval", minutes=svc.settings.duty_calendar_minutes,
                              next_run_time=datetime.now(timezone.utc), id="branchflow-duty-calendar",
                              max_instances=1, coalesce=True)

    def start(self) -> "Scheduler":
        """Start both."""
        self.ticker.start()
        self.jobs.start()
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Stop both (the ticker finishes its current wake)."""
        self.jobs.shutdown(wait=wait)
        self.ticker.stop()

    def wake(self) -> None:
        """Make the ticker look again now."""
        self.ticker.wake()
