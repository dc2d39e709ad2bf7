"""APScheduler wiring: a thin ticker that calls flows.timers.fire_due and drains the outbox; its job store
holds no truth."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from ..flows import checkpoints, idempotency, notify, timers
from ..flows.context import Services

log = logging.getLogger(__name__)


def start_ticker(svc: Services, seconds: float) -> BackgroundScheduler:
    """Start a background scheduler that sweeps due timers, then delivers queued messages, every ``seconds``."""
    scheduler = BackgroundScheduler(timezone="UTC")

    def tick():
        result = timers.fire_due(svc)
        if result.fired or result.failed:
            log.info("timers fired=%d failed=%d", len(result.fired), len(result.failed))
        idempotency.purge(svc)
        sent = notify.drain(svc)
        if sent.sent or sent.failed or sent.retry:
            log.info("outbox sent=%d retry=%d failed=%d", len(sent.sent), len(sent.retry), len(sent.failed))

    scheduler.add_job(tick, "interval", seconds=seconds, id="branchflow-timers", max_instances=1, coalesce=True)
    if svc.settings.audit_key is not None:
        def checkpoint():
            line = checkpoints.make(svc)
            if line is not None:
                log.info("audit checkpoint %d signed over %d instance(s)", line["seq"], line["size"])

        scheduler.add_job(checkpoint, "interval", minutes=svc.settings.checkpoint_minutes,
                          id="branchflow-checkpoints", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
