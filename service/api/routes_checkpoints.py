"""GET /api/audit/checkpoints, GET /api/audit/public-key: the signed checkpoints an auditor keeps as a witness."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import checkpoints
from .context import request_uow, services
from .parsing import Blueprint
from .schemas import CheckpointPage, CheckpointQuery, PublicKeyOut

blp = Blueprint("checkpoints", __name__, url_prefix="/api/audit", description="审计检查点（签名锚定）")


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    @blp.arguments(CheckpointQuery, location="query")
    @blp.response(200, CheckpointPage)
    def get(self, q):
        """Signed checkpoints after ``after``, as the witness log holds them (one JSON object a line)."""
        return {"items": checkpoints.listed(request_uow(), q["after"], q["limit"])}


@blp.route("/public-key")
class PublicKey(MethodView):
    @blp.response(200, PublicKeyOut)
    def get(self):
        """The public key that verifies the checkpoints (null when no signing key is configured)."""
        key = services().settings.audit_key
        if key is None:
            return {"public_key": None, "key_id": None}
        public = checkpoints.load_private(key).public_key()
        return {"public_key": checkpoints.public_key_text(public), "key_id": checkpoints.key_id(public)}
