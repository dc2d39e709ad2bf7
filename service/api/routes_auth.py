"""POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me."""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from ..flows import auth
from .context import actor, bearer, request_uow, services
from .parsing import Blueprint
from .schemas import LoginIn, TokenOut

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="登录与令牌")


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginIn)
    @blp.response(200, TokenOut)
    @blp.doc(security=[])
    def post(self, body):
        """Exchange username and password for a bearer token."""
        svc, uow = services(), request_uow()
        token, expires = auth.login(svc, uow, body["username"], body["password"], request.remote_addr)
        who = auth.authenticate(svc, uow, token)
        return {"token": token, "expires_at": expires, "username": who.name,
                "roles": [{"role": g.role, "branch": g.branch} for g in who.grants]}


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the bearer token of this request."""
        auth.revoke(services(), request_uow(), bearer())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, TokenOut)
    def get(self):
        """Who the bearer token belongs to."""
        who = actor()
        return {"username": who.name, "roles": [{"role": g.role, "branch": g.branch} for g in who.grants]}
