"""GET /api/tasks (inbox), GET /api/tasks/{id}, POST .../claim, POST .../complete."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import tasks
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import AssignIn, CompleteIn, StrandedPage, TaskDetailOut, TaskOut, TaskPage, TaskQuery

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="待办任务")


def task_view(row, now) -> dict:
    """A task row with the derived ``overdue`` flag."""
    view = {c: getattr(row, c) for c in row.__table__.columns.keys()}
    view["overdue"] = tasks.is_overdue(row, now)
    return view


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskPage)
    def get(self, q):
        """My inbox: open tasks my roles and branches may act on, earliest due first."""
        svc = services()
        rows, total = tasks.inbox(svc, request_uow(), actor(), process=q.get("process"), branch=q.get("branch"),
                                  overdue=q["overdue"], limit=q["per_page"], offset=(q["page"] - 1) * q["per_page"])
        now = svc.clock.now()
        return {"items": [task_view(r, now) for r in rows], "total": total, "page": q["page"],
                "per_page": q["per_page"]}


@blp.route("/stranded")
class Stranded(MethodView):
    @blp.response(200, StrandedPage)
    def get(self):
        """Open tasks no active person can act on (role holder disabled, moved or never granted), with why."""
        now = services().clock.now()
        items = tasks.stranded(services(), request_uow(), actor())
        return {"items": [dict(i, task=task_view(i["task"], now)) for i in items]}


@blp.route("/<string:task_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """Make a task personal to a named person (recorded in the history with the reason)."""
        svc = services()
        row = tasks.assign(svc, request_uow(), actor(), task_id, body["assignee"], body["reason"])
        return task_view(row, svc.clock.now())


@blp.route("/<string:task_id>")
class TaskDetail(MethodView):
    @blp.response(200, TaskDetailOut)
    def get(self, task_id):
        """One task with its form (JSON Schema) and the process data it sees."""
        svc = services()
        row, form, data = tasks.detail(svc, request_uow(), actor(), task_id)
        return dict(task_view(row, svc.clock.now()), form=form, process_data=data)


@blp.route("/<string:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id):
        """Claim a task: colleagues holding the same role can no longer complete it."""
        svc = services()
        return task_view(tasks.claim(svc, request_uow(), actor(), task_id), svc.clock.now())


@blp.route("/<string:task_id>/complete")
class Complete(MethodView):
    @blp.arguments(CompleteIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """Submit the task's form; 422 names failing fields, 409 when the task or version moved on."""
        svc = services()
        row = tasks.complete(svc, request_uow(), actor(), task_id, body["data"], body.get("version"))
        return task_view(row, svc.clock.now())
