"""Request helpers: the services object, a unit of work, and the authenticated actor."""
from __future__ import annotations

from flask import current_app, request

from ..flows import auth
from ..flows.actors import Actor
from ..flows.context import Services
from ..store.uow import UnitOfWork


def services() -> Services:
    """The app's services."""
    return current_app.extensions["branchflow"]


def bearer() -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def actor(uow: UnitOfWork) -> Actor:
    """The authenticated caller (401 otherwise)."""
    return auth.authenticate(services(), uow, bearer())
