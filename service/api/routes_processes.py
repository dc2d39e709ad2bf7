"""GET /api/processes/startable."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import instances
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import StartableList

blp = Blueprint("processes", __name__, url_prefix="/api/processes", description="可发起的流程")


@blp.route("/startable")
class Startable(MethodView):
    @blp.response(200, StartableList)
    def get(self):
        """Processes my roles may start, by Chinese name, each with its start form (with display hints) and,
        when another operation starts it, that operation (``via``)."""
        return {"items": instances.startable(services(), request_uow(), actor())}
