"""The production shape under concurrency: a real gunicorn with 4 workers (deploy/gunicorn.conf.py) on
the suite's database (PostgreSQL in .ci/run's second pass), hit by many clients at once over HTTP."""
from __future__ import annotations

from sqlalchemy import func, select

from service.store.models import Event
from scenarios import START, at_once, load_branches, task_of


def open_pairing(srv, variables: dict = START) -> str:
    status, body = srv.call("POST", "/api/instances", {"process": "pairing", "variables": variables}, "supervisor")
    assert status == 201, body
    return body["id"]


def test_many_clients_completing_one_task_get_one_200_and_the_rest_409(server):
    iid = open_pairing(server)
    tid = task_of(server, iid, "sign_helper", "supervisor")
    server.token("supervisor")
    results = at_once([lambda: server.call("POST", f"/api/tasks/{tid}/complete", {"data": {"signed": True}},
                                           "supervisor") for _ in range(16)])
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] + [409] * 15, results
    with server.svc.uow() as uow:
        n = uow.session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == iid, Event.type == "complete"))
    assert n == 1
    status, body = server.call("GET", f"/api/instances/{iid}/verify", user="auditor")
    assert status == 200 and body["ok"] is True


def test_many_clients_on_different_instances_lose_no_update(server):
    starts = load_branches(server.svc, 8)  # one running pairing per branch
    ids = {open_pairing(server, v): f"sec_{v['branch']}" for v in starts}
    for user in ["supervisor"] + list(ids.values()):
        server.token(user)

    def sign_both(iid, secretary):
        def job():
            a = server.call("POST", f"/api/tasks/{task_of(server, iid, 'sign_helper', 'supervisor')}/complete",
                            {"data": {"signed": True}}, "supervisor")
            b = server.call("POST", f"/api/tasks/{task_of(server, iid, 'sign_secretary', secretary)}/complete",
                            {"data": {"signed": True}}, secretary)
            return a[0], b[0]
        return job

    assert at_once([sign_both(i, sec) for i, sec in ids.items()]) == [(200, 200)] * len(ids)
    for iid in ids:
        status, body = server.call("GET", f"/api/instances/{iid}", user="supervisor")
        # start, sign_helper assigned to the helper by rule, two signatures
        assert body["version"] == 4 and [t["element"] for t in body["open_tasks"]] == ["file_letter"]
        assert server.call("GET", f"/api/instances/{iid}/verify", user="auditor")[1]["ok"] is True
