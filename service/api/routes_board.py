"""GET /api/board: the supervisor's overview (督导看板); GET /api/board/duties: the duties behind one cell.

The overview's body is written straight from the use case's plain values (numbers, strings, ISO instants):
``BoardOut`` documents it, and marshmallow's dump of fifty branches' figures cost more than the queries.
The tests read the JSON against the documented shape."""
from __future__ import annotations

import json
from datetime import datetime

from flask import Response
from flask.views import MethodView

from ..flows import board
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas_board import BoardOut, BoardQuery, DutiesOut, DutyQuery

blp = Blueprint("board", __name__, url_prefix="/api/board", description="督导看板")


@blp.route("")
class Board(MethodView):
    @blp.arguments(BoardQuery, location="query")
    @blp.response(200, BoardOut)
    def get(self, q):
        """Branches × the period (a month, default this one, or a quarter): duties due, on time, late and
        overdue by kind, tickets, the last assessment and plaque; quarterly scores, the on-time heat map and
        open tickets by week; helpers and secretaries; every overdue task. Secretaries: their branch."""
        view = board.overview(services(), request_uow(), actor(), quarter=q.get("quarter"), month=q.get("month"),
                              branch=q.get("branch"))
        return Response(json.dumps(view, ensure_ascii=False, separators=(",", ":"), default=_instant),
                        mimetype="application/json")


def _instant(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


@blp.route("/duties")
class Duties(MethodView):
    @blp.arguments(DutyQuery, location="query")
    @blp.response(200, DutiesOut)
    def get(self, q):
        """The duties behind one cell: a branch, a duty kind, the period, optionally one state."""
        return board.duties(services(), request_uow(), actor(), branch=q.get("branch"), kind=q.get("kind"),
                            state=q.get("state"), quarter=q.get("quarter"), month=q.get("month"))
