"""GET /api/calendar/deadline, GET/POST /api/calendar/years."""
from __future__ import annotations

from flask.views import MethodView

from ..domain.calendar import CST
from ..flows import calendar_admin
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import DeadlineOut, DeadlineQuery, YearIn, YearLoadOut, YearOut

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar", description="工作日历与期限")


@blp.route("/deadline")
class Deadline(MethodView):
    @blp.arguments(DeadlineQuery, location="query")
    @blp.response(200, DeadlineOut)
    def get(self, q):
        """Due instant of a rule (24h, 3wd, 5wd, 7wd, …) from ``start``; ``provisional`` on fallback years."""
        d = calendar_admin.deadline(services(), q["start"], q["rule"])
        return {"start": q["start"], "rule": d.rule, "due": d.due, "due_local": d.due.astimezone(CST).isoformat(),
                "provisional": d.provisional}


@blp.route("/years")
class Years(MethodView):
    @blp.response(200, YearOut(many=True))
    def get(self):
        """Years with an official working-day schedule (built in or loaded); other years are provisional."""
        return calendar_admin.years(services())

    @blp.arguments(YearIn)
    @blp.response(200, YearLoadOut)
    def post(self, body):
        """Load (or replace) an official year (admin only); provisional deadlines in it are re-armed."""
        return calendar_admin.load_year(services(), request_uow(), actor(), body)
