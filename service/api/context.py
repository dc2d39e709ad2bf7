"""Request plumbing: one unit of work per request, the permission gate and the authenticated actor.

The gate runs before the request body is read: it authenticates the bearer token and checks the
caller's roles against ``domain.permissions``, so a caller without the right role gets 401/403 and
never a validation answer. Every ``/api`` route must be in that table; ``install`` refuses to start
otherwise.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, Response, current_app, g, request

from ..domain import permissions
from ..domain.errors import Forbidden
from ..flows import auth, idempotency
from ..flows.actors import Actor
from ..flows.context import Services
from ..store.uow import UnitOfWork
from .parsing import refuse_nul_in_url

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def operation(method: str, rule: str) -> str:
    """``POST /api/tasks/{task_id}/complete`` for Flask's ``/api/tasks/<string:task_id>/complete``."""
    path = _PARAM.sub(r"{\1}", rule)
    return f"{method} {path}"


@lru_cache(maxsize=None)
def _permission(method: str, rule: str):
    """The permission-table row of a route (looked up once per route, not once per request)."""
    return permissions.rule_of(operation(method, rule))


def services() -> Services:
    """The app's services."""
    return current_app.extensions["branchflow"]


def bearer() -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_uow() -> UnitOfWork:
    """The request's unit of work (opened by the gate, closed when the request ends: uncommitted work is
    rolled back)."""
    return g.uow


def actor() -> Actor:
    """The authenticated caller (the gate has already answered 401 otherwise)."""
    return g.actor


def idempotent(method: str, op: str, rule) -> bool:
    """Does ``op`` accept an ``Idempotency-Key``? Every role-gated POST with a JSON body does (uploads are
    content-addressed already; login and logout are not writes a user repeats)."""
    return method == "POST" and rule not in (permissions.PUBLIC, permissions.AUTHENTICATED) \
        and op != "POST /api/attachments"


def _operations(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield operation(method, rule.rule)


def install(app: Flask) -> None:
    """Register the gate; every /api operation must have a row in the permission table."""
    missing = [op for op in _operations(app) if permissions.rule_of(op) is None]
    if missing:
        raise RuntimeError(f"operations missing from domain/permissions.py: {', '.join(missing)}")

    @app.before_request
    def _gate():
        if request.url_rule is None or request.method == "OPTIONS" or not request.url_rule.rule.startswith("/api"):
            return  # 404 / 405 / CORS pre-flight / static viewer assets: nothing to authorize
        refuse_nul_in_url()
        method = "GET" if request.method == "HEAD" else request.method
        rule = _permission(method, request.url_rule.rule)
        svc = services()
        g.uow = svc.uow().__enter__()
        if rule is None:
            raise Forbidden("this operation is not in the permission table")
        if rule == permissions.PUBLIC:
            return
        g.actor = auth.authenticate(svc, g.uow, bearer())
        if not permissions.allows(rule, (grant.role for grant in g.actor.grants)):
            raise Forbidden(f"{method} {request.path} is not open to your roles")
        key = request.headers.get(idempotency.HEADER)
        if key is not None and idempotent(method, operation(method, request.url_rule.rule), rule):
            replay = idempotency.begin(svc, g.uow, g.actor.name, key, f"{method} {request.path}",
                                       request.get_data(cache=True))
            if replay is not None:
                return Response(replay.body, replay.status_code, mimetype="application/json",
                                headers={"Idempotent-Replayed": "true"})
            g.idempotency_key = key
            g.uow.after_commit(lambda: setattr(g, "idempotency_committed", True))

    @app.after_request
    def _remember_answer(response):
        if g.pop("idempotency_committed", False):
            idempotency.finish(g.uow, g.actor.name, g.idempotency_key, response.status_code,
                               response.get_data(as_text=True))
        return response

    @app.teardown_request
    def _close(_exc):
        uow = g.pop("uow", None)
        if uow is not None:
            uow.__exit__(None, None, None)
