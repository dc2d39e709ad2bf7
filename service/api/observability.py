"""Operations over HTTP: ``/healthz``, ``/readyz``, ``/metrics``, request ids and one JSON log line per request.

Every request gets an id: the caller's ``X-Request-ID`` when it is a sane token (1–128 of letters, digits
and ``._:-``), else a new one; it is echoed in the response's ``X-Request-ID`` and carried by every log
record made while the request runs (``request_id``), so a line a user quotes finds the request's own
lines. When the request ends, one line says who (``user``), what (``method``, ``route``, ``path``), how
it went (``status``) and how long it took (``duration_ms``), and the route's latency goes to the
``branchflow_http_request_duration_seconds`` histogram (label: the route pattern, never the raw path).
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from ..flows import ops

log = logging.getLogger("branchflow.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_FACTORY_INSTALLED = False


def request_id() -> str | None:
    """The current request's id (None outside a request, or with observability off)."""
    return g.get("request_id") if has_request_context() else None


def _install_record_factory() -> None:
    """Every log record made inside a request carries its ``request_id`` (once per process)."""
    global _FACTORY_INSTALLED
    if _FACTORY_INSTALLED:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if has_request_context():
            rid = g.get("request_id")
            if rid is not None and not hasattr(record, "request_id"):
                record.request_id = rid
        return record

    logging.setLogRecordFactory(factory)
    _FACTORY_INSTALLED = True


def install(app: Flask, metrics, heartbeat_max_age: float, enabled: bool = True) -> None:
    """Health and readiness endpoints always; request ids, access lines and metrics when ``enabled``."""
    if metrics is None:
        from ..scheduler.metrics import Metrics

        metrics = Metrics()
    app.extensions["branchflow_metrics"] = metrics

    @app.get("/healthz")
    def healthz():
        """The process answers (no database call: a liveness probe must not fail on a slow database)."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """Database reachable, schema current, a scheduler heartbeat recent: 200, else 503 saying which."""
        report = ops.readiness(current_app.extensions["branchflow"], heartbeat_max_age)
        response = jsonify(report)
        response.status_code = 200 if report["ready"] else 503
        return response

    @app.get("/metrics")
    def prometheus():
        """Prometheus text exposition: this process's series (all workers' under gunicorn) and the backlog."""
        return Response(metrics.exposition(), mimetype=CONTENT_TYPE_LATEST)

    if not enabled:
        return
    _install_record_factory()
    histogram = metrics.http

    @app.before_request
    def _begin():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _end(response):
        rid = g.get("request_id")
        if rid is None:  # a response made before our first hook ran
            return response
        response.headers["X-Request-ID"] = rid
        seconds = time.perf_counter() - g.request_started
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        if route != "/metrics":
            histogram.labels(request.method, route, str(response.status_code)).observe(seconds)
        who = g.get("actor")
        status = response.status_code
        log.log(logging.ERROR if status == 500 else logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %d", request.method, route, status,
                extra={"user": who.name if who is not None else None, "method": request.method, "route": route,
                       "path": request.path, "status": status,
                       "duration_ms": round(seconds * 1000, 3), "remote_addr": request.remote_addr})
        return response
