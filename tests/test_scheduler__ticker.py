"""The ticker fires timers at their due instant (not on a 30-second poll), wakes when a commit arms a timer,
says it is alive, and logs what it fired."""
from __future__ import annotations

import io
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest

from service.config import configure_logging
from service.domain.clock import Clock
from service.scheduler import Ticker
from scenarios import REQUEST

SEC_SB = "sec_sb"


def start_request(api) -> str:
    r = api.post("/api/instances", SEC_SB, json={"process": "resource_request", "variables": REQUEST})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def timers_of(api, iid):
    with api.svc.uow() as uow:
        from service.store.models import Timer

        return sorted(uow.session.query(Timer).filter_by(instance_id=iid), key=lambda t: t.due_at)


def wait_until(condition, timeout=10.0):
    """Poll ``condition`` (the ticker is a real thread) until it holds or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def ticker(api):
    t = Ticker(api.svc, idle=3600)
    yield t
    t.stop()


def test_the_next_look_is_the_earliest_due_instant_not_a_fixed_poll(api, ticker):
    assert ticker._plan() == 3600 and ticker.next_reason == "idle"
    iid = start_request(api)
    first = timers_of(api, iid)[0]
    api.svc.clock.set(first.due_at - timedelta(seconds=2))
    assert ticker._plan() == pytest.approx(2.001) and ticker.next_reason == "timer"
    assert ticker.next_wake == first.due_at + timedelta(milliseconds=1)
    api.svc.clock.set(first.due_at)  # a timer is due once its instant has passed (as SpiffWorkflow fires it)
    ticker.run_once()
    assert [t.status for t in timers_of(api, iid)][0] == "pending"
    api.svc.clock.set(first.due_at + timedelta(milliseconds=1))
    ticker.run_once()
    assert [t.status for t in timers_of(api, iid)][0] == "fired"


def test_a_commit_that_arms_a_timer_wakes_the_ticker_and_travel_fires_it(api, ticker):
    ticker.start()
    assert wait_until(lambda: ticker.next_wake is not None)  # the first look, then a sleep of an hour
    looks = ticker.metrics.sweeps._value.get()
    iid = start_request(api)  # arms its reminder and escalations: the ticker looks again at once
    assert wait_until(lambda: ticker.metrics.sweeps._value.get() > looks)
    first = timers_of(api, iid)[0]
    assert ticker.next_wake is not None and ticker.next_reason == "idle"  # days away: the longest sleep
    api.svc.clock.set(first.due_at + timedelta(seconds=1))
    ticker.wake()  # what a real clock does by itself; tests travel
    assert wait_until(lambda: timers_of(api, iid)[0].status == "fired")


def test_a_timer_fires_within_a_second_of_its_due_instant(api):
    """Real time: the ticker sleeps until the due instant (the clock runs, offset to just before it)."""
    iid = start_request(api)
    due = timers_of(api, iid)[0].due_at

    class Running(Clock):
        offset = due - timedelta(seconds=0.4) - datetime.now(timezone.utc)

        def now(self):
            return datetime.now(timezone.utc) + self.offset

    api.svc.clock = Running()
    ticker = Ticker(api.svc, idle=30).start()
    try:
        assert wait_until(lambda: timers_of(api, iid)[0].status == "fired", timeout=5)
        delay = ticker.metrics.fire_delay._sum.get()
        assert 0 <= delay < 1.0, delay
    finally:
        ticker.stop()


def test_the_ticker_beats_and_logs_each_timer_it_fired(api, ticker):
    stream = io.StringIO()
    handler = configure_logging("INFO", "json", stream)
    try:
        iid = start_request(api)
        first = timers_of(api, iid)[0]
        api.svc.clock.set(first.due_at + timedelta(seconds=3))
        ticker.run_once()
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    fired = [e for e in lines if e["message"].startswith("timer fired")]
    assert [(e["timer"], e["instance"], e["kind"]) for e in fired] == [(first.id, iid, first.kind)]
    assert fired[0]["delay_seconds"] == pytest.approx(3.0, abs=0.01) and fired[0]["logger"] == "service.scheduler"
    with api.svc.uow() as uow:
        assert uow.ops.last_beat("scheduler") is not None


def test_a_timer_left_due_is_retried_after_a_pause_not_in_a_busy_loop(api, ticker, monkeypatch):
    from service.flows import timers

    iid = start_request(api)
    first = timers_of(api, iid)[0]
    api.svc.clock.set(first.due_at + timedelta(seconds=5))
    monkeypatch.setattr(timers, "fire_due", lambda svc, now=None: timers.SweepResult(retry=[iid]))
    assert ticker.run_once() == 1.0 and ticker.next_reason == "retry"


def test_a_sweep_at_the_very_due_instant_leaves_the_timer_alone_instead_of_failing_it(api):
    """SpiffWorkflow fires a timer once its instant has passed; a sweep at the instant itself used to mark the
    row fired, the engine did not fire it, and the projection's insert of the still-waiting timer failed
    (three "passing" retries, left for the next sweep) — `timers fire --now <a due instant>` said so."""
    from service.flows.timers import fire_due

    iid = start_request(api)
    first = timers_of(api, iid)[0]
    at_instant = fire_due(api.svc, first.due_at)
    assert (at_instant.fired, at_instant.failed, at_instant.retry) == ([], [], [])
    after = fire_due(api.svc, first.due_at + timedelta(microseconds=1))
    assert [f["timer"] for f in after.fired] == [first.id]


@pytest.mark.skipif(not __import__("conftest").PG_ADMIN_URL, reason="PostgreSQL NOTIFY: the PostgreSQL pass only")
def test_a_commit_in_another_process_wakes_the_scheduler_through_postgresql(api):
    """The scheduler process sleeps an hour; a web process's commit that arms a due timer wakes it by NOTIFY."""
    import os
    import signal

    from scenarios import cli

    from scenarios import _free_port

    url = api.svc.db_engine.url.render_as_string(hide_password=False)
    port = _free_port()
    # its clock stands ten days later, so the timers a new request arms are due for it at once
    scheduler = cli(url, "scheduler", "--tick", "3600", "--metrics", f"127.0.0.1:{port}")
    try:
        assert wait_until(lambda: _sweeps(port) >= 1, timeout=60)  # it has looked once and sleeps an hour
        iid = start_request(api)
        assert wait_until(lambda: timers_of(api, iid)[0].status == "fired", timeout=20)
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        scheduler.wait(timeout=30)


def _sweeps(port: int) -> float:
    import re
    import urllib.request

    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return 0
    found = re.search(r"^branchflow_scheduler_sweeps_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0
