"""Warm workflows (``engine.cache``): a worker keeps the workflow it stepped, and never steps a stale one.

Two apps on one database are two workers. Whatever the cache holds, each completion must act on the
state the database holds now; the replay property test (``test_audit__replay_property``) checks that
steps on warm workflows store exactly what the load-step-dump path stores."""
from __future__ import annotations

from conftest import DEMO_PASSWORD, Api, build_app, make_config
from service.app import build_services, create_app
from service.config import Config
from service.flows import event_types, instances
from service.flows.demo import load_demo
from scenarios import HELPER, SEC, SUP, open_pairing


def open_elements(api: Api, iid: str) -> list[str]:
    return sorted(t["element"] for t in api.get(f"/api/instances/{iid}", SUP).get_json()["open_tasks"])


def verified(api: Api, iid: str) -> bool:
    r = api.get(f"/api/instances/{iid}/verify", SUP)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["ok"]


def test_consecutive_steps_in_one_worker_reuse_the_workflow(tmp_path):
    api = Api(build_app(tmp_path))
    iid = open_pairing(api)
    cache = api.svc.workflows
    hits = cache.hits
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    api.complete(SEC, "sign_secretary", {"signed": True}, iid)
    assert cache.hits == hits + 2  # started warm, then stepped warm: no state was deserialized
    assert open_elements(api, iid) == ["file_letter"]
    assert verified(api, iid)


def test_a_worker_never_steps_a_workflow_another_worker_moved_on(tmp_path):
    one, two = Api(build_app(tmp_path)), Api(build_app(tmp_path))  # two workers, one database
    iid = open_pairing(one)
    one.complete(HELPER, "sign_helper", {"signed": True}, iid)  # worker one holds the workflow warm
    misses = two.svc.workflows.misses
    two.complete(SEC, "sign_secretary", {"signed": True}, iid)  # worker two moves the instance on
    assert two.svc.workflows.misses == misses + 1
    assert open_elements(one, iid) == ["file_letter"]
    # worker one's warm workflow still has sign_secretary open: using it would undo worker two's step
    misses = one.svc.workflows.misses
    one.complete(SUP, "file_letter", {"archive_no": "JD-2026-01"}, iid)
    assert one.svc.workflows.misses == misses + 1
    assert open_elements(one, iid) == ["diagnosis"]
    history = [e["element"] for e in one.get(f"/api/instances/{iid}/history", SUP).get_json()
               if e["type"] == "complete"]
    assert history == ["sign_helper", "sign_secretary", "file_letter"]
    assert verified(one, iid) and verified(two, iid)


def test_a_step_that_is_rolled_back_leaves_nothing_warm(tmp_path):
    api = Api(build_app(tmp_path))
    iid = open_pairing(api)
    svc = api.svc
    task = api.task(HELPER, "sign_helper", iid)
    with svc.uow() as uow:  # the step runs, then the transaction ends without a commit
        inst = uow.instances.get(iid)
        step = instances.Entry(event_types.Complete(task["id"], {"signed": True}), instances.SYSTEM)
        instances.apply_event(svc, uow, inst, step)
    assert len(svc.workflows) == 0
    # the task is still open, and completing it acts on the stored state, not on the stepped workflow
    assert open_elements(api, iid) == ["sign_helper", "sign_secretary"]
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    assert open_elements(api, iid) == ["sign_secretary"]
    assert verified(api, iid)


def app_with_cache(tmp_path, size: int) -> Api:
    tmp_path.mkdir(exist_ok=True)
    cfg = make_config(tmp_path)
    cfg.settings.workflow_cache = size
    svc = build_services(cfg)
    with svc.uow() as uow:
        load_demo(svc, uow, DEMO_PASSWORD)
    return Api(create_app(cfg, svc))


def test_the_cache_is_bounded_and_can_be_turned_off(tmp_path):
    assert Config.from_env({"BRANCHFLOW_WORKFLOW_CACHE": "0"}).settings.workflow_cache == 0
    api = app_with_cache(tmp_path, 2)
    ids = [open_pairing(api, branch=b, helper=h) for b, h in (("jg2", "supervisor"), ("sb", "zonghe"), ("sc1", "jiwei"),
                                                                ("sc2", "gonghui"))]
    assert len(api.svc.workflows) == 2
    off = app_with_cache(tmp_path / "off", 0)
    iid = open_pairing(off)
    off.complete(HELPER, "sign_helper", {"signed": True}, iid)
    assert len(off.svc.workflows) == 0 and off.svc.workflows.hits == 0
    assert open_elements(off, iid) == ["sign_secretary"] and verified(off, iid)
    assert all(verified(api, i) for i in ids)
