"""Every kind of event in an instance's history, as one type each: what it records, and what it does.

The live path builds one of these, applies it to the workflow and appends it; replay reads the stored
type and data back into the same class and applies it again. A new operation is one class here, and
replay cannot drift from the live path (as cosmicpython's ``COMMAND_HANDLERS``, or SpiffWorkflow's
converter registry).

State events change the workflow (``changes_state``); the others (claim, escalation, assignment, …) are
facts about the inbox that replay reads past.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

#: event type → its class
REGISTRY: dict[str, type["EventType"]] = {}


def register(cls: type["EventType"]) -> type["EventType"]:
    """Add an event class to the registry under its ``type``."""
    if cls.type in REGISTRY:
        raise RuntimeError(f"event type {cls.type} registered twice")
    REGISTRY[cls.type] = cls
    return cls


@dataclass(frozen=True)
class EventType:
    """Base of all events: ``type`` names it in the log; ``data()`` is what the log keeps of it."""

    type: ClassVar[str] = ""
    changes_state: ClassVar[bool] = False

    def data(self) -> dict:
        """The event's recorded inputs (the ``data`` column)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict) -> "EventType":
        """The event a log entry's ``data`` records (other keys, such as the deadline context, are ignored)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def apply(self, engine, workflow, at: datetime, seed: int) -> Any:
        """Do to ``workflow`` what this event did (nothing, for events that do not change state)."""
        return None


def of(type_: str) -> type[EventType] | None:
    """The class of a stored event type, or None for an unknown one."""
    return REGISTRY.get(type_)


def state_changing() -> tuple[str, ...]:
    """The types replay re-applies."""
    return tuple(t for t, cls in REGISTRY.items() if cls.changes_state)


# -- state events -------------------------------------------------------------------------------


@register
@dataclass(frozen=True)
class Start(EventType):
    """An instance began: the process, the pinned spec, the start variables (and the parent, for a child).

    ``protect`` lists the instance's own fields (its start variables), which no task's submitted form
    may overwrite (``Engine.complete``); a start recorded without it (an instance begun before task data
    had its own namespace) replays with the flat data it ran on."""

    type: ClassVar[str] = "start"
    changes_state: ClassVar[bool] = True
    process: str
    spec: str
    variables: dict
    parent: str | None = None
    protect: list | None = None

    def data(self) -> dict:
        out = {"process": self.process, "spec": self.spec, "variables": self.variables}
        if self.parent is not None:
            out["parent"] = self.parent
        if self.protect is not None:
            out["protect"] = self.protect
        return out

    def create(self, engine, bundle, at: datetime, seed: int):
        """The new workflow (a start has no workflow to apply to)."""
        return engine.start(bundle, self.variables, at, seed, protect=self.protect)


@dataclass(frozen=True)
class _TaskData(EventType):
    """An event about a task that carries submitted data (logged as ``{"task_id", "data"}``)."""

    task_id: str
    data_: dict

    def data(self) -> dict:
        return {"task_id": self.task_id, "data": self.data_}

    @classmethod
    def from_data(cls, data: dict) -> "_TaskData":
        return cls(data["task_id"], data["data"])


@register
@dataclass(frozen=True)
class Complete(_TaskData):
    """A person submitted a task's form."""

    type: ClassVar[str] = "complete"
    changes_state: ClassVar[bool] = True

    def apply(self, engine, workflow, at, seed):
        engine.complete(workflow, self.task_id, self.data_, at, seed)


@register
@dataclass(frozen=True)
class FireTimers(EventType):
    """The sweep fired the instance's due timers (all of them, in one engine step)."""

    type: ClassVar[str] = "timer"
    changes_state: ClassVar[bool] = True
    timers: list

    def apply(self, engine, workflow, at, seed):
        engine.fire_timers(workflow, at, seed)


@register
@dataclass(frozen=True)
class DeliverMessage(EventType):
    """A message reached the instance (a child it waits on has ended)."""

    type: ClassVar[str] = "message"
    changes_state: ClassVar[bool] = True
    message: str
    payload: dict
    child: str | None = None

    def apply(self, engine, workflow, at, seed):
        engine.deliver(workflow, self.message, self.payload, at, seed)


@register
@dataclass(frozen=True)
class Rearm(EventType):
    """Deadlines recomputed after an official calendar year was loaded; returns the timers that moved."""

    type: ClassVar[str] = "rearm"
    changes_state: ClassVar[bool] = True
    reason: str
    calendar: dict | None = None

    def apply(self, engine, workflow, at, seed):
        return engine.rearm(workflow, at, seed)


@register
@dataclass(frozen=True)
class SendBack(EventType):
    """退回: the holder of ``task_id`` sent the process back to the earlier user task ``target`` (allowed by
    the diagram's ``send_back_to``), with a reason; that task is ready again, the abandoned path's timers end."""

    type: ClassVar[str] = "send_back"
    changes_state: ClassVar[bool] = True
    task_id: str
    target: str
    reason: str

    def apply(self, engine, workflow, at, seed):
        return engine.reset_to(workflow, self.target, at, seed)


@register
@dataclass(frozen=True)
class Withdraw(EventType):
    """撤回: the person who completed ``task_id`` (element ``element``) took it back before anyone acted on
    what followed; the task is theirs again."""

    type: ClassVar[str] = "withdraw"
    changes_state: ClassVar[bool] = True
    task_id: str
    element: str

    def apply(self, engine, workflow, at, seed):
        return engine.reset_to(workflow, self.element, at, seed)


@register
@dataclass(frozen=True)
class Terminate(EventType):
    """终止: a supervisor or an admin ended the instance where it stood, with a reason."""

    type: ClassVar[str] = "terminate"
    changes_state: ClassVar[bool] = True
    reason: str

    def apply(self, engine, workflow, at, seed):
        engine.terminate(workflow, at, seed, {"outcome": "terminated", "outcome_label": "已终止",
                                              "terminated_reason": self.reason})


# -- facts about the inbox -----------------------------------------------------------------------


@register
@dataclass(frozen=True)
class Claim(EventType):
    """A person claimed a shared task."""

    type: ClassVar[str] = "claim"
    task_id: str


@register
@dataclass(frozen=True)
class Release(EventType):
    """A claim was given up (by the claimant, the branch secretary or a supervisor): the task is shared again."""

    type: ClassVar[str] = "release"
    task_id: str
    claimant: str


@register
@dataclass(frozen=True)
class Transfer(EventType):
    """转办: the task became personal to ``to`` (a colleague who may act on it), with a reason."""

    type: ClassVar[str] = "transfer"
    task_id: str
    to: str
    previous: str | None
    reason: str


@register
@dataclass(frozen=True)
class Delegate(EventType):
    """委派: the task's holder asked ``to`` to do it; the holder stays responsible and confirms the result."""

    type: ClassVar[str] = "delegate"
    task_id: str
    to: str
    owner: str
    reason: str


@register
@dataclass(frozen=True)
class DelegateDone(EventType):
    """The delegate submitted their work; the task went back to its owner to confirm or redo."""

    type: ClassVar[str] = "delegate_done"
    task_id: str
    owner: str
    draft: dict


@register
@dataclass(frozen=True)
class Countersign(EventType):
    """加签: the holder asked ``signer`` to approve, before their own submission (``before``) or after it."""

    type: ClassVar[str] = "countersign"
    task_id: str
    sign_id: str
    signer: str
    when: str
    reason: str


@register
@dataclass(frozen=True)
class CountersignDecision(EventType):
    """The signer approved or refused (a refusal returns the task to its holder)."""

    type: ClassVar[str] = "countersign_decision"
    task_id: str
    sign_id: str
    approved: bool
    comment: str


@register
@dataclass(frozen=True)
class Deputized(EventType):
    """代理: the next step on ``task_id`` is done by a deputy for ``principal``, who is away."""

    type: ClassVar[str] = "deputy"
    task_id: str
    principal: str


@register
@dataclass(frozen=True)
class Urge(EventType):
    """催办: someone who sees the task urged its holders (a message through the outbox)."""

    type: ClassVar[str] = "urge"
    task_id: str
    recipients: list
    note: str = ""


@register
@dataclass(frozen=True)
class CarbonCopy(EventType):
    """抄送: named people were copied in on the instance (at a task, or at any time); they read, not act."""

    type: ClassVar[str] = "cc"
    recipients: list
    task_id: str | None = None
    note: str = ""


@register
@dataclass(frozen=True)
class Escalation(EventType):
    """An overdue duty was escalated to a role (level 1: 党群部, level 2: 党委)."""

    type: ClassVar[str] = "escalation"
    task_id: str
    level: int
    to: str


@register
@dataclass(frozen=True)
class EscalationHandled(_TaskData):
    """The escalation's holder recorded their 督办意见."""

    type: ClassVar[str] = "escalation_handled"


@register
@dataclass(frozen=True)
class Assign(EventType):
    """A task was made personal to a named person (an admin or the supervisor, with a reason)."""

    type: ClassVar[str] = "assign"
    task_id: str
    assignee: str
    previous: str | None
    reason: str


@register
@dataclass(frozen=True)
class AssignedByRule(EventType):
    """A new task went to someone other than its lane's role in the branch, by a rule of the diagram:
    ``assignee_field:<field>`` (personal to the person that field names), ``exclude_field:<field>`` (that
    person holds the lane's role, so 党委 takes it) or ``fallback_role`` (nobody active holds the lane's role)."""

    type: ClassVar[str] = "assigned"
    task_id: str
    assignee: str | None
    role: str
    rule: str


@register
@dataclass(frozen=True)
class ReturnToBranch(EventType):
    """A personal task went back to the branch committee (支委会) to reassign: its person left or moved."""

    type: ClassVar[str] = "return_to_branch"
    task_id: str
    previous: str
    role: str
    reason: str
