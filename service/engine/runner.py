"""The SpiffWorkflow wrapper: start, load, step and snapshot workflows of a spec bundle."""
from __future__ import annotations

import json
from uuid import UUID
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessage
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from ..domain.errors import BranchflowError, Conflict, NotFound
from ..domain.roles import role_for_lane
from ..domain.status import TimerKind
from . import determinism
from .scripts import BranchflowScriptEngine, DeadlinePolicy
from .specs import SpecBundle

#: the workflow-data key listing the instance's own (start) fields; the task-data key of each task's submission
PROTECTED, SUBMITTED = "protected_fields", "submitted"

_bundle_for_load: ContextVar[SpecBundle | None] = ContextVar("branchflow_bundle", default=None)


def _ordered(value):
    """``value`` with every dict's keys sorted: task data (and so the serialized state) must not depend on
    the order a caller built its input in, or replay from the canonical event log would differ."""
    if isinstance(value, dict):
        return {k: _ordered(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_ordered(v) for v in value]
    return value


class EngineError(BranchflowError):
    """The process itself failed (a script or expression error in the diagram)."""

    status = 500
    code = "engine_error"


class _PinnedSpecConverter(BpmnWorkflowConverter):
    """Stores workflow state without the spec; the pinned bundle supplies it on load."""

    def to_dict(self, workflow):
        dct = super().to_dict(workflow)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        return dct

    def from_dict(self, dct):
        bundle = _bundle_for_load.get()
        if bundle is None:
            raise RuntimeError("load a workflow through Engine.load")
        workflow = self.target_class(bundle.spec, bundle.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


@dataclass
class OpenTask:
    """A READY human task as the inbox sees it."""

    id: str
    element: str
    name: str
    role: str
    form: str | None
    #: the person the task is personal to (``assignee_field``), else None: anyone holding its role in scope
    assignee: str | None = None
    #: the person who must not hold the task (``exclude_field``: the pairing's own helper), else None
    excluded: str | None = None


@dataclass
class PendingTimer:
    """A WAITING timer event with its due instant."""

    task_id: str
    element: str
    name: str
    due: datetime
    kind: str
    attached_to: str | None
    provisional: bool
    rule: str | None


@dataclass
class MessageWait:
    """A WAITING message catch event (used for child-instance joins)."""

    task_id: str
    element: str
    message: str
    child_process: str | None


@dataclass
class Snapshot:
    """What the service needs after a step, read without touching the store."""

    open_tasks: list[OpenTask]
    timers: list[PendingTimer]
    waits: list[MessageWait]
    completed: bool
    data: dict


class Engine:
    """One per app: holds the serializer and the script engine; stateless between calls."""

    def __init__(self, policy: DeadlinePolicy):
        determinism.install()
        config = dict(SPIFF_CONFIG)
        config[BpmnWorkflow] = _PinnedSpecConverter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.script_engine = BranchflowScriptEngine(policy)

    # -- state --------------------------------------------------------------------------

    def dump(self, workflow: BpmnWorkflow) -> str:
        """Serialize ``workflow`` to JSON (spec left out); equal workflows give equal text."""
        self.serializer.registry._encoder_mode = True
        try:
            dct = self.serializer.to_dict(workflow)
        finally:
            self.serializer.registry._encoder_mode = False
        dct[self.serializer.VERSION_KEY] = self.serializer.VERSION
        # no sort_keys: SpiffWorkflow restores task data deltas in insertion order (parents first)
        return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))

    def load(self, bundle: SpecBundle, state: str) -> BpmnWorkflow:
        """Restore a workflow of ``bundle`` from ``state``."""
        token = _bundle_for_load.set(bundle)
        try:
            workflow = self.serializer.deserialize_json(state)
        finally:
            _bundle_for_load.reset(token)
        workflow.script_engine = self.script_engine
        return workflow

    # -- steps --------------------------------------------------------------------------

    def _run(self, workflow: BpmnWorkflow, at: datetime, seed: int, action) -> None:
        with determinism.step(at, seed):
            self._steps(workflow, action)

    @staticmethod
    def _steps(workflow: BpmnWorkflow, action) -> None:
        try:
            action()
            workflow.refresh_timers()
            workflow.do_engine_steps()
        except SpiffWorkflowException as exc:
            raise EngineError(f"process error: {exc}") from exc

    def start(self, bundle: SpecBundle, variables: dict, at: datetime, seed: int,
              protect: list[str] | None = None) -> BpmnWorkflow:
        """Create and run a new workflow until it waits on people, timers or messages. ``protect``: the
        instance's own fields, which ``complete`` never lets a submitted form overwrite (kept in the
        workflow's own data, so a loaded workflow knows them)."""
        variables = _ordered(variables)
        # one step context for creating and running: a second context with the same seed would draw
        # the same task ids again, and tasks created while running would overwrite the first ones
        with determinism.step(at, seed):
            workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=self.script_engine)
            if protect is not None:
                workflow.data[PROTECTED] = sorted(protect)
            start = workflow.get_tasks(state=TaskState.READY)
            self._steps(workflow, lambda: [t.data.update(variables) for t in start])
        return workflow

    def complete(self, workflow: BpmnWorkflow, task_id: str, data: dict, at: datetime, seed: int) -> None:
        """Complete READY human task ``task_id`` with ``data`` and run on.

        Task data namespace: the submission is kept whole under ``submitted[<element id>]`` and merged
        into the process data, except for the instance's own fields (its start variables), which a form
        never overwrites (an evidence form's ``description`` leaves the ticket's problem as it was). A
        workflow started before this rule (no protected list) merges flat, as it ran."""
        task = self._ready_human_task(workflow, task_id)
        data = _ordered(data)
        protected = workflow.data.get(PROTECTED)

        def action():
            if protected is None:
                task.data.update(data)
            else:
                keep = set(protected)
                task.data.update({k: v for k, v in data.items() if k not in keep})
                submitted = dict(task.data.get(SUBMITTED) or {})
                submitted[task.task_spec.bpmn_id] = data
                task.data[SUBMITTED] = _ordered(submitted)
            task.run()

        self._run(workflow, at, seed, action)

    def reset_to(self, workflow: BpmnWorkflow, element: str, at: datetime, seed: int) -> str:
        """Send the process back to the latest completed pass of user task ``element``: that task is ready
        again (its boundary timers re-armed from ``at``), everything after it is dropped, and the process
        runs on; returns the reopened task's id. Conflict when the element was never completed."""
        passes = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
                  if getattr(t.task_spec, "bpmn_id", None) == element and t.task_spec.manual]
        if not passes:
            raise Conflict(f"{element} has not been completed in this instance")
        task = max(passes, key=lambda t: t.last_state_change)

        def rewind():
            workflow.reset_from_task_id(task.id)
            # SpiffWorkflow drops the rewound tasks from the tree but not from its event manager: timers of a
            # dropped task would still be refreshed there (and fail on their missing parent)
            waiting = workflow.event_manager.tasks
            for key in [k for k, t in waiting.items() if t.workflow.tasks.get(t.id) is not t]:
                del waiting[key]

        try:
            self._run(workflow, at, seed, rewind)
        except (EngineError, AttributeError, KeyError, TypeError, ValueError) as exc:
            # SpiffWorkflow cannot rewind every shape (a branch of a parallel split, a finished subprocess):
            # the step is refused and the half-rewound workflow is dropped with the transaction
            raise Conflict(f"the process cannot go back to {element} from here ({type(exc).__name__})") from None
        return str(task.id)

    def terminate(self, workflow: BpmnWorkflow, at: datetime, seed: int, data: dict) -> None:
        """End the process where it stands: every task cancelled, ``data`` (the outcome) recorded."""
        with determinism.step(at, seed):
            last = workflow.last_task
            workflow.cancel()
            (workflow.last_task or last).data.update(_ordered(data))

    def fire_timers(self, workflow: BpmnWorkflow, at: datetime, seed: int) -> None:
        """Let every timer due at ``at`` fire and run on."""
        self._run(workflow, at, seed, lambda: None)

    def deliver(self, workflow: BpmnWorkflow, message: str, payload: dict, at: datetime, seed: int) -> None:
        """Deliver message ``message`` with ``payload`` and run on."""
        event = BpmnEvent(SpiffMessage(message), _ordered(payload))
        self._run(workflow, at, seed, lambda: workflow.catch(event))

    def rearm(self, workflow: BpmnWorkflow, at: datetime, seed: int) -> list[str]:
        """Recompute provisional timer deadlines (after a calendar year loads); return task ids changed."""
        changed = []
        with determinism.step(at, seed):
            for task in workflow.get_tasks(state=TaskState.WAITING):
                info = task._get_internal_data("deadline")
                if not info or not info.get("provisional"):
                    continue
                due = self.script_engine.recompute(task)
                if due != task._get_internal_data("event_value"):
                    task._set_internal_data(event_value=due)
                    changed.append(str(task.id))
        return changed

    def _ready_human_task(self, workflow: BpmnWorkflow, task_id: str):
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None or not task.task_spec.manual:
            raise NotFound(f"task {task_id} is not part of this process")
        if task.state != TaskState.READY:
            raise Conflict(f"task {task_id} is no longer open ({TaskState.get_name(task.state)})")
        return task

    # -- reading ------------------------------------------------------------------------

    @staticmethod
    def passed_elements(workflow: BpmnWorkflow) -> list[str]:
        """Diagram elements the instance has passed through (completed at least once), in first-pass order."""
        seen = {}
        for task in workflow.get_tasks(state=TaskState.COMPLETED):
            element = getattr(task.task_spec, "bpmn_id", None)
            if element:
                seen.setdefault(element, None)
        return list(seen)

    def snapshot(self, workflow: BpmnWorkflow, bundle: SpecBundle) -> Snapshot:
        """Open human tasks, pending timers and message waits of ``workflow`` (``bundle``: its parsed element
        properties)."""
        open_tasks, timers, waits = [], [], []
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
            spec = task.task_spec
            if task.state == TaskState.READY and spec.manual:
                props = bundle.element(spec.bpmn_id)
                person, excluded = (task.data.get(f) if f else None for f in (props.assignee_field, props.exclude_field))
                open_tasks.append(OpenTask(id=str(task.id), element=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                                           role=role_for_lane(spec.lane), form=spec.bpmn_id,
                                           assignee=person if isinstance(person, str) and person else None,
                                           excluded=excluded if isinstance(excluded, str) and excluded else None))
            elif task.state == TaskState.WAITING and isinstance(spec, CatchingEvent):
                definition = spec.event_definition
                if isinstance(definition, TimerEventDefinition):
                    timers.append(self._pending_timer(task, bundle))
                elif isinstance(definition, MessageEventDefinition):
                    waits.append(
                        MessageWait(str(task.id), spec.bpmn_id, definition.name,
                                    bundle.element(spec.bpmn_id).child_process)
                    )
        data = dict(workflow.last_task.data) if workflow.last_task is not None else {}
        return Snapshot(open_tasks, timers, waits, workflow.is_completed(), data)

    def _pending_timer(self, task, bundle: SpecBundle) -> PendingTimer:
        spec = task.task_spec
        value = task._get_internal_data("event_value")
        if value is None:
            raise EngineError(f"timer {spec.bpmn_id} has no due time")
        due = TimerEventDefinition.get_datetime(value if isinstance(value, str) else value["next"])
        info = task._get_internal_data("deadline") or {}
        attached = None
        if isinstance(task.parent.task_spec, BoundaryEventSplit):
            main = [c for c in task.parent.children if c.task_spec.manual]
            attached = str(main[0].id) if main else None
        return PendingTimer(
            task_id=str(task.id),
            element=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            due=due,
            kind=bundle.element(spec.bpmn_id).kind or info.get("kind", TimerKind.TIMER),
            attached_to=attached,
            provisional=bool(info.get("provisional")),
            rule=info.get("rule"),
        )

    def task_data(self, workflow: BpmnWorkflow, task_id: str) -> dict:
        """Data visible to task ``task_id`` (for prefilling forms)."""
        task = workflow.get_task_from_id(UUID(task_id))
        return dict(task.data)
