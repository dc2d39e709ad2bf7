"""GET /api/timers/failed, POST /api/timers/requeue: timers a sweep could not fire, for an admin."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import timers
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import FailedTimerPage, RequeueIn, RequeueOut

blp = Blueprint("timers", __name__, url_prefix="/api/timers", description="定时器运维")


@blp.route("/failed")
class Failed(MethodView):
    @blp.response(200, FailedTimerPage)
    def get(self):
        """Timers parked as failed (a reminder or escalation that did not go out), with their error."""
        return {"items": timers.failed_timers(services(), request_uow(), actor())}


@blp.route("/requeue")
class Requeue(MethodView):
    @blp.arguments(RequeueIn)
    @blp.response(200, RequeueOut)
    def post(self, body):
        """Put failed timers back to pending (all of them without ``ids``); the next sweep fires them."""
        return {"requeued": timers.requeue(services(), request_uow(), actor(), body.get("ids"))}
