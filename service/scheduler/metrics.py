"""Prometheus metrics (prometheus-client): what this process measures (request latency, firing delay,
sweeps, deliveries) and the backlog read from the database at each scrape, so every process's ``/metrics``
tells the same figures of the shared database.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn: deploy/gunicorn.conf.py) the per-process series of every
worker are summed from that directory; without it, this process's own registry answers.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..flows import ops

log = logging.getLogger(__name__)
disable_created_metrics()  # no "_created" twin of every counter: Grafana reads the counters themselves

#: latency buckets of HTTP requests (seconds): the inbox answers in milliseconds, a handbook PDF in seconds
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: how late a timer fired after its due instant (seconds)
DELAY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class Metrics:
    """The series of one process, in its own registry (several apps in one test process never clash)."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http = Histogram("branchflow_http_request_duration_seconds", "HTTP request latency by route",
                              ["method", "route", "status"], buckets=HTTP_BUCKETS, registry=r)
        self.fire_delay = Histogram("branchflow_timer_fire_delay_seconds",
                                    "How long after its due instant a timer fired (this scheduler)",
                                    buckets=DELAY_BUCKETS, registry=r)
        self.sweeps = Counter("branchflow_scheduler_sweeps", "Wake-ups of this scheduler that swept timers", registry=r)
        self.fired = Counter("branchflow_scheduler_timers_fired", "Timers this scheduler fired", registry=r)
        self.fire_failures = Counter("branchflow_scheduler_timers_failed", "Timers this scheduler parked as failed",
                                     registry=r)
        self.deliveries = Counter("branchflow_outbox_deliveries", "Delivery attempts of outbox messages by result",
                                  ["result"], registry=r)
        self._backlog: Collector | None = None

    def watch(self, svc, cache_seconds: float = 5.0) -> None:
        """Add the database backlog of ``svc`` to every scrape (read at most every ``cache_seconds``)."""
        self._backlog = BacklogCollector(svc, cache_seconds)
        self.registry.register(self._backlog)

    def exposition(self) -> bytes:
        """The text a Prometheus scrape gets."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        if self._backlog is not None:
            registry.register(self._backlog)
        return generate_latest(registry)


class BacklogCollector(Collector):
    """Gauges read from the database at scrape time: the same in every process."""

    def __init__(self, svc, cache_seconds: float):
        self._svc, self._cache_seconds = svc, cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, dict | None] = (-1e18, None)

    def describe(self):
        return []  # nothing to read at registration: the database is asked at scrape time only

    def _read(self) -> dict | None:
        with self._lock:
            at, value = self._cached
            if time.monotonic() - at < self._cache_seconds:
                return value
            try:
                value = ops.backlog(self._svc)
            except Exception as exc:  # the scrape still answers: the database is down, say so
                log.warning("metrics could not read the backlog: %s", exc)
                value = None
            self._cached = (time.monotonic(), value)
            return value

    def collect(self):
        b = self._read()
        up = GaugeMetricFamily("branchflow_database_up", "1 when the database answered the last backlog read")
        up.add_metric([], 1 if b is not None else 0)
        yield up
        if b is None:
            return
        for name, doc, value in (
                ("branchflow_tasks_open", "Open user tasks in inboxes", b["tasks_open"]),
                ("branchflow_tasks_overdue", "Open user tasks past their due time", b["tasks_overdue"]),
                ("branchflow_escalations_open", "Open escalations (督办) waiting for their holder", b["escalations_open"]),
                ("branchflow_timers_due", "Timers due now that have not fired yet", b["timers_due"]),
                ("branchflow_scheduler_lag_seconds", "How late the earliest unfired due timer is", b["scheduler_lag_seconds"])):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], value)
            yield gauge
        timers = GaugeMetricFamily("branchflow_timers", "Timer rows by status", labels=["status"])
        for status in ("pending", "fired", "failed", "cancelled"):
            timers.add_metric([status], b["timers"].get(status, 0))
        yield timers
        outbox = GaugeMetricFamily("branchflow_outbox_messages", "Outbox messages by status", labels=["status"])
        for status in ("pending", "sending", "sent", "failed"):
            outbox.add_metric([status], b["outbox"].get(status, 0))
        yield outbox
        age = b["scheduler_heartbeat_age_seconds"]
        if age is not None:
            gauge = GaugeMetricFamily("branchflow_scheduler_heartbeat_age_seconds",
                                      "Seconds since a scheduler process last said it is alive")
            gauge.add_metric([], age)
            yield gauge
