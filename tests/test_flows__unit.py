"""Use cases on a fake unit of work (cosmicpython's tests/unit): rules of the flows layer checked without a
database, against in-memory repositories that answer what the use case asks."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from service.domain.errors import Forbidden, ValidationFailed
from service.domain.roles import Grant
from service.flows import escalations, tasks
from service.flows.actors import Actor

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class FakeIdentity:
    def __init__(self, users: dict[str, tuple[Grant, ...]], inactive=()):
        self.users, self.inactive = users, set(inactive)

    def has_active_holder(self, role, branch):
        return any(g.role == role and (g.branch is None or g.branch == branch)
                   for name, grants in self.users.items() if name not in self.inactive for g in grants)

    def active_user(self, name):
        return name if name in self.users and name not in self.inactive else None

    def grants_of(self, user):
        return self.users[user]


@dataclass
class Row:
    id: str = "t-1"
    instance_id: str = "i-1"
    status: str = "open"
    role: str = "helper"
    branch: str | None = "sc1"
    assignee: str | None = None
    claimed_by: str | None = None
    element: str = "sign_helper"
    name: str = "甲方签署责任书"


@dataclass
class Inst:
    id: str = "i-1"
    version: int = 3
    head: str = "0" * 64
    updated_at: datetime | None = None


@dataclass
class FakeInbox:
    rows: dict = field(default_factory=dict)
    inst: Inst = field(default_factory=Inst)

    def lock_instance_of(self, task_id):
        return None

    def with_instance(self, task_id):
        return (self.rows[task_id], self.inst) if task_id in self.rows else None


class FakeUnitOfWork:
    def __init__(self, identity, inbox):
        self.identity, self.inbox = identity, inbox
        self.inserted, self.committed = [], 0

    def insert_row(self, model, values):
        self.inserted.append(values)

    def commit(self):
        self.committed += 1


class FakeClock:
    def now(self):
        return NOW


@dataclass
class FakeServices:
    clock: FakeClock = field(default_factory=FakeClock)


PEOPLE = {"admin": (Grant("admin"),), "supervisor": (Grant("supervisor"),), "committee": (Grant("committee"),),
          "jiwei": (Grant("helper", "sc1"),), "sec_jg1": (Grant("secretary", "jg1"),), "auditor": (Grant("auditor"),)}


def test_an_escalation_climbs_the_line_of_oversight_to_an_active_role():
    uow = FakeUnitOfWork(FakeIdentity(PEOPLE), FakeInbox())
    assert escalations.reachable(uow, "supervisor") == "supervisor"
    uow = FakeUnitOfWork(FakeIdentity(PEOPLE, inactive={"supervisor"}), FakeInbox())
    assert escalations.reachable(uow, "supervisor") == "committee"
    uow = FakeUnitOfWork(FakeIdentity(PEOPLE, inactive={"supervisor", "committee"}), FakeInbox())
    assert escalations.reachable(uow, "supervisor") == "admin"


def test_assigning_checks_the_person_and_records_one_event():
    inbox = FakeInbox(rows={"t-1": Row()})
    uow = FakeUnitOfWork(FakeIdentity(PEOPLE, inactive={"jiwei"}), inbox)
    admin = Actor("admin", PEOPLE["admin"])
    with pytest.raises(Forbidden):
        tasks.assign(FakeServices(), uow, Actor("jiwei", PEOPLE["jiwei"]), "t-1", "supervisor", "原因")
    for who in ("auditor", "sec_jg1", "jiwei"):  # read-only, another branch, disabled
        with pytest.raises(ValidationFailed) as refused:
            tasks.assign(FakeServices(), uow, admin, "t-1", who, "原因")
        assert refused.value.errors[0]["field"] == "assignee"
    assert uow.inserted == [] and uow.committed == 0
    row = tasks.assign(FakeServices(), uow, admin, "t-1", "supervisor", "帮扶人停用")
    assert row.assignee == "supervisor" and uow.committed == 1
    [event] = uow.inserted
    assert (event["type"], event["seq"], event["actor"]) == ("assign", 4, "admin")
    assert event["data"] == {"task_id": "t-1", "assignee": "supervisor", "previous": None, "reason": "帮扶人停用"}
    # the same assignment again changes nothing
    tasks.assign(FakeServices(), uow, admin, "t-1", "supervisor", "再次")
    assert len(uow.inserted) == 1 and uow.committed == 1
