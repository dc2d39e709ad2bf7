"""Child instances, all in one place: the children a wait joins on (``child_process``), the children a
completed task opens on the side (``opens_process``: an inspection's tickets), the period children a script
task opens on the side (``opens_process`` on a script task: a pairing's months, which end with their parent),
and the message a joined child sends its parent when it ends."""
from __future__ import annotations

from datetime import datetime

from ..domain.status import InstanceStatus
from ..engine.specs import SpecBundle
from ..store.models import Instance
from ..store.uow import UnitOfWork
from . import event_types, instances
from .context import Services


def start_waited(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, wf, snap,
                 at: datetime | None = None) -> None:
    """Start one child per message wait that names a child process and has none yet; the child gets the
    fields of the waiting task's data that ``child_inputs`` lists."""
    for wait in snap.waits:
        if wait.child_process and uow.instances.child_for_wait(inst.id, wait.task_id) is None:
            inputs = bundle.element(wait.element).child_inputs
            data = svc.engine.task_data(wf, wait.task_id)
            instances.start(svc, uow, instances.SYSTEM, wait.child_process, {k: data[k] for k in inputs if k in data},
                            parent=inst, parent_wait=wait.task_id, at=at)


#: ``parent_wait`` of a period child: opened on the side by a script task, joined by nothing, ended with its parent
PERIOD = "period"


def open_requested(svc: Services, uow: UnitOfWork, inst: Instance, wf, at: datetime | None = None) -> list[Instance]:
    """Start the period children the step's script tasks asked for (``opens_process`` on a script task: the
    month that opened); each gets the listed fields and the parent's branch; staged."""
    requests = getattr(wf, "opened_children", None)
    if not requests:
        return []
    wf.opened_children = []
    return [instances.start(svc, uow, instances.SYSTEM, process, dict(inputs, branch=inst.branch),
                            parent=inst, parent_wait=PERIOD, at=at) for process, inputs in requests]


def end_periods(svc: Services, uow: UnitOfWork, inst: Instance, at: datetime) -> None:
    """The parent ended: its period children still running end with it (their duties are no one's now)."""
    for child in uow.instances.children_of(inst.id):
        if child.status == InstanceStatus.RUNNING and child.parent_wait == PERIOD:
            locked = uow.instances.get(child.id, for_update=True)
            step = instances.Entry(event_types.Terminate(f"{inst.title} 已结束"), instances.SYSTEM, None, None)
            instances.apply_event(svc, uow, locked, step, at)


def notify_parent(svc: Services, uow: UnitOfWork, child: Instance, at: datetime) -> None:
    """A joined child ended: deliver ``<process>_done`` to the wait of its parent that joins on it."""
    parent = uow.instances.get(child.parent_id, for_update=True)  # writers lock child, then parent: never the reverse
    if parent.status != InstanceStatus.RUNNING:  # the parent went on without it (a round ended at quarter end)
        return
    message = f"{child.process_id}_done"
    step = instances.Entry(event_types.DeliverMessage(message, {"child": child.id}, child.id), instances.SYSTEM,
                          element=None, element_name=child.title)
    instances.apply_event(svc, uow, parent, step, at)


def open_from_task(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, element: str,
                   data: dict) -> list[Instance]:
    """Start one ``opens_process`` instance per item of ``data[opens_each]`` after task ``element`` completed
    (each problem of an inspection's feedback opens its rectification ticket); staged.

    Each child gets the item's fields, the parent's branch, ``source`` (``opens_source``) and
    ``source_instance``, and the fields of ``data`` that ``opens_inherit`` lists. A field the submission does
    not carry is taken from the process data (a quarter's claiming opens one claim per member of the
    branch, listed when the quarter was opened)."""
    props = bundle.element(element)
    if not props.opens_process:
        return []
    both = {**(inst.data or {}), **data}
    common = {"branch": inst.branch, "source": props.opens_source or inst.process_id,
              "source_instance": inst.id, **{k: both[k] for k in props.opens_inherit if k in both}}
    items = both.get(props.opens_each or "", [])
    return [instances.start(svc, uow, instances.SYSTEM, props.opens_process, dict(item, **common), parent=inst)
            for item in items]
