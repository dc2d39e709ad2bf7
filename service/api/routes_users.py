"""Accounts (admins): GET/POST /api/users, POST /api/users/{username}/password|active|unlock."""
from __future__ import annotations

from flask.views import MethodView

from ..domain.errors import NotFound
from ..domain.roles import Grant
from ..flows import auth
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import ActiveIn, PasswordIn, UserIn, UserList, UserOut

blp = Blueprint("users", __name__, url_prefix="/api/users", description="用户管理")


def _one(username: str) -> dict:
    svc, uow = services(), request_uow()
    return next(u for u in auth.list_users(svc, uow, actor()) if u["username"] == username)


@blp.route("")
class Users(MethodView):
    @blp.response(200, UserList)
    def get(self):
        """Every account with its roles, whether it is active and any login lock in force."""
        return {"items": auth.list_users(services(), request_uow(), actor())}

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, body):
        """Add an account with its roles (company-wide when ``branch`` is null)."""
        grants = [Grant(g["role"], g["branch"]) for g in body["roles"]]
        auth.create_user(services(), request_uow(), actor(), body["username"], body["password"],
                         body["display_name"], grants, body["email"])
        return _one(body["username"])


@blp.route("/<string:username>/password")
class Password(MethodView):
    @blp.arguments(PasswordIn)
    @blp.response(200, UserOut)
    def post(self, body, username):
        """Set a new password: the account's tokens are revoked and any login lock is lifted."""
        auth.reset_password(services(), request_uow(), actor(), username, body["password"])
        return _one(username)


@blp.route("/<string:username>/active")
class Active(MethodView):
    @blp.arguments(ActiveIn)
    @blp.response(200, UserOut)
    def post(self, body, username):
        """Enable or disable an account (disabling revokes its tokens; its personal tasks become stranded)."""
        auth.change_active(services(), request_uow(), actor(), username, body["active"])
        return _one(username)


@blp.route("/<string:username>/unlock")
class Unlock(MethodView):
    @blp.response(200, UserOut)
    def post(self, username):
        """Lift a login lock: the count of failed logins starts again."""
        auth.unlock(services(), request_uow(), actor(), username)
        found = [u for u in auth.list_users(services(), request_uow(), actor()) if u["username"] == username]
        if not found:
            raise NotFound(f"no user {username}", field="username")
        return found[0]
