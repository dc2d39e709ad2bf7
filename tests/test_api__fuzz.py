"""The API fuzzed from its own OpenAPI document (schemathesis): no 500, no answer the document does not allow.

Bounded and repeatable: a fixed number of generated requests per operation, derandomized, as the
supervisor where the permission table allows (else the admin or a branch secretary). Operations come from the permission table, which another test
keeps equal to the app's routes, so a new route is fuzzed without anyone listing it here.
"""
from __future__ import annotations

import json

import pytest
import schemathesis
from schemathesis.core import NotSet
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from conftest import DEMO_PASSWORD, build_app
from service.domain import permissions
from service.flows.demo import DEMO_USERS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, ignored_auth, unsupported_method]
#: the document and its two viewers are not operations of the API itself
NOT_IN_THE_DOCUMENT = {"GET /api/openapi.json", "GET /api/docs", "GET /api/redoc"}
EXAMPLES = 40


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)


def caller_for(op: str) -> str:
    """A demo user the permission table lets through (the supervisor where it can)."""
    rule = permissions.PERMISSIONS[op]
    for username, _display, grants in DEMO_USERS:
        if permissions.allows(rule, [g.role for g in grants]) and username in ("supervisor", "admin", "sec_jg1"):
            return username
    raise AssertionError(f"no demo user may call {op}")


def token_of(app, username: str) -> str:
    """A fresh token for each operation (fuzzing logout revokes the one it is given, and fuzzing the account
    operations may have disabled the caller, changed their password or locked them out: undone first)."""
    from service.flows.auth import hasher

    svc = app.extensions["branchflow"]
    with svc.uow() as uow:
        user = uow.identity.user(username)
        user.active, user.password_hash = True, hasher(svc).hash(DEMO_PASSWORD)
        uow.identity.forget_login_attempts(username)
        uow.commit()
    r = app.test_client().post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


@pytest.mark.parametrize("op", sorted(set(permissions.PERMISSIONS) - NOT_IN_THE_DOCUMENT))
def test_every_operation_answers_as_its_document_says(op, fuzz_app, fuzz_schema):
    method, path = op.split(" ", 1)
    operation = fuzz_schema[path][method]
    headers = {"Authorization": f"Bearer {token_of(fuzz_app, caller_for(op))}"}
    statuses: list[int] = []

    @given(case=operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    fuzz()
    print(op, sorted(statuses))
    # the fuzz reached the operation itself: not every request stopped at the gate
    gate = {403} if permissions.PERMISSIONS[op] == permissions.PUBLIC else {401, 403}
    assert statuses and any(s not in gate for s in statuses), statuses


#: what a careless client sends: a string cut inside an emoji (a lone surrogate, alone, leading or trailing),
#: and integers past PostgreSQL's int4 and SQLite's int64
HOSTILE_TEXT = ["\ud800", "党\udfff", "\ud83d", "a\ud83db"]
HUGE = [2**31, 2**63, -(2**63) - 1, 10**30]


def _poison(value, text: str, number: int):
    """``value`` with every string leaf given ``text`` and every integer leaf replaced by ``number``."""
    if isinstance(value, dict):
        return {k: _poison(v, text, number) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, text, number) for v in value]
    if isinstance(value, str):
        return value + text
    if isinstance(value, int) and not isinstance(value, bool):
        return number
    return value


@pytest.mark.parametrize("op", sorted(set(permissions.PERMISSIONS) - NOT_IN_THE_DOCUMENT))
def test_surrogates_and_huge_integers_are_refused_not_crashing(op, fuzz_app, fuzz_schema):
    """Valid requests of every operation, each string given a lone surrogate and each integer made huge
    (20 per operation): each answers a documented 4xx or a success, never a 500."""
    method, path = op.split(" ", 1)
    operation = fuzz_schema[path][method]
    headers = {"Authorization": f"Bearer {token_of(fuzz_app, caller_for(op))}"}
    statuses: list[int] = []

    @given(case=operation.as_strategy(GenerationMode.POSITIVE), text=st.sampled_from(HOSTILE_TEXT),
           number=st.sampled_from(HUGE))
    @settings(max_examples=20, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, text, number):
        body, kwargs = case.body, {}
        if case.media_type == "application/json" and isinstance(body, (dict, list)):
            # json.dumps writes a lone surrogate as its \\ud800 escape, as a JavaScript client does
            kwargs = {"data": json.dumps(_poison(body, text, number)), "content_type": "application/json"}
        elif case.media_type and body is not None and not isinstance(body, NotSet):  # a form: browsers send U+FFFD
            kwargs = {"data": body, "content_type": case.media_type}
        query = {k: (number if isinstance(v, int) and not isinstance(v, bool) else v)  # a URL carries no surrogate
                 for k, v in (case.query or {}).items()}
        # sent through the app's own client: schemathesis cannot encode a surrogate to re-check its case
        response = fuzz_app.test_client().open(case.formatted_path, method=method, query_string=query,
                                               headers=headers, **kwargs)
        assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:500])
        assert str(response.status_code) in documented or "default" in documented, response.status_code
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"], response.get_data(as_text=True)[:500]
        statuses.append(response.status_code)

    documented = set(operation.definition.raw["responses"])
    fuzz()
    assert statuses, op
