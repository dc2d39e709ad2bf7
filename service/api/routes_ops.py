"""Operations for admins — GET /api/ops/status, GET /api/outbox, POST /api/outbox/requeue — and each person's
notification choices: GET/PUT /api/me/notifications."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import notices, ops
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas_ops import (NotificationsIn, NotificationsOut, OpsStatusOut, OutboxPage, OutboxQuery, OutboxRequeueIn,
                          OutboxRequeueOut)

blp = Blueprint("ops", __name__, url_prefix="/api", description="运维与通知设置")


@blp.route("/ops/status")
class Status(MethodView):
    @blp.response(200, OpsStatusOut)
    def get(self):
        """Backlogs: open and overdue tasks, timers by status and due, the outbox by status, scheduler lag and heartbeat."""
        return ops.status(services(), request_uow(), actor())


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.arguments(OutboxQuery, location="query")
    @blp.response(200, OutboxPage)
    def get(self, query):
        """Outbox messages, newest first (``status``: pending, sending, sent, failed), with their error."""
        page, per_page = query["page"], query["per_page"]
        result = ops.messages(services(), request_uow(), actor(), query.get("status"), per_page, (page - 1) * per_page)
        return dict(result, page=page, per_page=per_page)


@blp.route("/outbox/requeue")
class OutboxRequeue(MethodView):
    @blp.arguments(OutboxRequeueIn)
    @blp.response(200, OutboxRequeueOut)
    def post(self, body):
        """Send failed messages again (all of them without ``ids``): due now, attempts counted afresh."""
        return {"requeued": ops.requeue_messages(services(), request_uow(), actor(), body.get("ids"))}


@blp.route("/me/notifications")
class Notifications(MethodView):
    @blp.response(200, NotificationsOut)
    def get(self):
        """My notification choices: channels for reminders and escalations, for new 待办, my mobile number."""
        return notices.choices(services(), request_uow(), actor())

    @blp.arguments(NotificationsIn)
    @blp.response(200, NotificationsOut)
    def put(self, body):
        """Change my choices; a field left out keeps its value, null returns it to the deployment's default."""
        return notices.choose(services(), request_uow(), actor(), body)
