"""The organisation (admins maintain it; everyone reads their part): /api/branches, /api/groups, /api/people,
/api/me/password, /api/points."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import org
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas_org import (BranchIn, BranchList, BranchOut, BranchPatch, GroupIn, GroupList, GroupOut, GroupPatch,
                          GroupQuery, OwnPasswordIn, PeopleQuery, PersonIn, PersonList, PersonOut, PersonPatch,
                          PointList, PointsQuery)

blp = Blueprint("organisation", __name__, url_prefix="/api", description="组织：支部、党小组、人员、积分")


def _branch(code: str) -> dict:
    return next(b for b in org.branches(request_uow()) if b["code"] == code)


@blp.route("/branches")
class Branches(MethodView):
    @blp.response(200, BranchList)
    def get(self):
        """Every branch with its numbers of party groups and people."""
        return {"items": org.branches(request_uow())}

    @blp.arguments(BranchIn)
    @blp.response(201, BranchOut)
    def post(self, body):
        """Add a branch (code and Chinese name)."""
        org.add_branch(request_uow(), actor(), body["code"], body["name"])
        return _branch(body["code"])


@blp.route("/branches/<string:code>")
class OneBranch(MethodView):
    @blp.arguments(BranchPatch)
    @blp.response(200, BranchOut)
    def patch(self, body, code):
        """Rename a branch."""
        org.rename_branch(request_uow(), actor(), code, body["name"])
        return _branch(code)


@blp.route("/groups")
class Groups(MethodView):
    @blp.arguments(GroupQuery, location="query")
    @blp.response(200, GroupList)
    def get(self, args):
        """Party groups (党小组), of one branch or all, with leader and members."""
        return {"items": org.groups(request_uow(), args.get("branch"))}

    @blp.arguments(GroupIn)
    @blp.response(201, GroupOut)
    def post(self, body):
        """Set up a party group in a branch; its leader (a member of the branch) joins it."""
        uow = request_uow()
        row = org.add_group(uow, actor(), body["branch"], body["name"], body["leader"])
        return org.group_view(uow, row)


@blp.route("/groups/<string:group_id>")
class OneGroup(MethodView):
    @blp.arguments(GroupPatch)
    @blp.response(200, GroupOut)
    def patch(self, body, group_id):
        """Rename a group or name its leader (who joins it)."""
        uow = request_uow()
        row = org.update_group(services(), uow, actor(), group_id, body)
        return org.group_view(uow, row)


@blp.route("/people")
class People(MethodView):
    @blp.arguments(PeopleQuery, location="query")
    @blp.response(200, PersonList)
    def get(self, args):
        """People of a branch or group with their roles (branch roles see their own branch)."""
        return {"items": org.people(request_uow(), actor(), args.get("branch"), args.get("group_id"))}

    @blp.arguments(PersonIn)
    @blp.response(201, PersonOut)
    def post(self, body):
        """Add a person: account, Chinese name, branch, party group, roles with scope, e-mail."""
        uow = request_uow()
        return org.person_view(uow, org.create_person(services(), uow, actor(), body))


@blp.route("/people/<string:username>")
class Person(MethodView):
    @blp.arguments(PersonPatch)
    @blp.response(200, PersonOut)
    def patch(self, body, username):
        """Change a person's name, e-mail, branch, group, roles or active flag; moving group or branch, or
        disabling, sends their open personal member duties back to the branch committee (recorded)."""
        uow = request_uow()
        return org.person_view(uow, org.update_person(services(), uow, actor(), username, body))


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(OwnPasswordIn)
    @blp.response(204)
    def post(self, body):
        """Change my own password (the current one checked); my tokens are revoked: log in again."""
        org.change_own_password(services(), request_uow(), actor(), body["old_password"], body["new_password"])
        return None


@blp.route("/points")
class Points(MethodView):
    @blp.arguments(PointsQuery, location="query")
    @blp.response(200, PointList)
    def get(self, args):
        """The member points ledger (积分制) of a person or a branch (members see their own)."""
        return org.points(request_uow(), actor(), args.get("username"), args.get("branch"))
