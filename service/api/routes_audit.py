"""Audit routes: GET /api/instances/{id}/history[/{seq}], /verify and /export."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..flows import audit
from .context import actor, services
from .schemas import EventOut, StateAtOut, VerifyOut

blp = Blueprint("audit", __name__, url_prefix="/api/instances", description="审计：历史、重放与校验")


@blp.route("/<string:instance_id>/history")
class History(MethodView):
    @blp.response(200, EventOut(many=True))
    def get(self, instance_id):
        """Every event of the instance in order: actor, role, time, BPMN element and its Chinese name, inputs."""
        svc = services()
        with svc.uow() as uow:
            return audit.history(uow, actor(uow), instance_id)


@blp.route("/<string:instance_id>/history/<int:seq>")
class StateAt(MethodView):
    @blp.response(200, StateAtOut)
    def get(self, instance_id, seq):
        """The instance right after event ``seq``, re-executed from the pinned BPMN and the recorded inputs."""
        svc = services()
        with svc.uow() as uow:
            return audit.state_at(svc, uow, actor(uow), instance_id, seq)


@blp.route("/<string:instance_id>/verify")
class Verify(MethodView):
    @blp.response(200, VerifyOut)
    def get(self, instance_id):
        """Check the hash chain and that replaying the log reproduces the stored state; names the first difference."""
        svc = services()
        with svc.uow() as uow:
            return audit.verify(svc, uow, actor(uow), instance_id).to_dict()


@blp.route("/<string:instance_id>/export")
class Export(MethodView):
    @blp.response(200)
    def get(self, instance_id):
        """A single file with the events, the exact BPMN and forms, the calendar data and the chain head;
        ``branchflow audit verify --file`` checks it offline."""
        svc = services()
        with svc.uow() as uow:
            return audit.export(uow, actor(uow), instance_id)
