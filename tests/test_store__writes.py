"""The hot write path: a completion writes the instance with a version check, in one transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from service.domain.errors import Conflict
from service.flows import tasks
from service.flows import auth
from scenarios import HELPER, instance, open_pairing


def _actor_of(api, uow, user):
    return auth.authenticate(api.svc, uow, api.login(user))


def test_a_concurrent_writer_makes_the_completion_a_conflict_and_nothing_of_it_is_kept(api):
    iid = open_pairing(api)
    task = api.task(HELPER, "sign_helper", iid)
    before = instance(api, iid)
    svc = api.svc
    with svc.uow() as uow:
        actor = _actor_of(api, uow, HELPER)
        loaded = uow.inbox.with_instance(task["id"])  # held, as the use case holds what it loaded
        assert loaded[1].version == before["version"]
        # another writer moves the instance on after we loaded it (as a second worker would)
        uow.session.connection().execute(text("UPDATE instances SET version = version + 1 WHERE id = :id"), {"id": iid})
        with pytest.raises(Conflict):
            tasks.complete(svc, uow, actor, task["id"], {"signed": True})
    after = instance(api, iid)
    assert after["version"] == before["version"]
    assert len(api.get(f"/api/instances/{iid}/history", "auditor").get_json()) == before["version"]
    assert api.get(f"/api/tasks/{task['id']}", HELPER).get_json()["status"] == "open"


def test_a_completion_leaves_nothing_for_the_commit_to_flush(api):
    """The instance, its event and its inbox rows are written as statements; the session ends clean."""
    iid = open_pairing(api)
    task = api.task(HELPER, "sign_helper", iid)
    svc = api.svc
    with svc.uow() as uow:
        tasks.complete(svc, uow, _actor_of(api, uow, HELPER), task["id"], {"signed": True})
        assert not uow.session.dirty and not uow.session.new
    view = instance(api, iid)
    # start, the helper's sign_helper assigned to them by the diagram's rule, the completion
    assert view["version"] == 3 and [t["element"] for t in view["open_tasks"]] == ["sign_secretary"]


def test_a_started_workflow_keeps_every_task_it_created(api):
    """Task ids are drawn from the event's seed: creating and running a new workflow must draw them from
    one sequence, or tasks created while running overwrite the first ones (the rating lost its READY task)."""
    from service.engine.determinism import seed_for
    from test_pairing__lifecycle import START

    svc = api.svc
    for process, variables in (("pairing", dict(START, months=3, targets=START["targets"])),
                               ("plaque_rating", {"quarter": "2026Q1", "branch": "sc1", "star": 60, "inspection": 60,
                                                  "pairing": 60, "previous_plaque": "none", "previous_streak": 0})):
        bundle = svc.bundles.current(process)
        values = dict(bundle.forms["start"].get("x-defaults", {}), **variables)
        wf = svc.engine.start(bundle, values, svc.clock.now(), seed_for("instance", 1))
        reachable = list(wf.get_tasks())
        assert len(reachable) == len(wf.tasks), process
        assert svc.engine.snapshot(wf, bundle).open_tasks, process
