"""Use cases around instances: start, apply one step under an event, keep inbox/timers/children in sync; the
processes an actor may start and the instances they started."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..domain.roles import ROLE_LABELS, may_act, role_in_scope
from ..domain.status import ONE_RUNNING, InstanceStatus
from ..engine.determinism import seed_for
from ..engine.runner import Snapshot
from ..engine.specs import SpecBundle
from ..store.models import Instance, Spec
from ..store.uow import UnitOfWork
from . import event_types, events, forms, projections
from .actors import Actor
from .context import Services

SYSTEM = Actor.system()


def bundle_of(svc: Services, uow: UnitOfWork, inst: Instance) -> SpecBundle:
    """The spec bundle ``inst`` pinned."""

    def load():
        spec = uow.instances.spec(inst.spec_sha)
        return spec.process_id, spec.bpmn_xml, spec.forms

    return svc.bundles.pinned(inst.spec_sha, load)


def process_name(bundle: SpecBundle) -> str:
    """The Chinese name of a bundle's process."""
    return bundle.spec.description or bundle.process_id


def _title(bundle: SpecBundle, variables: dict, branches: dict[str, str]) -> str:
    parts = [process_name(bundle)]
    if variables.get("branch") in branches:
        parts.append(branches[variables["branch"]])
    if variables.get("month"):
        parts.append(f"第{variables['month']}月")
    return " · ".join(parts)


def start(svc: Services, uow: UnitOfWork, actor: Actor, process: str, variables: object,
          *, parent: Instance | None = None, parent_wait: str | None = None, via_use_case: bool = False,
          dedup_key: str | None = None, duplicate: str | None = None, at: datetime | None = None) -> Instance:
    """Start ``process`` with ``variables`` validated against its start form; staged, not committed.

    ``dedup_key`` is the domain's own uniqueness of the instance (one rating per branch and quarter): a
    second start with the same key, even one racing in another worker, is a Conflict saying ``duplicate``.
    ``at`` is the instant of the step that starts a child (a timer sweep's ``--now``); default: the clock.

    A start form with ``x-start-via`` names the use case that starts the process (it checks more than
    the form can say, such as an inspection team's conflicts of interest); only that use case may."""
    if process not in svc.bundles.processes():
        raise ValidationFailed(f"unknown process {process!r}", field="process")
    bundle = svc.bundles.current(process)
    start_form = bundle.forms.get("start")
    if not isinstance(variables, dict):
        raise ValidationFailed("variables must be a JSON object", field="variables", message_zh="表单内容格式不正确")
    if start_form is None:
        raise ValidationFailed(f"process {process!r} has no start form", field="process")
    if start_form.get("x-start-via") and not via_use_case and not actor.is_system:
        raise ValidationFailed(f"start {process} with {start_form['x-start-via']}", field="process")
    if parent is None:
        roles = start_form.get("x-start-roles", [])
        branch = variables.get("branch")
        if not actor.is_system and not any(may_act(actor.grants, r, branch) for r in roles):
            raise Forbidden(f"your roles may not start {process}" + (f" for branch {branch}" if branch else ""))
    values = dict(start_form.get("x-defaults", {}))
    names = branch_names(uow) if forms.uses_choices(start_form) or "branch" in variables else {}
    forms.validate(forms.with_choices(start_form, names), variables, prefix="variables")
    values.update(variables)
    if "branch" in values and uow.identity.branch(values["branch"]) is None:
        raise ValidationFailed(f"unknown branch {values['branch']!r}", field="variables.branch", message_zh="没有这个支部")
    _check_refs(uow, start_form.get("x-instance-refs", {}), values)
    _check_people(uow, start_form.get("x-person-fields", {}), values)
    if start_form.get("x-one-running") and parent is None and dedup_key is None:
        scope = values.get(start_form["x-one-running"])
        dedup_key = f"{ONE_RUNNING}{process}/{scope}"
        duplicate = f"a {process} is already running for {scope}: one at a time"
    if uow.instances.spec(bundle.sha256) is None:  # two first starts at once both store it: the second insert is a no-op
        uow.instances.keep_spec(Spec(sha256=bundle.sha256, process_id=process, bpmn_xml=bundle.bpmn_xml, forms=bundle.stored_forms(),
                           created_at=svc.clock.now()))
    now = at or svc.clock.now()
    inst = Instance(id=str(uuid.uuid4()), process_id=process, spec_sha=bundle.sha256, state="", version=1,
                    status=InstanceStatus.RUNNING, head=events.GENESIS, branch=values.get("branch"), title=_title(bundle, values, names),
                    parent_id=parent.id if parent else None, parent_wait=parent_wait, data={},
                    started_by=actor.name, created_at=now, updated_at=now, dedup_key=dedup_key)
    # the instance's own fields are what its start gave; a default (``x-defaults``) is a field a step may set
    protect = sorted(k for k in values if k in variables or k not in start_form.get("x-defaults", {}))
    begun = event_types.Start(process, bundle.sha256, values, parent.id if parent is not None else None,
                              protect=protect)
    wf = begun.create(svc.engine, bundle, now, seed_for(inst.id, 1))
    inst.state = svc.engine.dump(wf)
    _keep_warm(svc, uow, inst, wf)
    uow.add(inst)
    try:
        uow.flush()
    except Conflict:
        if dedup_key is None:
            raise
        raise Conflict(duplicate or f"{dedup_key} exists already") from None
    events.append(uow, inst, 1, type=begun.type, actor=actor.name, role=actor.acting_role,
                  at=now, element=None, element_name=process_name(bundle),
                  data=dict(begun.data(), ctx=svc.calendars.context().to_dict()))
    projections.project(svc, uow, inst, bundle, wf, now, closed_by=actor.name)
    uow.flush()
    if parent is None:
        _check_reachable(uow, inst)
    return inst


def _check_people(uow: UnitOfWork, fields: dict, values: dict) -> None:
    """Fields that name a person (``x-person-fields``: field → role) must name an active account holding that
    role for the instance's branch (the pairing's helper: the account its helper tasks go to)."""
    for name, role in fields.items():
        if name not in values:
            continue
        if not uow.identity.holds(values[name], role, values.get("branch")):
            raise ValidationFailed(f"{values[name]!r} is no active account holding the role {role} for this branch",
                                   field=f"variables.{name}",
                                   message_zh=f"须为本支部的{ROLE_LABELS.get(role, role)}账号")


def _check_refs(uow: UnitOfWork, refs: dict, values: dict) -> None:
    """Fields that name another instance (``x-instance-refs``: field → process) must name a running
    instance of that process for the same branch; ``"*"`` accepts an instance of any process, finished or not
    (the diagnosis or assessment a ticket comes from)."""
    for name, process in refs.items():
        if name not in values:
            continue
        ref = uow.instances.get(values[name])
        # another branch's instance is answered like an unknown one: no existence oracle
        if ref is None or process != "*" and ref.process_id != process or ref.branch != values.get("branch"):
            raise ValidationFailed(f"no {process} instance {values[name]} of this branch", field=f"variables.{name}",
                                   message_zh="本支部没有这个流程")
        if process != "*" and ref.status != InstanceStatus.RUNNING:
            raise ValidationFailed(f"{process} {values[name]} is {ref.status}", field=f"variables.{name}",
                                   message_zh="该流程已结束")


@dataclass
class Entry:
    """One entry about to join an instance's history: what happened (a typed event), who did it, where."""

    event: event_types.EventType
    actor: Actor
    element: str | None = None
    element_name: str | None = None
    role: str | None = None


def apply_event(svc: Services, uow: UnitOfWork, inst: Instance, step: "Entry",
                at: datetime | None = None) -> Snapshot:
    """Load ``inst`` (or take its warm workflow), apply ``step.event`` to it, append the event, persist and
    sync; staged."""
    # no autoflush: an event noted just before (a claim, a decision) leaves the instance row modified, and
    # the step writes it once, at the end, checked against the version it was loaded with
    with uow.session.no_autoflush:
        bundle = bundle_of(svc, uow, inst)
        wf = svc.workflows.take(inst.id, inst.spec_sha, inst.state) or svc.engine.load(bundle, inst.state)
        seq = inst.version + 1
        at = at or svc.clock.now()
        result = step.event.apply(svc.engine, wf, at, seed_for(inst.id, seq))
        events.append(uow, inst, seq, type=step.event.type,
                      actor=step.actor.name, role=step.role or step.actor.acting_role, at=at,
                      element=step.element, element_name=step.element_name,
                      data=dict(step.event.data(), ctx=svc.calendars.context().to_dict()))
        inst.state = svc.engine.dump(wf)
        inst.version = seq
        inst.updated_at = at
        reset = step.event.type in ("send_back", "withdraw")  # result: the task made ready again
        snap = projections.project(svc, uow, inst, bundle, wf, at, closed_by=step.actor.name,
                                   completed=getattr(step.event, "task_id", None) if step.event.type == "complete" else None,
                                   reopened=result if reset else None, keep_history=step.event.type == "send_back")
        uow.save_instance(inst)
        _keep_warm(svc, uow, inst, wf)
        return snap


def _keep_warm(svc: Services, uow: UnitOfWork, inst: Instance, wf) -> None:
    """Hand the stepped workflow to the warm cache once its state is committed (``engine.cache``)."""
    iid, sha, state = inst.id, inst.spec_sha, inst.state
    uow.after_commit(lambda: svc.workflows.put(iid, sha, state, wf))


def note_event(uow: UnitOfWork, inst: Instance, step: "Entry", at: datetime) -> None:
    """Append an event that changes no workflow state (claim, escalation, assignment); bumps the version
    like any event."""
    events.note(uow, inst, type=step.event.type, actor=step.actor.name, role=step.role or step.actor.acting_role,
                at=at, element=step.element, element_name=step.element_name, data=step.event.data())


def _check_reachable(uow: UnitOfWork, inst: Instance) -> None:
    """Refuse a start whose first tasks nobody active could act on (they would sit in no inbox)."""
    missing = uow.queries.stranded(limit=1, instance_id=inst.id)
    if missing:
        row = missing[0][0]
        raise ValidationFailed(
            f"nobody active holds {role_in_scope(row.role, row.branch, branch_names(uow))}, so "
            f"「{row.name}」 would reach no one: ask an admin to grant the role, or the supervisor (党群部) to act",
            field="variables.branch" if row.branch else "process",
            message_zh=f"「{row.name}」目前没有在岗的{ROLE_LABELS.get(row.role, row.role)}办理，请联系系统管理员授权或党群部处理")


def get(uow: UnitOfWork, actor: Actor, instance_id: str) -> Instance:
    """The instance, if the actor may see it (company-wide roles see all, branch roles their branch, and
    people copied in on it)."""
    inst = uow.instances.get(instance_id)
    if inst is None or not (actor.sees_instance(inst.id, inst.branch) or uow.cc.has(inst.id, actor.name)):
        raise NotFound(f"no instance {instance_id}")  # a person copied in (抄送) reads it too
    return inst


def branch_names(uow: UnitOfWork) -> dict[str, str]:
    """The organisation's branches: code → Chinese name (what ``forms.presented`` labels branch choices with)."""
    return uow.org.branch_names()


def item(inst: Instance) -> dict:
    """An instance as lists show it (the items of ``GET /api/instances``)."""
    return {"id": inst.id, "process": inst.process_id, "title": inst.title, "branch": inst.branch,
            "status": inst.status, "outcome": inst.outcome, "version": inst.version, "spec_sha256": inst.spec_sha,
            "parent_id": inst.parent_id, "started_by": inst.started_by, "created_at": inst.created_at,
            "updated_at": inst.updated_at}


def started_by_me(svc: Services, uow: UnitOfWork, actor: Actor, *, limit: int, offset: int) -> tuple[list[dict], int]:
    """The instances the actor started (我发起的), newest first, with the total."""
    limit = max(1, min(limit, svc.settings.max_page))
    rows, total = uow.queries.instance_page(started_by=actor.name, limit=limit, offset=max(0, offset))
    return [item(r) for r in rows], total


def startable(svc: Services, uow: UnitOfWork, actor: Actor) -> list[dict]:
    """The processes the actor's roles may start (the deployed bundle's start form lists them in
    ``x-start-roles``), by Chinese name: ``{process, name, form, via}``. ``form`` is the start form as a page
    shows it; ``via`` is its ``x-start-via`` (the operation that starts it, with rules of its own) or None."""
    roles = {g.role for g in actor.grants}
    branches = None
    out = []
    for process in svc.bundles.processes():
        bundle = svc.bundles.current(process)
        form = bundle.forms.get("start")
        if form is None or not roles & set(form.get("x-start-roles", [])):
            continue
        if branches is None:
            branches = branch_names(uow)
        out.append({"process": process, "name": process_name(bundle), "form": forms.presented(form, branches),
                    "via": form.get("x-start-via")})
    return sorted(out, key=lambda p: (p["name"], p["process"]))
