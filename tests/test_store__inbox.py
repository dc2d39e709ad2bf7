"""The inbox query: scope by grants, undated tasks last, stable pages, totals without double counting."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.domain.roles import Grant
from service.store.models import InboxTask

T = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def seed(api) -> dict[str, InboxTask]:
    """Open tasks for several scopes; one closed; instance rows borrowed from a real pairing."""
    from test_pairing__lifecycle import open_pairing

    iid = open_pairing(api)
    rows = {}
    specs = [("h1", "helper", "jg2", 3), ("h2", "helper", "jg2", None), ("h3", "helper", "sb", 1),
             ("h4", "helper", "jg2", 1), ("s1", "supervisor", None, 2), ("s2", "supervisor", None, None),
             ("x1", "secretary", "jg2", 0), ("c1", "helper", "jg2", 0)]
    with api.svc.uow() as uow:
        for i, (name, role, branch, days) in enumerate(specs):
            row = InboxTask(id=f"t-{name}", instance_id=iid, process_id="pairing", kind="user", element=name,
                            name=name, role=role, branch=branch, status="closed" if name == "c1" else "open",
                            due_at=None if days is None else T + timedelta(days=days),
                            created_at=T + timedelta(minutes=i))
            uow.add(row)
            rows[name] = row
        uow.commit()
    return rows


def names(rows) -> list[str]:
    return [r.element for r in rows]


def inbox(api, grants, **kw):
    with api.svc.uow() as uow:
        rows, total = uow.queries.inbox_page(tuple(grants), **kw)
        return [r for r in rows if r.id.startswith("t-")], total


def test_order_scope_and_totals(api):
    seed(api)
    grants = [Grant("supervisor"), Grant("helper", "jg2")]
    rows, total = inbox(api, grants)
    assert names(rows) == ["h4", "s1", "h1", "h2", "s2"]  # by due date, undated last (by creation)
    with api.svc.uow() as uow:
        assert total == len(uow.queries.inbox_page(tuple(grants), limit=200)[0])  # every visible open task, counted once
    # a company-wide grant of a role covers its branch grants: nothing is counted twice
    rows, total_wide = inbox(api, [Grant("helper"), Grant("helper", "jg2")], limit=200)
    assert names(rows) == ["h3", "h4", "h1", "h2"] and total_wide == len(rows) + _others(api, "helper")


def _others(api, role) -> int:
    """Open tasks of ``role`` that the pairing itself created (not seeded here)."""
    with api.svc.uow() as uow:
        return len([r for r in uow.queries.inbox_page((Grant(role),), limit=200)[0] if not r.id.startswith("t-")])


def test_pages_are_stable_and_filters_apply(api):
    seed(api)
    grants = (Grant("supervisor"), Grant("helper", "jg2"))
    everything, total = inbox(api, grants, limit=200)
    paged = []
    for offset in range(0, total, 2):
        paged += inbox(api, grants, limit=2, offset=offset)[0]
    assert names(paged) == names(everything)
    overdue, _ = inbox(api, grants, overdue_at=T + timedelta(days=2, hours=1))
    assert names(overdue) == ["h4", "s1"]
    rows, _ = inbox(api, grants, branch="jg2")
    assert "s1" not in names(rows) and names(rows) == ["h4", "h1", "h2"]
    assert inbox(api, (), limit=5) == ([], 0)
