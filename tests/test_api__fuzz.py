"""The API fuzzed from its own OpenAPI document (schemathesis): no 500, no answer the document does not allow.

Bounded and repeatable: a fixed number of generated requests per operation, derandomized, as the
supervisor where the permission table allows (else the admin or a branch secretary). Operations come from the permission table, which another test
keeps equal to the app's routes, so a new route is fuzzed without anyone listing it here.
"""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
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
    """A fresh token for each operation (fuzzing logout revokes the one it is given)."""
    r = app.test_client().post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
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
