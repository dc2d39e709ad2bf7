"""POST /api/attachments (multipart upload of evidence), GET /api/attachments/{id}."""
from __future__ import annotations

from flask import request, send_file
from flask.views import MethodView

from ..domain.errors import ValidationFailed
from ..flows import attachments
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import AttachmentOut

blp = Blueprint("attachments", __name__, url_prefix="/api/attachments", description="整改佐证材料")


@blp.route("")
class Upload(MethodView):
    @blp.response(201, AttachmentOut)
    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "branch"],
        "properties": {"file": {"type": "string", "format": "binary"}, "branch": {"type": "string"}}}}}})
    def post(self):
        """Upload one evidence file (PDF, PNG, JPEG, .docx, .xlsx; size capped) for a branch."""
        svc = services()
        # the one route that takes more than the app-wide 1 MB body
        request.max_content_length = svc.settings.attachment_max_bytes + 64 * 1024
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("send the file as multipart/form-data field 'file'", field="file")
        return attachments.upload(svc, request_uow(), actor(), request.form.get("branch"), upload.filename,
                                  upload.stream)


@blp.route("/<string:attachment_id>")
class Download(MethodView):
    @blp.alt_response(200, description="the file", content_type="application/octet-stream", success=True)
    def get(self, attachment_id):
        """Download an attachment of a branch you may see."""
        svc = services()
        row, path = attachments.fetch(svc, request_uow(), actor(), attachment_id)
        response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.filename)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
