"""Quarterly plaque rating (亮牌): rate a quarter, read the board."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import ratings
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import RatingBoard, RatingIn, RatingQuery

blp = Blueprint("ratings", __name__, url_prefix="/api/ratings", description="季度亮牌")


@blp.route("")
class Ratings(MethodView):
    @blp.arguments(RatingQuery, location="query")
    @blp.response(200, RatingBoard)
    def get(self, q):
        """The quarter's board: branch, the three inputs, composite, plaque, streak."""
        return {"quarter": q["quarter"], "items": ratings.board(request_uow(), q["quarter"])}

    @blp.arguments(RatingIn)
    @blp.response(201, RatingBoard)
    def post(self, body):
        """Rate a quarter (supervisor): star ratings in, one rating process per branch out."""
        uow = request_uow()
        ratings.rate_quarter(services(), uow, actor(), body)
        return {"quarter": body["quarter"], "items": ratings.board(uow, body["quarter"])}
