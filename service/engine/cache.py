"""Warm workflows: the deserialized workflow of an instance kept in memory between its steps.

Deserializing an instance's state costs about a tenth of a task completion through the API. A worker
that stepped an instance keeps the workflow object it stepped and serialized; the next step of that
instance in the same worker takes it instead of loading the state again (the "sticky" workflow cache
of engines such as Temporal). Correctness does not depend on the cache:

* an entry is used only when the state it was serialized to is, character for character, the state
  the database holds now, so a change made by another worker (or any other writer) is a miss;
* ``take`` removes the entry, so one workflow object is never stepped by two requests at once, and a
  step that fails (conflict, validation, rollback) simply loses it: the next step loads the state;
* entries are put back only after the transaction that stored their state committed;
* a workflow kept in memory between steps behaves as one loaded from its serialized state: audit
  replay relies on the same property, and ``tests/test_audit__replay_property.py`` checks that every
  state stored by a warm step is what loading, stepping and serializing gives.

The cache is bounded (least recently used entries go first); size 0 turns it off.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow


class WorkflowCache:
    """Instance id → (spec sha, serialized state, workflow), at most ``size`` entries, thread-safe."""

    def __init__(self, size: int):
        self.size = max(0, size)
        self._entries: OrderedDict[str, tuple[str, str, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, instance_id: str, spec_sha: str, state: str) -> BpmnWorkflow | None:
        """Remove and return the workflow of ``instance_id`` if it was serialized to exactly ``state``."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is not None and entry[0] == spec_sha and entry[1] == state:
                self.hits += 1
                return entry[2]
            self.misses += 1
            return None

    def put(self, instance_id: str, spec_sha: str, state: str, workflow: BpmnWorkflow) -> None:
        """Keep ``workflow``, which ``state`` is the serialization of (call once that state is committed)."""
        if not self.size:
            return
        with self._lock:
            self._entries[instance_id] = (spec_sha, state, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
