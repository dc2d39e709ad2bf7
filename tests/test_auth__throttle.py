"""Login throttling and token revocation over HTTP."""
from __future__ import annotations

from datetime import timedelta

from conftest import DEMO_PASSWORD


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
