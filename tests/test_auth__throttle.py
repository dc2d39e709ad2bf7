"""Login throttling and token revocation over HTTP."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from conftest import DEMO_PASSWORD
from scenarios import at_once


def login(api, username, password):
    return api.client.post("/api/auth/login", json={"username": username, "password": password})


def test_five_wrong_passwords_lock_the_username_for_fifteen_minutes(api):
    for _ in range(5):
        assert login(api, "sec_jg1", "wrong-password").status_code == 401
    locked = login(api, "sec_jg1", DEMO_PASSWORD)  # even the right password waits
    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "too_many_attempts"
    assert 890 <= int(locked.headers["Retry-After"]) <= 901
    assert login(api, "sec_jg2", DEMO_PASSWORD).status_code == 200  # other users are not affected
    api.travel(api.svc.clock.now() + timedelta(minutes=15, seconds=1))
    assert login(api, "sec_jg1", DEMO_PASSWORD).status_code == 200
    # a success resets the count: four more failures do not lock
    for _ in range(4):
        assert login(api, "sec_jg1", "wrong-password").status_code == 401
    assert login(api, "sec_jg1", DEMO_PASSWORD).status_code == 200


def test_unknown_usernames_are_throttled_the_same_way(api):
    answers = [login(api, "nobody", "whatever-password").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_a_revoked_token_no_longer_works(api):
    token = login(api, "sec_jg1", DEMO_PASSWORD).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/tasks", headers=auth).status_code == 200
    assert api.client.post("/api/auth/logout", headers=auth).status_code == 204
    r = api.client.get("/api/tasks", headers=auth)
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]["message"]


def test_parallel_guesses_are_capped_at_the_limit_on_live_workers(server):
    """24 wrong passwords at once through 4 gunicorn workers: at most 5 are ever checked (401), the rest are
    refused unchecked (429), none is a 409 or 500; then even the right password waits."""
    guesses = at_once([lambda: server.call("POST", "/api/auth/login",
                                           {"username": "sec_jg1", "password": f"guess-{i:04d}"})
                       for i in range(24)])
    statuses = Counter(status for status, _ in guesses)
    assert set(statuses) <= {401, 429} and 1 <= statuses[401] <= 5, statuses
    status, _ = server.call("POST", "/api/auth/login", {"username": "sec_jg1", "password": DEMO_PASSWORD})
    assert status == 429
    # two first failures of another name at once are two 401s (no "stale version")
    pair = at_once([lambda: server.call("POST", "/api/auth/login", {"username": "sec_sc1", "password": "nope-nope"})
                    for _ in range(2)])
    assert [status for status, _ in pair] == [401, 401]
