"""Peer inspection: checklist versions, publishing a round, the experience handbook."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from .. import documents
from ..flows import inspections
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import ChecklistIn, ChecklistOut, HandbookOut, HandbookQuery, RoundIn, RoundOut

blp = Blueprint("inspections", __name__, url_prefix="/api/inspections", description="互查互学互促")


@blp.route("/checklists")
class Checklists(MethodView):
    @blp.response(200, ChecklistOut(many=True))
    def get(self):
        """Every version of the 互查量化清单, newest first."""
        return [inspections.checklist_view(c) for c in request_uow().checklists.all()]

    @blp.arguments(ChecklistIn)
    @blp.response(201, ChecklistOut)
    def post(self, body):
        """Publish a new checklist version (supervisor); rounds already published keep theirs."""
        return inspections.checklist_view(inspections.add_checklist(services(), request_uow(), actor(), body))


@blp.route("/rounds")
class Rounds(MethodView):
    @blp.arguments(RoundIn)
    @blp.response(201, RoundOut)
    def post(self, body):
        """Publish a quarter's round: one inspection per team; a team never inspects its own branch."""
        round_, children = inspections.publish_round(services(), request_uow(), actor(), body)
        return {"round": round_, "inspections": children}


@blp.route("/rounds/<string:round_id>/handbook")
class Handbook(MethodView):
    @blp.arguments(HandbookQuery, location="query")
    @blp.response(200, HandbookOut, content_type="application/json")
    @blp.doc(responses={"200": {
        "description": "format=json (default): the handbook as JSON; format=html: a printable page; "
                       "format=pdf: a PDF download",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HandbookOut"}},
                    "text/html": {"schema": {"type": "string"}},
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, q, round_id):
        """The 标准化经验手册 of a round as JSON, HTML or PDF (a draft until the supervisor compiles it)."""
        svc = services()
        data = inspections.handbook(svc, request_uow(), actor(), round_id)
        name = f"handbook-{data['quarter']}"
        if q["format"] == "html":
            return Response(documents.handbook_html(data), mimetype="text/html",
                            headers={"Content-Disposition": f'inline; filename="{name}.html"'})
        if q["format"] == "pdf":
            return Response(documents.handbook_pdf(data, svc.settings.pdf_font), mimetype="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
        return data
