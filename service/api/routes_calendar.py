"""GET /api/calendar/deadline."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..domain.calendar import CST
from ..flows import calendar_admin
from .context import actor, services
from .schemas import DeadlineOut, DeadlineQuery

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar", description="工作日历与期限")


@blp.route("/deadline")
class Deadline(MethodView):
    @blp.arguments(DeadlineQuery, location="query")
    @blp.response(200, DeadlineOut)
    def get(self, q):
        """Due instant of a rule (24h, 3wd, 5wd, 7wd, …) from ``start``; ``provisional`` on fallback years."""
        svc = services()
        with svc.uow() as uow:
            actor(uow)
        d = calendar_admin.deadline(svc, q["start"], q["rule"])
        return {"start": q["start"], "rule": d.rule, "due": d.due, "due_local": d.due.astimezone(CST).isoformat(),
                "provisional": d.provisional}
