"""Child instances, all in one place: the children a wait joins on (``child_process``: a pairing's months),
the children a completed task opens on the side (``opens_process``: an inspection's tickets), and the
message a joined child sends its parent when it ends."""
from __future__ import annotations

from datetime import datetime

from ..engine.specs import SpecBundle
from ..store.models import Instance
from ..store.uow import UnitOfWork
from . import event_types, instances
from .context import Services


def start_waited(svc: Services, uow: UnitOfWork, inst: Instance, bundle: SpecBundle, wf, snap) -> None:
    """Start one child per message wait that names a child process and has none yet; the child gets the
    fields of the waiting task's data that ``child_inputs`` lists."""
    for wait in snap.waits:
        if wait.child_process and uow.instances.child_for_wait(inst.id, wait.task_id) is None:
            inputs = bundle.element(wait.element).child_inputs
            data = svc.engine.task_data(wf, wait.task_id)
            instances.start(svc, uow, instances.SYSTEM, wait.child_process, {k: data[k] for k in inputs if k in data},
                            parent=inst, parent_wait=wait.task_id)


def notify_parent(svc: Services, uow: UnitOfWork, child: Instance, at: datetime) -> None:
    """A joined child ended: deliver ``<process>_done`` to the wait of its parent that joins on it."""
    parent = uow.instances.get(child.parent_id, for_update=True)  # writers lock child, then parent: never the reverse
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
