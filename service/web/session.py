"""Who is looking at a page: the session token, the permission check a page shares with its API route,
and Chinese error pages."""
from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from ..domain import permissions
from ..domain.errors import BranchflowError, Forbidden, NotFound, Unauthenticated
from ..flows import auth
from ..flows.actors import Actor
from ..flows.context import Services
from .zh import error_zh


def services() -> Services:
    """The app's services."""
    return current_app.extensions["branchflow"]


def uow():
    """The page request's unit of work (rolled back at the end unless a use case committed)."""
    if "web_uow" not in g:
        g.web_uow = services().uow().__enter__()
    return g.web_uow


def branch_names() -> dict[str, str]:
    """The organisation's branches (code → Chinese name), read once per request."""
    if "branch_names" not in g:
        from ..flows import org

        g.branch_names = org.branch_names(uow())
    return g.branch_names


def current_actor() -> Actor | None:
    """The person behind the session cookie, or None (no session, expired, revoked or disabled)."""
    if "web_actor" not in g:
        token = session.get("token")
        try:
            g.web_actor = auth.authenticate(services(), uow(), token) if token else None
        except Unauthenticated:
            session.pop("token", None)
            g.web_actor = None
    return g.web_actor


def page(operation: str):
    """Guard a page with the permission-table row of the API operation it mirrors (``"GET /api/tasks"``):
    no session → the login page; a role the row does not admit → 403 in Chinese."""
    rule = permissions.rule_of(operation)
    if rule is None:
        raise RuntimeError(f"{operation} is not in domain/permissions.py")

    def wrap(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            who = current_actor()
            if who is None:
                return redirect(url_for("web.login", next=request.full_path if request.method == "GET" else None))
            if rule not in (permissions.PUBLIC, permissions.AUTHENTICATED) and \
                    not permissions.allows(rule, (grant.role for grant in who.grants)):
                raise Forbidden(f"{operation} is not open to your roles")
            g.actor = who
            return view(*args, **kwargs)
        return guarded
    return wrap


def install_errors(app: Flask, csrf) -> None:
    """Pages answer errors with a Chinese page (the API keeps its JSON errors); POSTs check CSRF."""

    @app.before_request
    def _csrf():
        if request.method == "POST" and not request.path.startswith("/api"):
            if request.path.startswith("/tasks/"):  # a task form may carry evidence files (up to 5 at the limit)
                request.max_content_length = 5 * services().settings.attachment_max_bytes + 256 * 1024
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        flash("页面已过期，请重新操作。", "error")
        return redirect(request.referrer or url_for("web.inbox")), 303

    @app.teardown_request
    def _close(_exc):
        unit = g.pop("web_uow", None)
        if unit is not None:
            unit.__exit__(None, None, None)


def error_page(exc: BranchflowError):
    """A Chinese page for a use-case error (403, 404, 409 …)."""
    status = exc.status if isinstance(exc, (Forbidden, NotFound)) or exc.status < 500 else 500
    return render_template("error.html", status=status, message=error_zh(exc)), status
