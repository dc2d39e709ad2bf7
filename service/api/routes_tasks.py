"""GET /api/tasks (inbox), GET /api/tasks/done, GET /api/tasks/{id}, POST .../claim, POST .../complete."""
from __future__ import annotations

from flask.views import MethodView

from ..flows import tasks
from .context import actor, request_uow, services
from .parsing import Blueprint
from .schemas import AssignIn, CompleteIn, PageArgs, StrandedPage, TaskDetailOut, TaskOut, TaskPage, TaskQuery

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="待办任务")


def task_view(row, now) -> dict:
    """A task row with the derived ``overdue`` flag."""
    return tasks.view(row, now)


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.response(200, TaskPage)
    def get(self, q):
        """My inbox: open tasks my roles and branches may act on, earliest due first, each with its instance's
        title and its branch's name."""
        svc, uow = services(), request_uow()
        rows, total = tasks.inbox(svc, uow, actor(), process=q.get("process"), branch=q.get("branch"),
                                  overdue=q["overdue"], limit=q["per_page"], offset=(q["page"] - 1) * q["per_page"])
        return {"items": tasks.with_context(uow, rows, svc.clock.now()), "total": total, "page": q["page"],
                "per_page": q["per_page"]}


@blp.route("/done")
class Done(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, TaskPage)
    def get(self, q):
        """Tasks I completed (已办), most recently completed first, each with its instance's title and its
        branch's name."""
        svc, uow = services(), request_uow()
        rows, total = tasks.done(svc, uow, actor(), limit=q["per_page"], offset=(q["page"] - 1) * q["per_page"])
        return {"items": tasks.with_context(uow, rows, svc.clock.now()), "total": total, "page": q["page"],
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
        """One task with its form (JSON Schema with display hints: x-enum-labels, x-order) and the process
        data it sees."""
        svc, uow = services(), request_uow()
        row, form, data = tasks.detail(svc, uow, actor(), task_id)
        now = svc.clock.now()
        return dict(tasks.with_context(uow, [row], now)[0], form=form, process_data=data,
                    alongside=tasks.alongside(uow, row, now))


@blp.route("/<string:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id):
        """Claim a task: colleagues holding the same role can no longer complete it."""
        svc = services()
        return task_view(tasks.claim(svc, request_uow(), actor(), task_id), svc.clock.now())


@blp.route("/<string:task_id>/release")
class Release(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id):
        """Give up a claim (the claimant, the branch secretary or a supervisor): the task is shared again."""
        svc = services()
        return task_view(tasks.release(svc, request_uow(), actor(), task_id), svc.clock.now())


@blp.route("/<string:task_id>/complete")
class Complete(MethodView):
    @blp.arguments(CompleteIn)
    @blp.response(200, TaskOut)
    def post(self, body, task_id):
        """Submit the task's form; 422 names failing fields, 409 when the task or version moved on."""
        svc = services()
        row = tasks.complete(svc, request_uow(), actor(), task_id, body["data"], body.get("version"))
        return task_view(row, svc.clock.now())
