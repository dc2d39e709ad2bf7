"""Operations: is the service alive and ready, what is waiting, what failed, and putting messages back."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from ..domain.errors import NotFound
from ..domain.permissions import OPERATE
from ..store import migrate
from .actors import Actor
from .context import Services

log = logging.getLogger(__name__)


def wall_now() -> datetime:
    """The machine's time (heartbeats and readiness are about real time even when the clock is frozen)."""
    return datetime.now(timezone.utc)


def beat(svc: Services, name: str, pid: int, at: datetime | None = None) -> None:
    """Record that scheduler process ``name`` is alive (readiness reads the newest beat)."""
    with svc.uow() as uow:
        uow.ops.beat(name, "scheduler", at or wall_now(), pid)
        uow.commit()


def readiness(svc: Services, heartbeat_max_age: float, now: datetime | None = None) -> dict:
    """``/readyz``: the database answers, its schema is the code's, and a scheduler beat recently.
    ``{"ready": bool, "checks": {name: {"ok": bool, ...}}}``; never raises for a database fault."""
    now = now or wall_now()
    try:
        at, want = migrate.current(svc.db_engine), migrate.head()
        with svc.uow() as uow:
            last = uow.ops.last_beat("scheduler")
    except Exception as exc:  # unreachable, refused, dropped: not ready, and say why
        return {"ready": False, "checks": {"database": {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}}}
    age = (now - last).total_seconds() if last else None
    checks = {"database": {"ok": True},
              "schema": {"ok": at == want, "at": at, "code": want},
              "scheduler": {"ok": age is not None and age <= heartbeat_max_age,
                            "last_heartbeat": last.isoformat() if last else None,
                            "age_seconds": round(age, 3) if age is not None else None,
                            "max_age_seconds": heartbeat_max_age}}
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


def backlog(svc: Services, uow=None, now: datetime | None = None) -> dict:
    """Every figure an operator watches: open and overdue tasks, timers by status and due, the outbox by
    status, the scheduler's lag (how late the earliest unfired due timer is) and heartbeat age. Read in
    ``uow`` (a request's), or in a transaction of its own."""
    now = now or svc.clock.now()
    if uow is None:
        with svc.uow() as own:
            return backlog(svc, own, now)
    b = uow.ops.backlog(now)
    earliest, beat_at = b.pop("earliest_unfired_due"), b.pop("scheduler_heartbeat")
    b["scheduler_lag_seconds"] = max(0.0, (now - earliest).total_seconds()) if earliest else 0.0
    b["next_timer_due"] = earliest
    b["scheduler_heartbeat"] = beat_at
    b["scheduler_heartbeat_age_seconds"] = (wall_now() - beat_at).total_seconds() if beat_at else None
    return b


def due_timers(svc: Services, now: datetime) -> list[dict]:
    """What a sweep at ``now`` would fire, without firing it (``branchflow timers fire --dry-run``): each
    unfired due timer with its instance; a timer of an instance that has ended would be cancelled."""
    with svc.uow() as uow:
        return [{"timer": t.id, "instance": i.id, "instance_title": i.title, "element": t.element, "name": t.name,
                 "kind": t.kind, "level": t.level, "due": t.due_at.isoformat(),
                 "would": "fire" if i.status == "running" else "cancel"} for t, i in uow.ops.due_timers(now)]


def status(svc: Services, uow, actor: Actor) -> dict:
    """The backlog for an admin (``GET /api/ops/status``, the 运维 page, ``branchflow ops status``)."""
    actor.require(OPERATE, "only an admin sees the operations status")
    return backlog(svc, uow)


def messages(svc: Services, uow, actor: Actor, status: str | None, limit: int = 50, offset: int = 0) -> dict:
    """Outbox messages (of ``status``), newest first, with their instance's title: what an admin checks when
    people say they were not told."""
    actor.require(OPERATE, "only an admin sees the outbox")
    rows, total = uow.ops.messages(status, limit, offset)
    titles = uow.ops.instance_titles([r.instance_id for r in rows if r.instance_id])
    return {"total": total, "items": [
        {"id": r.id, "recipient": r.recipient, "channel": r.channel, "status": r.status, "subject": r.subject,
         "attempts": r.attempts, "error": r.error, "created_at": r.created_at, "next_attempt_at": r.next_attempt_at,
         "sent_at": r.sent_at, "instance_id": r.instance_id, "instance_title": titles.get(r.instance_id),
         "task_id": r.task_id} for r in rows]}


def requeue_messages(svc: Services, uow, actor: Actor, ids: list[int] | None) -> list[int]:
    """Put failed messages back in the queue (all failed ones when ``ids`` is None), due now with fresh
    attempts; an id naming no failed message is a 404 and nothing is re-queued. Committed."""
    actor.require(OPERATE, "only an admin re-queues messages")
    done = uow.ops.requeue_messages(ids, svc.clock.now())
    unknown = sorted(set(ids or ()) - set(done))
    if unknown:
        raise NotFound(f"no failed message {unknown[0]}", field="ids")
    if hasattr(uow, "touch"):
        uow.touch("outbox")
    uow.commit()
    log.info("outbox messages re-queued by %s: %s", actor.name, ", ".join(map(str, done)))
    return done
