"""Double submits write once: live gunicorn workers racing the same write, and Idempotency-Key repeats.

Races: 8 simultaneous POST /api/ratings for one quarter and branch, 8 simultaneous POST
/api/inspections/rounds for one quarter, 8 simultaneous starts and 8 simultaneous completions carrying
one Idempotency-Key (32 racing requests on 4 workers). Repeats through the test client: start, complete,
claim, a reused key with another body, a malformed key.
"""
from __future__ import annotations

import json
import urllib.request

from sqlalchemy import func, select

from service.store.models import Event, Instance
from scenarios import START, TEAM_JG2, TEAM_SC1, at_once, task_of

RATING = {"quarter": "2026Q1", "stars": {"jg1": 90}, "inspection": {"jg1": 88}, "pairing": {"jg1": 92}}


def _count(svc, *conds) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Instance).where(*conds))


def _post(srv, path: str, body, user: str, key: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {srv.token(user)}"}
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(f"http://127.0.0.1:{srv.port}{path}", method="POST", headers=headers,
                                 data=json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_racing_ratings_and_rounds_of_one_quarter_write_once(server):
    server.token("supervisor")
    ratings = at_once([lambda: server.call("POST", "/api/ratings", RATING, "supervisor") for _ in range(8)])
    assert sorted(s for s, _ in ratings)[0] == 201 and [s for s, _ in ratings].count(201) == 1, ratings
    assert {s for s, _ in ratings} <= {201, 409, 422}
    assert _count(server.svc, Instance.process_id == "plaque_rating") == 1
    status, board = server.call("GET", "/api/ratings?quarter=2026Q1", user="supervisor")
    assert [row["branch"] for row in board["items"]] == ["jg1"]

    teams = [{"branch": "sc1", "members": TEAM_SC1}, {"branch": "jg2", "members": TEAM_JG2}]
    rounds = at_once([lambda: server.call("POST", "/api/inspections/rounds", {"quarter": "2026Q1", "teams": teams},
                                          "supervisor") for _ in range(8)])
    assert [s for s, _ in rounds].count(201) == 1 and {s for s, _ in rounds} <= {201, 409}, rounds
    assert _count(server.svc, Instance.process_id == "inspection_round") == 1
    assert _count(server.svc, Instance.process_id == "peer_inspection") == 2


def test_racing_repeats_with_one_idempotency_key_start_and_complete_once(server):
    server.token("supervisor")
    starts = at_once([lambda: _post(server, "/api/instances", {"process": "pairing", "variables": START},
                                    "supervisor", key="start-1") for _ in range(8)])
    ids = {body["id"] for status, body, _ in starts if status == 201}
    assert len(ids) == 1 and {s for s, _, _ in starts} <= {201, 409}, starts
    assert _count(server.svc, Instance.process_id == "pairing") == 1
    # after the race, a repeat gets the first answer again
    status, body, headers = _post(server, "/api/instances", {"process": "pairing", "variables": START}, "supervisor",
                                  key="start-1")
    assert status == 201 and body["id"] in ids and headers["Idempotent-Replayed"] == "true"

    iid = ids.pop()
    tid = task_of(server, iid, "sign_helper", "supervisor")
    done = at_once([lambda: _post(server, f"/api/tasks/{tid}/complete", {"data": {"signed": True}}, "supervisor",
                                  key="complete-1") for _ in range(8)])
    assert {s for s, _, _ in done} <= {200, 409} and 200 in {s for s, _, _ in done}, done
    with server.svc.uow() as uow:
        completes = uow.session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == iid, Event.type == "complete"))
    assert completes == 1


def test_a_repeat_replays_the_first_answer_and_a_reused_key_is_refused(api):
    headers = {"Idempotency-Key": "k-1"}
    first = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START}, headers=headers)
    again = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(api.svc, Instance.process_id == "pairing") == 1
    other = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": dict(START, months=6)},
                     headers=headers)
    assert other.status_code == 422 and other.get_json()["error"]["errors"][0]["field"] == "Idempotency-Key"
    bad = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START},
                   headers={"Idempotency-Key": "键"})
    assert bad.status_code == 422 and bad.get_json()["error"]["errors"][0]["field"] == "Idempotency-Key"
    assert _count(api.svc, Instance.process_id == "pairing") == 1
    # a refused request stores nothing: fixed and sent again with its key, it runs
    refused = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": {}},
                       headers={"Idempotency-Key": "k-2"})
    assert refused.status_code == 422
    sb = dict(START, branch="sb", helper="zonghe")  # 机关二支部's pairing runs already: one per branch
    fixed = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": sb},
                     headers={"Idempotency-Key": "k-2"})
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert _count(api.svc, Instance.process_id == "pairing") == 2


def test_claiming_ones_own_claim_again_adds_no_event(api):
    iid = api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START}).get_json()["id"]
    task = api.task("supervisor", "sign_helper", iid)
    for _ in range(5):
        r = api.post(f"/api/tasks/{task['id']}/claim", "supervisor")
        assert r.status_code == 200 and r.get_json()["claimed_by"] == "supervisor"
    history = api.get(f"/api/instances/{iid}/history", "auditor").get_json()
    assert [e["type"] for e in history].count("claim") == 1


def test_keys_older_than_a_day_are_forgotten(api):
    from datetime import timedelta

    from service.flows import idempotency

    headers = {"Idempotency-Key": "k-old"}
    api.post("/api/instances", "supervisor", json={"process": "pairing", "variables": START}, headers=headers)
    assert idempotency.purge(api.svc) == 0  # a fresh key stays
    api.travel(api.svc.clock.now() + idempotency.KEEP + timedelta(minutes=1))
    assert idempotency.purge(api.svc) == 1
    with api.svc.uow() as uow:
        assert uow.idempotency.get("supervisor", "k-old") is None
