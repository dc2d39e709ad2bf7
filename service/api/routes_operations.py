"""Task operations: send back, withdraw, transfer, urge (tasks); terminate, carbon copy (instances); my copies."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import auth, operations
from .context import actor, request_uow, services
from .parsing import Blueprint
from .routes_instances import instance_detail
from .routes_tasks import task_view
from .schemas import (CcIn, CcOut, CcPage, CcQuery, CountersignIn, DelegateIn, DeputyIn, DeputyList, DeputyOut,
                      InstanceDetailOut, SendBackIn,
                      SendBackTargets, TaskOut, TerminateIn, TransferIn, UrgeIn, UrgeOut)

blp = Blueprint("operations", __name__, url_prefix="/api", description="任务操作：退回、撤回、转办、催办、终止、抄送")


@blp.route("/tasks/<string:task_id>/send-back")
class SendBack(MethodView):
    @blp.response(200, SendBackTargets)
    def get(self, task_id):
        """The earlier tasks this task's holder may send the process back to (declared in the diagram,
        completed before)."""
        return {"items": operations.send_back_targets(services(), request_uow(), actor(), task_id)}

    @blp.arguments(SendBackIn)
    @blp.response(200, InstanceDetailOut)
    def post(self, body, task_id):
        """退回: the process goes back to ``target`` with a reason; the abandoned path's tasks close and its
        timers end; nothing of the history is deleted."""
        svc, uow = services(), request_uow()
        inst = operations.send_back(svc, uow, actor(), task_id, body["target"], body["reason"])
        return instance_detail(svc, uow, inst)


@blp.route("/tasks/<string:task_id>/withdraw")
class Withdraw(MethodView):
    @blp.response(200, InstanceDetailOut)
    def post(self, task_id):
        """撤回: take back a task you completed while the next one has not been acted on (409 otherwise);
        the task is yours again, its form prefilled with what you submitted."""
        svc, uow = services(), request_uow()
        inst = operations.withdraw(svc, uow, actor(), task_id)
        return instance_detail(svc, uow, inst)


@blp.route("/tasks/<string:task_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """转办: the task becomes personal to a colleague who holds its role in its scope (an admin or the
        supervisor may hand it to anyone active); the reason is recorded."""
        svc = services()
        row = operations.transfer(svc, request_uow(), actor(), task_id, body["to"], body["reason"])
        return task_view(row, svc.clock.now())


@blp.route("/tasks/<string:task_id>/delegate")
class Delegate(MethodView):
    @blp.arguments(DelegateIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """委派: ask a named person to do my task; when they submit, it returns to me (``draft``: their data)
        to confirm (complete) or redo (delegate again); I stay responsible for the deadline."""
        svc = services()
        row = operations.delegate(svc, request_uow(), actor(), task_id, body["to"], body["reason"])
        return task_view(row, svc.clock.now())


@blp.route("/tasks/<string:task_id>/countersign")
class Countersign(MethodView):
    @blp.arguments(CountersignIn)
    @blp.response(201, TaskOut)
    def post(self, body, task_id):
        """加签: ask a named person to approve, before my submission (the task waits for their decision) or
        after it (my submission waits for their approval); returns their signature task, which they decide
        with ``POST /api/tasks/{id}/complete`` ``{"data": {"approved": true|false, "comment": …}}``."""
        svc = services()
        sign = operations.countersign(svc, request_uow(), actor(), task_id, body["signer"], body["when"], body["reason"])
        return task_view(sign, svc.clock.now())


@blp.route("/tasks/<string:task_id>/urge")
class Urge(MethodView):
    @blp.arguments(UrgeIn)
    @blp.response(200, UrgeOut)
    def post(self, body, task_id):
        """催办: message the task's holders (once an hour per task; 429 with Retry-After before that)."""
        return {"recipients": operations.urge(services(), request_uow(), actor(), task_id, body["note"])}


@blp.route("/instances/<string:instance_id>/terminate")
class Terminate(MethodView):
    @blp.arguments(TerminateIn)
    @blp.response(200, InstanceDetailOut)
    def post(self, body, instance_id):
        """终止: end a running instance with a reason: open tasks close, timers end, the children it waits
        on end with it (tickets it opened stay open); the outcome says terminated."""
        svc, uow = services(), request_uow()
        inst = operations.terminate(svc, uow, actor(), instance_id, body["reason"])
        return instance_detail(svc, uow, inst)


@blp.route("/instances/<string:instance_id>/cc")
class Copy(MethodView):
    @blp.arguments(CcIn)
    @blp.response(200, CcOut)
    def post(self, body, instance_id):
        """抄送: copy named people in, or everyone holding a role for the instance's branch (at a task, or at
        any time); they may then read the instance."""
        return {"recipients": operations.carbon_copy(services(), request_uow(), actor(), instance_id,
                                                     body["recipients"], body["task_id"], body["note"], body["roles"])}


@blp.route("/cc")
class Copies(MethodView):
    @blp.arguments(CcQuery, location="query")
    @blp.response(200, CcPage)
    def get(self, q):
        """抄送我的: the instances I was copied in on, newest first (``unread=true``: only unread)."""
        items, total = operations.copies(services(), request_uow(), actor(), unread_only=q["unread"],
                                         limit=q["per_page"], offset=(q["page"] - 1) * q["per_page"])
        return {"items": items, "total": total, "page": q["page"], "per_page": q["per_page"]}


@blp.route("/cc/<string:cc_id>/read")
class Read(MethodView):
    @blp.response(204)
    def post(self, cc_id):
        """Mark one of my copies read."""
        operations.mark_read(services(), request_uow(), actor(), cc_id)


@blp.route("/me/deputies")
class Deputies(MethodView):
    @blp.response(200, DeputyList)
    def get(self):
        """代理: the deputy periods I have named."""
        return {"items": auth.deputies(request_uow(), actor())}

    @blp.arguments(DeputyIn)
    @blp.response(201, DeputyOut)
    def post(self, body):
        """Name a deputy for a date range (China dates, both included): they also receive my work and may
        act on it, recorded as done for me."""
        row = auth.name_deputy(services(), request_uow(), actor(), body["deputy"], body["starts_on"], body["ends_on"])
        return {"id": row.id, "deputy": row.deputy, "starts_on": row.starts_on.isoformat(), "ends_on": row.ends_on.isoformat()}
