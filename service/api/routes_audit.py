"""Audit routes: GET /api/instances/{id}/history[/{seq}], /verify and /export."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import audit
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import EventOut, StateAtOut, VerifyOut

blp = Blueprint("audit", __name__, url_prefix="/api/instances", description="审计：历史、重放与校验")


@blp.route("/<string:instance_id>/history")
class History(MethodView):
    @blp.response(200, EventOut(many=True))
    def get(self, instance_id):
        """Every event of the instance in order: actor, role, time, BPMN element and its Chinese name, inputs."""
        return audit.history(request_uow(), actor(), instance_id)


@blp.route("/<string:instance_id>/history/<int(max=2147483647):seq>")
class StateAt(MethodView):
    @blp.response(200, StateAtOut)
    def get(self, instance_id, seq):
        """The instance right after event ``seq``, re-executed from the pinned BPMN and the recorded inputs."""
        return audit.state_at(services(), request_uow(), actor(), instance_id, seq)


@blp.route("/<string:instance_id>/verify")
class Verify(MethodView):
    @blp.response(200, VerifyOut)
    def get(self, instance_id):
        """Check the hash chain and that replaying the log reproduces the stored state; names the first difference."""
        return audit.verify(services(), request_uow(), actor(), instance_id).to_dict()


@blp.route("/<string:instance_id>/export")
class Export(MethodView):
    @blp.response(200)
    def get(self, instance_id):
        """A single file with the events, the exact BPMN and forms, the calendar data and the chain head;
        ``branchflow audit verify --file`` checks it offline."""
        return audit.export(request_uow(), actor(), instance_id)
