"""党员标准化责任认领 and the party groups' meetings: the sweeps that open a period's work for every branch
(POST /api/duty/quarters|checks|meetings|scores) and the 公示栏 (GET /api/duty/board, /api/duty/claims)."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..flows import claiming
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import QUARTER

blp = Blueprint("duty", __name__, url_prefix="/api/duty", description="党员责任认领、履职核查、党小组会、履职评分与公示栏")

MONTH = validate.Regexp(r"^20[0-9]{2}-(0[1-9]|1[0-2])$", error="a month looks like 2026-04")


class QuarterIn(Schema):
    quarter = fields.String(required=True, validate=QUARTER)
    branches = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=None,
                           validate=validate.Length(min=1, max=500), metadata={"description": "default: every branch"})


class ChecksIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["weekly", "monthly"]),
                         metadata={"description": "weekly: each 基础岗; monthly: each 攻坚岗/服务岗"})
    day = fields.Date(required=True, metadata={"description": "a day of the week or month to check"})


class MonthIn(Schema):
    month = fields.String(required=True, validate=MONTH)
    branches = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=None,
                           validate=validate.Length(min=1, max=500))


class SweepOut(Schema):
    started = fields.Integer()
    skipped = fields.Integer(metadata={"description": "already open for this period"})
    ids = fields.List(fields.String())


class BoardQuery(Schema):
    branch = fields.String(required=True, validate=validate.Length(min=1, max=32))
    month = fields.String(required=True, validate=MONTH)


class ClaimsQuery(Schema):
    branch = fields.String(required=True, validate=validate.Length(min=1, max=32))
    quarter = fields.String(required=True, validate=QUARTER)


class DutyBoardOut(Schema):
    branch = fields.String()
    branch_name = fields.String()
    month = fields.String()
    published = fields.Boolean()
    published_on = fields.String(allow_none=True)
    instance = fields.String(allow_none=True)
    items = fields.List(fields.Dict())


class ClaimsOut(Schema):
    branch = fields.String()
    branch_name = fields.String()
    quarter = fields.String()
    items = fields.List(fields.Dict())


@blp.route("/quarters")
class Quarters(MethodView):
    @blp.arguments(QuarterIn)
    @blp.response(201, SweepOut)
    def post(self, body):
        """Open a quarter's duty claiming for every branch (or the ones named) in one sweep; repeating it
        opens only what is missing."""
        return claiming.open_quarter(services(), request_uow(), actor(), body["quarter"], body["branches"])


@blp.route("/checks")
class Checks(MethodView):
    @blp.arguments(ChecksIn)
    @blp.response(201, SweepOut)
    def post(self, body):
        """Open the week's (基础岗) or month's (攻坚岗/服务岗) checks: one per committee member and area."""
        return claiming.open_checks(services(), request_uow(), actor(), body["kind"], body["day"].isoformat())


@blp.route("/meetings")
class Meetings(MethodView):
    @blp.arguments(MonthIn)
    @blp.response(201, SweepOut)
    def post(self, body):
        """Open every party group's monthly 党小组会 (due the month's last working day)."""
        return claiming.open_meetings(services(), request_uow(), actor(), body["month"])


@blp.route("/scores")
class Scores(MethodView):
    @blp.arguments(MonthIn)
    @blp.response(201, SweepOut)
    def post(self, body):
        """Open every branch's monthly duty scoring (due the month's last working day)."""
        return claiming.open_scores(services(), request_uow(), actor(), body["month"], body["branches"])


@blp.route("/board")
class Board(MethodView):
    @blp.arguments(BoardQuery, location="query")
    @blp.response(200, DutyBoardOut)
    def get(self, args):
        """公示栏: a branch's published duty scores of a month, with each member's band."""
        return claiming.board(request_uow(), actor(), args["branch"], args["month"])


@blp.route("/claims")
class Claims(MethodView):
    @blp.arguments(ClaimsQuery, location="query")
    @blp.response(200, ClaimsOut)
    def get(self, args):
        """公示栏: a branch's approved claims of a quarter."""
        return claiming.claims_board(request_uow(), actor(), args["branch"], args["quarter"])
