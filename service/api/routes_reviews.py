"""The annual review roll-up (年度考核汇总): JSON and an Excel download."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..documents.reviews_xlsx import reviews_xlsx
from ..flows import reviews
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas_reviews import ReviewOut, ReviewQuery

blp = Blueprint("reviews", __name__, url_prefix="/api", description="年度考核汇总")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.arguments(ReviewQuery, location="query")
    @blp.response(200, ReviewOut)
    def get(self, q):
        """The year's roll-up: per secretary (+5 items, 约谈), per helper (优秀 eligibility, 帮扶合格), per branch
        (plaques, assessment scores, tickets); every figure names its instances."""
        return reviews.annual_review(services(), request_uow(), actor(), q["year"])


@blp.route("/reviews.xlsx")
class ReviewsWorkbook(MethodView):
    @blp.arguments(ReviewQuery, location="query")
    @blp.response(200, content_type=XLSX)
    @blp.doc(responses={"200": {"description": "the roll-up as an Excel workbook",
                                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, q):
        """The year's roll-up as an Excel workbook (sheets 支部书记, 政工负责人, 支部)."""
        data = reviews.annual_review(services(), request_uow(), actor(), q["year"])
        return Response(reviews_xlsx(data), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="reviews-{q["year"]}.xlsx"'})
