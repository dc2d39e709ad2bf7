"""GET /api/board: the supervisor's overview (督导看板); GET /api/board/duties: the duties behind one cell."""
from __future__ import annotations

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
        return board.overview(services(), request_uow(), actor(), quarter=q.get("quarter"), month=q.get("month"),
                              branch=q.get("branch"))


@blp.route("/duties")
class Duties(MethodView):
    @blp.arguments(DutyQuery, location="query")
    @blp.response(200, DutiesOut)
    def get(self, q):
        """The duties behind one cell: a branch, a duty kind, the period, optionally one state."""
        return board.duties(services(), request_uow(), actor(), branch=q.get("branch"), kind=q.get("kind"),
                            state=q.get("state"), quarter=q.get("quarter"), month=q.get("month"))
