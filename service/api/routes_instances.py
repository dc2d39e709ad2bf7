"""POST/GET /api/instances, GET /api/instances/mine, GET /api/instances/{id}."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import instances
from .context import actor, request_uow, services
from .parsing import Blueprint
from .routes_tasks import task_view
from .schemas import InstanceDetailOut, InstanceIn, InstanceItemPage, InstancePage, InstanceQuery, PageArgs

blp = Blueprint("instances", __name__, url_prefix="/api/instances", description="流程实例")


def instance_detail(svc, uow, inst) -> dict:
    """An instance with its open tasks and child instances."""
    now = svc.clock.now()
    view = {a.key: getattr(inst, a.key) for a in inst.__mapper__.column_attrs if a.key != "state"}
    view["open_tasks"] = [task_view(r, now) for r in uow.inbox.open_of(inst.id)]
    view["children"] = uow.instances.children_of(inst.id)
    return view


@blp.route("")
class Instances(MethodView):
    @blp.arguments(InstanceIn)
    @blp.response(201, InstanceDetailOut)
    def post(self, body):
        """Start a process: variables are validated against forms/<process>/start.json."""
        svc, uow = services(), request_uow()
        inst = instances.start(svc, uow, actor(), body["process"], body["variables"])
        uow.commit()
        return instance_detail(svc, uow, inst)

    @blp.arguments(InstanceQuery, location="query")
    @blp.response(200, InstancePage)
    def get(self, q):
        """Instances I may see (company roles: all; branch roles: their branches), newest first."""
        who = actor()
        scope = None if who.company_wide else who.home_branches()
        rows, total = request_uow().queries.instance_page(process=q.get("process"), branch=q.get("branch"), status=q.get("status"),
                                              branches=scope, limit=q["per_page"],
                                              offset=(q["page"] - 1) * q["per_page"])
        return {"items": rows, "total": total, "page": q["page"], "per_page": q["per_page"]}


@blp.route("/mine")
class Mine(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, InstanceItemPage)
    def get(self, q):
        """Instances I started (我发起的), newest first; items as in GET /api/instances."""
        items, total = instances.started_by_me(services(), request_uow(), actor(), limit=q["per_page"],
                                               offset=(q["page"] - 1) * q["per_page"])
        return {"items": items, "total": total, "page": q["page"], "per_page": q["per_page"]}


@blp.route("/<string:instance_id>")
class InstanceDetail(MethodView):
    @blp.response(200, InstanceDetailOut)
    def get(self, instance_id):
        """One instance: status, outcome, process data, open tasks, children."""
        uow = request_uow()
        return instance_detail(services(), uow, instances.get(uow, actor(), instance_id))
