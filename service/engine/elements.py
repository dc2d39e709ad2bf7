"""The ``spiffworkflow:property`` keys a diagram may set on an element, read once when a bundle is parsed.

Like SpiffWorkflow's own parser reads extensions into task specs, each element's properties are read
into one typed description at parse time; run-time code never looks at raw extension dictionaries. An
unknown key is refused when a bundle is deployed, so a misspelt property cannot be silently ignored.

| key | on | meaning |
| --- | --- | --- |
| ``kind`` | boundary timer | ``remind`` (a reminder to the task's holders) or ``escalate`` |
| ``level`` | escalation timer | ``1``: overdue, escalated to 党群部; ``2``: escalated again, to 党委 |
| ``escalate_to`` | escalation timer | the role escalated to, instead of the level's default |
| ``child_process`` | message catch event | start this process as a child and wait for its ``<process>_done`` |
| ``child_inputs`` | message catch event | comma-separated fields of the task data the child starts with |
| ``opens_process`` | user task | on completion, start this process once per item of ``opens_each`` |
| ``opens_each`` | user task | the list field of the submitted data whose items open one child each |
| ``opens_source`` | user task | the ``source`` the opened children record (default: the process id) |
| ``opens_inherit`` | user task | comma-separated submitted fields every opened child also gets |
| ``gate`` | user task | ``children_closed``: ``gate_field`` may be true only when every child it opened has ended |
| ``gate_field`` | user task | the boolean field the gate guards (default ``passed``) |
| ``fallback_role`` | user task | the role the task goes to when nobody active holds its lane's role in the branch |
| ``send_back_to`` | user task | comma-separated earlier user tasks its holder may send the process back to (退回) |
| ``assignee_field`` | user task | the task is personal to the account named in this field of its data (the pairing's helper) |
| ``exclude_field`` | user task | the account named in this field never holds the task: when it holds the lane's role, the task goes to 党委 (a helper does not assess or accept their own pairing) |
| ``opens_process`` | script task | start this process as a period child on the side (a pairing's month); it ends with its parent |
| ``child_inputs`` | script task | comma-separated fields of the task data the period child starts with |
| ``points_from`` | user task | on completion, each item ``{member, score}`` of this process-data list enters the member points ledger |
"""
from __future__ import annotations

from dataclasses import dataclass

KEYS = ("kind", "level", "escalate_to", "child_process", "child_inputs", "opens_process", "opens_each",
        "opens_source", "opens_inherit", "gate", "gate_field", "fallback_role", "send_back_to", "assignee_field",
        "exclude_field", "points_from")
#: keys older diagrams carried and nothing reads: accepted in bundles instances pinned, refused in new ones
RETIRED = ("duty", "form_items")


class PropertyError(ValueError):
    """An element sets a property key this service does not know (or no longer accepts)."""


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (value or "").split(",") if k.strip())


@dataclass(frozen=True)
class Element:
    """What the properties of one diagram element say (every field empty when the element sets none)."""

    kind: str | None = None
    level: int = 0
    escalate_to: str | None = None
    child_process: str | None = None
    child_inputs: tuple[str, ...] = ()
    opens_process: str | None = None
    opens_each: str | None = None
    opens_source: str | None = None
    opens_inherit: tuple[str, ...] = ()
    gate: str | None = None
    gate_field: str = "passed"
    fallback_role: str | None = None
    send_back_to: tuple[str, ...] = ()
    assignee_field: str | None = None
    exclude_field: str | None = None
    points_from: str | None = None


NONE = Element()


def read(task_spec, accept_retired: bool = False) -> Element:
    """The typed properties of one task spec; PropertyError names an unknown key."""
    ext = getattr(task_spec, "extensions", None) or {}
    props = dict(ext.get("properties") or {})
    allowed = KEYS + (RETIRED if accept_retired else ())
    unknown = sorted(set(props) - set(allowed))
    if unknown:
        raise PropertyError(f"element {getattr(task_spec, 'bpmn_id', task_spec)} sets unknown propert"
                            f"{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} (known: {', '.join(KEYS)})")
    if not props:
        return NONE
    try:
        level = int(props.get("level") or 0)
    except ValueError:
        raise PropertyError(f"element {task_spec.bpmn_id}: level must be a number, not {props['level']!r}") from None
    return Element(kind=props.get("kind"), level=level, escalate_to=props.get("escalate_to"),
                   child_process=props.get("child_process"), child_inputs=_names(props.get("child_inputs")),
                   opens_process=props.get("opens_process"), opens_each=props.get("opens_each"),
                   opens_source=props.get("opens_source"), opens_inherit=_names(props.get("opens_inherit")),
                   gate=props.get("gate"), gate_field=props.get("gate_field") or "passed",
                   fallback_role=props.get("fallback_role"), send_back_to=_names(props.get("send_back_to")),
                   assignee_field=props.get("assignee_field"), exclude_field=props.get("exclude_field"),
                   points_from=props.get("points_from"))


def read_all(specs, accept_retired: bool = False) -> dict[str, Element]:
    """Element id → typed properties, for every task spec of ``specs`` that sets any."""
    out = {}
    for task_spec in specs:
        element = read(task_spec, accept_retired)
        if element is not NONE:
            out[getattr(task_spec, "bpmn_id", None) or task_spec.name] = element
    return out
