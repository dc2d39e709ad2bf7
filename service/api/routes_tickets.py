"""GET /api/tickets: rectification tickets with open and overdue counts."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import tickets
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import TicketPage, TicketQuery

blp = Blueprint("tickets", __name__, url_prefix="/api/tickets", description="整改销号")


@blp.route("")
class Tickets(MethodView):
    @blp.arguments(TicketQuery, location="query")
    @blp.response(200, TicketPage)
    def get(self, q):
        """Tickets I may see, newest first; ``open`` and ``overdue`` count the branch/source selection."""
        items, counts = tickets.list_tickets(services(), request_uow(), actor(), branch=q.get("branch"),
                                             status=q.get("status"), source=q.get("source"), limit=q["per_page"],
                                             offset=(q["page"] - 1) * q["per_page"])
        return {"items": items, "total": counts["total"], "open": counts["open"], "overdue": counts["overdue"],
                "page": q["page"], "per_page": q["per_page"]}
