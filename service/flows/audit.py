"""Audit: an instance's history, its state replayed at any event, verification and a self-contained export.

Replay re-executes the pinned BPMN from the start with the recorded inputs, instants and seeds, and
with the deadline context (calendar years, close of business, escalation settings) each state event
recorded, so a later calendar load, configuration change or BPMN version never changes how an old
instance replays. Verification checks the hash chain, then that replay reproduces the stored state
byte for byte, and names the first event or field that differs.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, time

from ..domain.calendar import BUILTIN_YEARS, ScheduleError, WorkCalendar, YearSchedule
from ..domain.errors import BranchflowError, NotFound, ValidationFailed
from ..domain.roles import ROLE_LABELS
from ..engine.determinism import seed_for
from ..engine.runner import Engine
from ..engine.scripts import DeadlinePolicy
from ..engine.specs import SpecBundle, bundle_sha
from ..store.models import Instance
from ..store.uow import UnitOfWork
from . import checkpoints, event_types, events, instances, projections
from .actors import Actor
from .context import Services
from .deadlines import DeadlineContext

FORMAT = "branchflow-audit/1"
_INSTANCE_FIELDS = ("id", "process_id", "spec_sha", "state", "version", "head", "status", "outcome", "branch",
                    "title", "parent_id")


@dataclass
class Problem:
    """One finding: the event (``seq``) or field where the record stops matching."""

    seq: int | None
    field: str
    message: str


@dataclass
class Report:
    """The outcome of verifying one instance."""

    instance: str
    ok: bool
    events: int
    head: str | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON form."""
        return asdict(self)


@dataclass
class AuditRecord:
    """Everything verification needs, from the database or from an export file."""

    instance: dict
    events: list[dict]
    spec: dict | None
    schedules: dict[str, dict]


# -- reading the record --------------------------------------------------------------------------


def record_of(uow: UnitOfWork, inst: Instance) -> AuditRecord:
    """The audit record of a stored instance."""
    evs = [dict(events.content_of(e), prev_hash=e.prev_hash, hash=e.hash) for e in uow.events.of(inst.id)]
    spec = uow.instances.spec(inst.spec_sha)
    shas = sorted({sha for e in evs for sha in ((e["data"] or {}).get("ctx") or {}).get("years", {}).values()})
    return AuditRecord(
        instance={k: getattr(inst, k) for k in _INSTANCE_FIELDS},
        events=evs,
        spec=None if spec is None else {"sha256": spec.sha256, "process_id": spec.process_id,
                                        "bpmn_xml": spec.bpmn_xml, "forms": spec.forms},
        schedules=uow.calendar.schedules(shas),
    )


def record_from_export(data: object) -> AuditRecord:
    """Read an export file's content; a malformed file is a 422 naming the part."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationFailed(f"not a {FORMAT} file", field="format")
    for name, kind in (("instance", dict), ("events", list), ("spec", dict), ("schedules", dict)):
        if not isinstance(data.get(name), kind):
            raise ValidationFailed(f"{name} missing or malformed", field=name)
    return AuditRecord(data["instance"], data["events"], data["spec"], data["schedules"])


def _visible(uow: UnitOfWork, actor: Actor, instance_id: str) -> Instance:
    return instances.get(uow, actor, instance_id)


def history(uow: UnitOfWork, actor: Actor, instance_id: str) -> list[dict]:
    """Every event in order, with the Chinese name of the element and of the acting role."""
    inst = _visible(uow, actor, instance_id)
    return [dict(events.content_of(e), prev_hash=e.prev_hash, hash=e.hash,
                 role_label=ROLE_LABELS.get(e.role) if e.role else None) for e in uow.events.of(inst.id)]


def export(uow: UnitOfWork, actor: Actor, instance_id: str) -> dict:
    """One self-contained file: events, the exact BPMN and forms, the calendar data, the chain head."""
    inst = _visible(uow, actor, instance_id)
    rec = record_of(uow, inst)
    return {"format": FORMAT, "instance": rec.instance, "events": rec.events, "spec": rec.spec,
            "schedules": rec.schedules, "head": rec.events[-1]["hash"] if rec.events else None,
            "inclusion": checkpoints.inclusion_of(uow, inst.id)}


# -- replay -------------------------------------------------------------------------------------


class Replayer:
    """Re-executes recorded state events on a private engine whose deadline context follows the log."""

    def __init__(self, svc: Services, schedules: dict[str, dict]):
        self._svc = svc
        self._schedules = schedules
        self._calendar = svc.calendars.current
        self._policy = DeadlinePolicy(lambda: self._calendar, svc.settings.reminder_hours,
                                      svc.settings.second_level_escalation)
        self.engine = Engine(self._policy)
        self._calendars: dict[str, WorkCalendar] = {}
        self.warnings: list[str] = []

    def use_context(self, recorded: dict | None) -> None:
        """Set calendar and escalation settings as they were when the event happened."""
        if not recorded:
            return
        ctx = DeadlineContext.from_dict(recorded)
        key = json.dumps(ctx.to_dict(), sort_keys=True)
        if key not in self._calendars:
            cal = WorkCalendar(close_of_business=time.fromisoformat(ctx.cob))
            for year, sha in sorted(ctx.years.items()):
                data = self._schedules.get(sha)
                if data is None:
                    raise ReplayError("ctx.years", f"calendar schedule {year} ({sha[:12]}) is not in the record")
                try:
                    schedule = YearSchedule.from_dict(data)
                except ScheduleError as exc:
                    raise ReplayError("schedules", f"calendar schedule {sha[:12]}: {exc}") from None
                if schedule.sha256() != sha:
                    raise ReplayError("schedules", f"calendar schedule {year} does not hash to {sha[:12]}")
                cal = cal.with_year(schedule)
            if ctx.builtin and ctx.builtin != (BUILTIN_YEARS[0], BUILTIN_YEARS[-1]):
                self.warnings.append(f"recorded with built-in calendar years {ctx.builtin[0]}–{ctx.builtin[1]}, "
                                     f"replayed with {BUILTIN_YEARS[0]}–{BUILTIN_YEARS[-1]}")
            self._calendars[key] = cal
        self._calendar = self._calendars[key]
        self._policy.reminder_hours = ctx.remind_h
        self._policy.second_level = ctx.second

    def run(self, bundle: SpecBundle, instance_id: str, evs: list[dict], upto: int | None = None,
            faithful: bool = False):
        """The workflow after event ``upto`` (all when None), and its serialized state.

        ``faithful`` mirrors the live path exactly (deserialize, step, serialize at every event); the
        default keeps the workflow in memory between events, which gives the same state (the replay
        property test checks this at every stored step) at the cost of bare SpiffWorkflow."""
        wf, state = None, None
        for ev in evs:
            seq = ev["seq"]
            if upto is not None and seq > upto:
                break
            kind = event_types.of(ev["type"])
            if kind is None:
                raise ReplayError("type", f"event {seq} has an unknown type {ev['type']!r}", seq)
            if not kind.changes_state:
                continue
            data, at, seed = ev["data"] or {}, datetime.fromisoformat(ev["at"]), seed_for(instance_id, seq)
            try:
                self.use_context(data.get("ctx"))
                event = kind.from_data(data)  # the same type the live path applied
                if isinstance(event, event_types.Start):
                    wf = event.create(self.engine, bundle, at, seed)
                else:
                    if wf is None:
                        raise ReplayError("type", "the log does not begin with a start event")
                    if faithful:
                        wf = self.engine.load(bundle, state)  # the live path: load, step, dump
                    event.apply(self.engine, wf, at, seed)
                if faithful:
                    state = self.engine.dump(wf)
            except ReplayError as exc:
                exc.seq = seq
                raise
            except (BranchflowError, KeyError, TypeError, ValueError) as exc:
                raise ReplayError("replay", f"event {seq} ({ev['type']}) does not re-execute: {exc}", seq) from None
        if wf is not None and not faithful:
            state = self.engine.dump(wf)
        return wf, state


class ReplayError(Exception):
    """Replay could not re-execute the log."""

    def __init__(self, field: str, message: str, seq: int | None = None):
        super().__init__(message)
        self.field, self.message, self.seq = field, message, seq


def bundle_of_record(svc: Services, rec: AuditRecord) -> SpecBundle:
    """The pinned bundle of a record, after checking its content hashes to the address the instance pins."""
    spec = rec.spec
    if spec is None:
        raise ReplayError("spec", f"pinned spec {rec.instance['spec_sha'][:12]} is missing")
    try:
        actual = bundle_sha(spec["process_id"], spec["bpmn_xml"], spec["forms"])
    except (KeyError, TypeError, AttributeError):
        raise ReplayError("spec", "the pinned spec is malformed") from None
    if actual != spec.get("sha256") or actual != rec.instance["spec_sha"]:
        raise ReplayError("spec", "the pinned BPMN/forms do not hash to the address the instance pins")
    try:  # the content is verified: the parsed bundle may come from the cache
        return svc.bundles.pinned(actual, lambda: (spec["process_id"], spec["bpmn_xml"], spec["forms"]))
    except BranchflowError as exc:
        raise ReplayError("spec", f"pinned spec does not load: {exc.message}") from None


def state_at(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str, seq: int) -> dict:
    """The instance right after event ``seq``, re-executed: open tasks for whom and when due, timers, data."""
    inst = _visible(uow, actor, instance_id)
    rec = record_of(uow, inst)
    if not 1 <= seq <= len(rec.events):
        raise NotFound(f"instance {instance_id} has events 1–{len(rec.events)}, not {seq}")
    replayer = Replayer(svc, rec.schedules)
    try:
        bundle = bundle_of_record(svc, rec)
        wf, _ = replayer.run(bundle, inst.id, rec.events, seq)
    except ReplayError as exc:
        raise BranchflowError(f"history of {instance_id} does not replay at event {exc.seq}: {exc.message}") from None
    snap = replayer.engine.snapshot(wf, bundle)
    due = projections.due_dates(bundle, snap)
    claims = {}
    for e in rec.events[:seq]:  # the claim standing after event seq (a release gives it up)
        if e["type"] == "claim":
            claims[e["data"].get("task_id")] = e["actor"]
        elif e["type"] == "release":
            claims.pop(e["data"].get("task_id"), None)
    ev = rec.events[seq - 1]
    return {
        "seq": seq, "type": ev["type"], "at": ev["at"], "actor": ev["actor"], "completed": snap.completed,
        "passed": replayer.engine.passed_elements(wf),  # elements completed at least once: the diagram's trail
        "open_tasks": [{"id": t.id, "element": t.element, "name": t.name, "role": t.role,
                        "role_label": ROLE_LABELS.get(t.role), "branch": inst.branch,
                        "due_at": due[t.id][0].isoformat() if t.id in due else None,
                        "due_provisional": due[t.id][1] if t.id in due else False,
                        "claimed_by": claims.get(t.id)} for t in snap.open_tasks],
        "timers": [{"id": t.task_id, "element": t.element, "name": t.name, "kind": t.kind, "due": t.due.isoformat(),
                    "provisional": t.provisional, "attached_to": t.attached_to} for t in snap.timers],
        "data": snap.data,
    }


# -- verification -------------------------------------------------------------------------------


def check_chain(rec: AuditRecord) -> list[Problem]:
    """Sequence, links and hashes of the events, and the instance's head and version."""
    prev = events.GENESIS
    for index, ev in enumerate(rec.events, start=1):
        if ev.get("seq") != index:
            found = ev.get("seq")
            what = "missing" if isinstance(found, int) and found > index else "out of order"
            return [Problem(index, "seq", f"event {index} is {what} (found event {found} in its place)")]
        if ev.get("instance_id") != rec.instance["id"]:
            return [Problem(index, "instance_id", f"event {index} belongs to another instance")]
        if ev.get("prev_hash") != prev:
            return [Problem(index, "prev_hash", f"event {index} does not link to event {index - 1}")]
        content = {k: ev.get(k) for k in events.CONTENT_KEYS}
        if events.chain_hash(prev, content) != ev.get("hash"):
            return [Problem(index, "hash", f"event {index} ({ev.get('type')}) was altered after it was written")]
        prev = ev["hash"]
    problems = []
    if rec.instance.get("head") != prev:
        problems.append(Problem(None, "instance.head", "the instance's chain head is not its last event"))
    if rec.instance.get("version") != len(rec.events):
        problems.append(Problem(None, "instance.version",
                                f"version {rec.instance.get('version')} but {len(rec.events)} events"))
    return problems


def verify_record(svc: Services, rec: AuditRecord) -> Report:
    """Chain, pinned spec and replay; the first failure is located."""
    inst = rec.instance
    report = Report(inst["id"], False, len(rec.events), rec.events[-1]["hash"] if rec.events else None)
    report.problems = check_chain(rec)
    if report.problems:
        return report
    if not rec.events or rec.events[0]["type"] != "start":
        report.problems = [Problem(1, "type", "the log does not begin with a start event")]
        return report
    start = rec.events[0]["data"]
    if start.get("spec") != inst["spec_sha"]:
        report.problems = [Problem(None, "instance.spec_sha",
                                   f"the instance pins spec {str(inst['spec_sha'])[:12]} but started on "
                                   f"{str(start.get('spec'))[:12]}")]
        return report
    replayer = Replayer(svc, rec.schedules)
    try:
        bundle = bundle_of_record(svc, rec)
        _, state = replayer.run(bundle, inst["id"], rec.events)
        if state != inst["state"]:  # before calling it tampering, replay exactly as the live path ran
            _, state = Replayer(svc, rec.schedules).run(bundle, inst["id"], rec.events, faithful=True)
    except ReplayError as exc:
        report.problems = [Problem(exc.seq, exc.field, exc.message)]
        return report
    report.warnings = replayer.warnings
    if state != inst["state"]:
        report.problems = [_state_difference(state, inst["state"])]
        return report
    report.ok = True
    return report


def _state_difference(replayed: str, stored: str) -> Problem:
    try:
        a, b = json.loads(replayed), json.loads(stored)
    except (TypeError, ValueError):
        return Problem(None, "state", "the stored state is not valid JSON")
    path = _first_difference(a, b, "state")
    return Problem(None, path or "state", f"stored {path or 'state'} differs from the replayed one")


def _first_difference(a, b, path: str) -> str | None:
    if type(a) is not type(b):
        return path
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}[{min(len(a), len(b))}]"
        for i, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else path


def verify(svc: Services, uow: UnitOfWork, actor: Actor, instance_id: str) -> Report:
    """Verify one stored instance."""
    return verify_record(svc, record_of(uow, _visible(uow, actor, instance_id)))


def verify_all(svc: Services):
    """Verify every stored instance (oldest first), each in its own read transaction; yields each report as
    soon as it is made."""
    with svc.uow() as uow:
        ids = uow.instances.all_ids()
    for instance_id in ids:
        with svc.uow() as uow:
            yield verify_record(svc, record_of(uow, uow.instances.get(instance_id)))
