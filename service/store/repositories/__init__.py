"""The repositories a unit of work exposes: one class per area, each running its statements in the unit of
work's transaction (``uow.instances.get(id)``, ``uow.timers.due_of(id, now)``, …)."""
from .base import Repository, holder_exists
from .identity import Identity, Idempotency
from .org import Organisation
from .records import Calendar, Checkpoints, Events, OutboxRepository
from .work import Attachments, CarbonCopies, Checklists, Inbox, Instances, Timers

__all__ = ["Repository", "holder_exists", "Identity", "Idempotency", "Organisation", "Calendar", "Checkpoints", "Events",
           "OutboxRepository", "Attachments", "CarbonCopies", "Checklists", "Inbox", "Instances", "Timers"]
