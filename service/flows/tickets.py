"""Rectification tickets (问题清单销号制): each ticket is one ``rectification`` instance; lists and counts."""
from __future__ import annotations

from ..domain.errors import ValidationFailed
from ..domain.status import InstanceStatus
from ..store.models import Instance
from ..store.uow import UnitOfWork
from .actors import Actor
from .context import Services

PROCESS = "rectification"
SOURCES = ("inspection", "diagnosis", "assessment", "problem_list", "acceptance")
STATUSES = ("open", "closed", "overdue")


def ticket_view(inst: Instance, overdue: bool, branches: dict[str, str]) -> dict:
    """A ticket as the API shows it (``branches``: code → name)."""
    s = inst.data or {}
    return {"id": inst.id, "branch": inst.branch, "branch_name": branches.get(inst.branch, inst.branch),
            "title": s.get("title"), "description": s.get("description"), "suggestion": s.get("suggestion"),
            "source": s.get("source"), "source_instance": s.get("source_instance"), "deadline": s.get("rectify_by"),
            "status": "closed" if inst.status == InstanceStatus.COMPLETED else ("overdue" if overdue else "open"),
            "evidence_note": ((s.get("submitted") or {}).get("evidence") or {}).get("description"),
            "sent_back_count": s.get("sent_back_count", 0), "opened_at": inst.created_at,
            "closed_at": inst.updated_at if inst.status == InstanceStatus.COMPLETED else None}


def list_tickets(svc: Services, uow: UnitOfWork, actor: Actor, *, branch: str | None = None, status: str | None = None,
                 source: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], dict]:
    """Tickets the actor may see (company-wide roles: all; branch roles: their branches), newest first,
    with the counts of the filtered set: total, open and overdue."""
    names = uow.org.branch_names()
    if branch is not None and branch not in names:
        raise ValidationFailed(f"unknown branch {branch!r}", field="branch")
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status is one of {', '.join(STATUSES)}", field="status")
    if source is not None and source not in SOURCES:
        raise ValidationFailed(f"source is one of {', '.join(SOURCES)}", field="source")
    visible = None if actor.company_wide else actor.home_branches()
    rows, counts = uow.queries.tickets(PROCESS, branches=visible, branch=branch, status=status, source=source,
                               now=svc.clock.now(), limit=max(1, min(limit, svc.settings.max_page)),
                               offset=max(0, offset))
    return [ticket_view(inst, overdue, names) for inst, overdue in rows], counts
