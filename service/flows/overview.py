"""Read-side use cases the pages need beside the API's: where an instance stands (for its diagram), what
a task asks of its holder, inbox counts, and deadlines that are still provisional."""
from __future__ import annotations

from ..domain.roles import ROLE_LABELS
from ..domain.status import InstanceStatus
from ..engine.specs import decision_tables
from ..store.uow import UnitOfWork
from . import audit, instances, tickets
from .actors import Actor
from .context import Services


def process_names(svc: Services) -> dict[str, str]:
    """Process id → Chinese name, for every deployed process."""
    return {pid: instances.process_name(svc.bundles.current(pid)) for pid in svc.bundles.processes()}


def task_guide(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str, element: str) -> dict:
    """What a task is about: its process, branch and the step's instructions (the diagram's documentation)."""
    names = uow.org.branch_names()
    inst = instances.get(uow, actor, instance_id)
    bundle = instances.bundle_of(svc, uow, inst)
    return {"process_name": instances.process_name(bundle), "branch_name": names.get(inst.branch, ""),
            "instructions": bundle.documentation(element), "instance": inst.id, "title": inst.title,
            "labels": field_labels(bundle, names)}


def field_labels(bundle, names: dict[str, str]) -> dict:
    """Chinese titles of every form field of a process, and Chinese labels of enum values, so the data an
    instance has gathered reads in Chinese (keys without a title are the process's own counters)."""
    titles, values = {}, dict(names)

    def walk(schema: dict) -> None:
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict):
                titles.setdefault(name, prop.get("title", name))
                values.update({str(k): v for k, v in (prop.get("x-enum-labels") or {}).items()})
                walk(prop)
                if isinstance(prop.get("items"), dict):
                    values.update({str(k): v for k, v in (prop["items"].get("x-enum-labels") or {}).items()})
                    walk(prop["items"])

    for form in bundle.forms.values():
        walk(form)
    titles.update({"outcome_label": "结果", "score": "得分"})
    titles.pop("outcome", None)
    return {"titles": titles, "enums": values}


def overview(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str) -> dict:
    """An instance for its page: fields, the pinned diagram, elements passed / open / overdue, open tasks,
    children and the tickets it opened."""
    names = uow.org.branch_names()
    inst = instances.get(uow, actor, instance_id)
    bundle = instances.bundle_of(svc, uow, inst)
    now = svc.clock.now()
    open_rows = uow.inbox.open_of(inst.id)
    count = inst.version  # one event per version: the history's length without reading it
    passed = audit.state_at(svc, uow, actor, inst.id, count)["passed"] if count else []
    kids = uow.instances.children_of(inst.id)
    return {
        "id": inst.id, "title": inst.title, "process_id": inst.process_id, "process_name": instances.process_name(bundle),
        "branch": inst.branch, "branch_name": names.get(inst.branch, ""), "status": inst.status,
        "outcome": inst.outcome, "outcome_label": (inst.data or {}).get("outcome_label"), "started_by": inst.started_by,
        "created_at": inst.created_at, "updated_at": inst.updated_at, "parent_id": inst.parent_id,
        "spec_sha": inst.spec_sha, "diagram": bundle.bpmn_xml, "rule_tables": decision_tables(bundle),
        "data": inst.data or {}, "events": count,
        "passed": passed, "labels": field_labels(bundle, names),
        "started_by_name": people(uow, [inst.started_by])[inst.started_by],
        "open": [r.element for r in open_rows if r.kind == "user"],
        "overdue": [r.element for r in open_rows if r.kind == "user" and r.due_at is not None and r.due_at < now],
        "open_tasks": [{"id": r.id, "name": r.name, "role_label": ROLE_LABELS.get(r.role, r.role), "kind": r.kind,
                        "branch_name": names.get(r.branch, ""), "due_at": r.due_at, "provisional": r.provisional,
                        "overdue": r.due_at is not None and r.due_at < now, "escalation_level": r.escalation_level,
                        "claimed_by": r.claimed_by, "assignee": r.assignee} for r in open_rows],
        "children": [{"id": c.id, "title": c.title, "process_id": c.process_id, "status": c.status,
                      "outcome_label": (c.data or {}).get("outcome_label")} for c in kids if c.process_id != "rectification"],
        "tickets": [tickets.ticket_view(c, False, names) for c in kids if c.process_id == "rectification"],
        "running": inst.status == InstanceStatus.RUNNING,
    }


def inbox_counts(svc: Services, uow: UnitOfWork, actor: Actor, total: int | None = None) -> dict:
    """How many open tasks the actor has, and how many of them are overdue (index counts only; pass the
    unfiltered inbox's ``total`` when a page already has it)."""
    if total is None:
        _rows, total = uow.queries.inbox_page(actor.grants, username=actor.names, rows=False)
    _rows, late = uow.queries.inbox_page(actor.grants, username=actor.names, overdue_at=svc.clock.now(), rows=False)
    return {"open": total, "overdue": late}


def provisional(svc: Services, uow: UnitOfWork, actor: Actor, limit: int = 50) -> list[dict]:
    """Open tasks whose deadline lies in a year without an official schedule (it moves when one is loaded)."""
    names = uow.org.branch_names()
    rows, _total = uow.queries.inbox_page(actor.grants, username=actor.names, process=None, branch=None,
                                          overdue_at=None, limit=500, offset=0)
    return [{"id": r.id, "name": r.name, "due_at": r.due_at, "branch_name": names.get(r.branch, "")}
            for r in rows if r.provisional][:limit]


def people(uow: UnitOfWork, usernames) -> dict[str, str]:
    """Username → the person's Chinese name (the service itself is 系统), for histories and headers."""
    names = {"system": "系统"}
    for name in set(usernames) - set(names):
        user = uow.identity.user(name)
        names[name] = user.display_name if user else name
    return names
