"""Pages of operations: the 运维 page for admins (backlogs, failed timers, failed and waiting messages, with
re-queue) and every person's 通知设置. Routes join the pages' blueprint; each names the API operation it
mirrors and calls the same use case."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from ..domain.errors import ValidationFailed
from ..flows import notices, ops, timers
from .session import page, services, uow
from .views import bp

STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
PER_PAGE = 50


@bp.route("/admin/ops")
@page("GET /api/ops/status")
def ops_overview():
    """运维: backlogs, failed timers, messages of one status (failed by default), with re-queue."""
    svc = services()
    status = request.args.get("status", "failed")
    if status not in STATUS_LABELS:
        status = "failed"
    return render_template("ops_overview.html", backlog=ops.status(svc, uow(), g.actor),
                           failed_timers=timers.failed_timers(svc, uow(), g.actor, limit=200),
                           messages=ops.messages(svc, uow(), g.actor, status, PER_PAGE), status=status,
                           STATUS_LABELS=STATUS_LABELS, channels=notices.CHANNELS)


@bp.route("/admin/ops/timers/requeue", methods=["POST"])
@page("POST /api/timers/requeue")
def ops_requeue_timers():
    """Put one failed timer (``id``) or every failed timer back; the scheduler fires them at once."""
    ids = request.form.getlist("id") or None
    done = timers.requeue(services(), uow(), g.actor, ids)
    flash(f"已重新排队 {len(done)} 个定时器，调度器将立即处理。", "ok")
    return redirect(url_for("web.ops_overview"), 303)


@bp.route("/admin/ops/outbox/requeue", methods=["POST"])
@page("POST /api/outbox/requeue")
def ops_requeue_messages():
    """Send one failed message (``id``) or every failed message again."""
    try:
        ids = [int(i) for i in request.form.getlist("id")] or None
    except ValueError:
        ids = [0]
    done = ops.requeue_messages(services(), uow(), g.actor, ids)
    flash(f"已重新发送 {len(done)} 条消息。", "ok")
    return redirect(url_for("web.ops_overview", status="failed"), 303)


@bp.route("/settings/notifications", methods=["GET", "POST"])
@page("GET /api/me/notifications")
def notification_settings():
    """通知设置: the channels for reminders and escalations, for new 待办, and the mobile number robots @."""
    svc = services()
    error, status = None, 200
    if request.method == "POST":
        body = {"channels": [c for c in request.form.getlist("channels") if c],
                "new_task_channels": [c for c in request.form.getlist("new_task_channels") if c],
                "mobile": request.form.get("mobile", "").strip()}
        if request.form.get("default_channels"):
            body["channels"] = None
        try:
            notices.choose(svc, uow(), g.actor, body)
        except ValidationFailed as exc:
            error, status = "；".join(_zh(e) for e in exc.errors) or "输入有误。", 422
        else:
            flash("通知设置已保存。", "ok")
            return redirect(url_for("web.notification_settings"), 303)
    return render_template("ops_notifications.html", choices=notices.choices(svc, uow(), g.actor),
                           channels=notices.CHANNELS, error=error), status


def _zh(entry: dict) -> str:
    if entry.get("field") == "mobile":
        return "手机号应为5–20位数字（可以+开头）"
    return entry.get("message_zh") or "渠道不可用"
