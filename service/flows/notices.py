"""Notices of new 待办 and each person's notification choices.

A new inbox row is handed here by the unit of work just before the transaction that made it commits
(``store.observed``), so the notice is queued with the task or not at all. Who gets it: the task's
assignee, else the active holders of its role on its branch — each on the channels they chose for new
tasks (none unless they chose, or the deployment set ``BRANCHFLOW_NEW_TASK_CHANNELS``)."""
from __future__ import annotations

import re

from ..domain.calendar import china_minute
from ..domain.errors import ValidationFailed
from ..store.models import InboxTask
from ..store.ops_models import NotifyPrefs
from . import flags, notify
from .actors import Actor
from .context import Services

#: every channel a person may choose, with the word pages show for it
CHANNELS = {"email": "电子邮件", "webhook": "Webhook", "wecom": "企业微信", "dingtalk": "钉钉"}
_MOBILE = re.compile(r"^\+?[0-9]{5,20}$")


def _anyone_wants(svc: Services, uow) -> bool:
    """Could a new task reach anyone's new-待办 channel? The deployment's default, or somebody's choice
    (``flags``: not a query per step)."""
    return bool(svc.settings.new_task_channels) or flags.flag(svc, "new_task_notices",
                                                             uow.ops.anyone_wants_new_task_notices)


def tasks_arrived(svc: Services, uow, rows: list[InboxTask]) -> int:
    """Queue a notice of each new task for the people it reached who want one; how many were queued."""
    if not _anyone_wants(svc, uow):  # the common case: nobody chose new-task notices, no query per step
        return 0
    titles = uow.ops.instance_titles([r.instance_id for r in rows])
    count = 0
    for row in rows:
        if row.assignee:  # a personal task reaches its assignee only (as its reminders do)
            user = uow.identity.active_user(row.assignee)
            users = [user] if user is not None else []
        else:
            users = uow.identity.users_with(row.role, row.branch)
        if not users:
            continue
        due = f"，请于 {china_minute(row.due_at)} 前办理" if row.due_at else ""
        count += notify.enqueue(svc, uow, users, f"【新待办】{row.name}",
                                f"{titles.get(row.instance_id, '')}：任务「{row.name}」已到达您的待办{due}。",
                                instance_id=row.instance_id, task_id=row.id, at=row.created_at or svc.clock.now(),
                                new_task=True)
    return count


def choices(svc: Services, uow, actor: Actor) -> dict:
    """The caller's notification choices, the channels they resolve to, and what this deployment can send."""
    prefs = uow.ops.prefs(actor.name)
    user = uow.identity.user(actor.name)
    return {"channels": list(notify.channels_for(svc, prefs)),
            "channels_default": prefs is None or prefs.channels is None,
            "new_task_channels": list(notify.channels_for(svc, prefs, new_task=True)),
            "new_task_default": prefs is None or prefs.new_task_channels is None,
            "mobile": prefs.mobile if prefs is not None else None,
            "email": user.email if user is not None else None,
            "available": sorted(svc.channels), "known": list(CHANNELS)}


def choose(svc: Services, uow, actor: Actor, body: dict) -> dict:
    """Change the caller's choices: ``channels`` / ``new_task_channels`` (a list, or null for the default)
    and ``mobile`` (what group robots @-mention); fields left out keep their value. Committed."""
    for name in ("channels", "new_task_channels"):
        unknown = [c for c in body.get(name) or [] if c not in CHANNELS]
        if unknown:
            raise ValidationFailed(f"unknown channel {unknown[0]!r} (one of {', '.join(CHANNELS)})", field=name)
    mobile = body.get("mobile")
    if mobile is not None and mobile != "" and not _MOBILE.match(mobile):
        raise ValidationFailed("a mobile number is 5–20 digits, optionally after +", field="mobile")
    if actor.is_system:
        raise ValidationFailed("the service has no notification choices", field="channels")
    prefs = uow.ops.prefs(actor.name)
    if prefs is None:
        prefs = NotifyPrefs(username=actor.name, updated_at=svc.clock.now())
        uow.add(prefs)
    for name in ("channels", "new_task_channels"):
        if name in body:
            prefs.__setattr__(name, None if body[name] is None else list(dict.fromkeys(body[name])))
    if "mobile" in body:
        prefs.mobile = mobile or None
    prefs.updated_at = svc.clock.now()
    uow.commit()
    flags.forget(svc, "new_task_notices")  # this worker counts the new choice at once
    return choices(svc, uow, actor)
