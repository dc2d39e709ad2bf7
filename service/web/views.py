"""The pages. Each view names the API operation it mirrors (``@page``) and calls the same use case."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from markupsafe import Markup

from ..domain.errors import BranchflowError, TooLarge, TooManyAttempts, UnsupportedType, ValidationFailed
from ..domain.permissions import TERMINATE
from ..domain.roles import ROLE_LABELS, Grant
from ..flows import (attachments, audit, auth, calendar_admin, inspections, instances, operations, overview, ratings,
                     tasks, tickets)
from . import charts, formrender, start_forms, zh
from .session import branch_names, current_actor, error_page, page, services, uow

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")
PER_PAGE = 20


@bp.errorhandler(BranchflowError)
def _use_case_error(exc):
    return error_page(exc)


@bp.errorhandler(Exception)
def _unexpected(exc):
    """A fault, not the user's input: logged with its trace, answered with a Chinese page (no trace shown)."""
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return render_template("error.html", status=exc.code, message={404: "找不到该页面。", 405: "不支持该操作。", 413: "上传的内容太大。"}.get(
            exc.code, "请求无法处理。")), exc.code
    current_app.logger.exception("page %s failed", request.path)
    return render_template("error.html", status=500, message="系统出错，本次操作没有保存任何内容，请稍后再试。"), 500


@bp.app_context_processor
def _words():
    me = current_actor() if request.blueprint == "web" else None
    return {"zh": zh, "me": me, "profile": auth.profile(uow(), me) if me else None,
            "roles": {grant.role for grant in me.grants} if me else set(), "ROLE_LABELS": ROLE_LABELS,
            "BRANCHES": _Branches()}


class _Branches(dict):
    """The organisation's branches for templates, read from the database only when a template uses them."""

    def items(self):
        return branch_names().items()

    def get(self, key, default=None):
        return branch_names().get(key, default)

    def __iter__(self):
        return iter(branch_names())


@bp.app_template_filter("cst")
def _cst(value):
    return zh.when(value)


@bp.app_template_filter("tojson_script")
def _json_script(value):
    """JSON safe inside a <script> element."""
    return Markup(json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c"))


@bp.app_template_global("draw_chart")
def _draw_chart(chart: dict, label: str, test: str | None = None):
    """An inline SVG line chart (``charts.line_chart``'s geometry), for the ``_chart.html`` macro."""
    return charts.svg(chart, label, test)


def _pages(total: int) -> dict:
    current = max(1, request.args.get("page", 1, type=int) or 1)
    return {"page": current, "pages": max(1, math.ceil(total / PER_PAGE)), "total": total,
            "offset": (current - 1) * PER_PAGE}


def _args(**changes) -> dict:
    """The current query arguments with some changed (for filter and paging links)."""
    out = {k: v for k, v in request.args.items() if v}
    out.update({k: v for k, v in changes.items()})
    return {k: v for k, v in out.items() if v not in (None, "")}


@bp.app_template_global("with_args")
def _with_args(**changes):
    return url_for(request.endpoint, **dict(request.view_args or {}, **_args(**changes)))


# -- session -----------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """登录."""
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error = "请输入账号和密码。"
        else:
            try:
                token, _expires = auth.login(services(), uow(), username, password, request.remote_addr)
            except BranchflowError as exc:
                error = zh.error_zh(exc)
            else:
                session.clear()
                session["token"] = token
                target = request.args.get("next") or ""
                return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("web.inbox"), 303)
    return render_template("login.html", error=error, username=username), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """退出登录: the token is revoked, not only forgotten."""
    token = session.pop("token", None)
    if token:
        auth.revoke(services(), uow(), token)
    session.clear()
    return redirect(url_for("web.login"), 303)


@bp.route("/")
def home():
    return redirect(url_for("web.inbox"))


# -- 待办 / 已办 / 我发起的 ----------------------------------------------------------------------------


def _process_names() -> dict[str, str]:
    return overview.process_names(services())


@bp.route("/inbox")
@page("GET /api/tasks")
def inbox():
    """待办: my open tasks, overdue first then earliest due."""
    svc, who = services(), g.actor
    process = request.args.get("process") or None
    branch = request.args.get("branch") or None
    overdue = request.args.get("overdue") == "1"
    text = (request.args.get("q") or "").strip()[:50] or None
    paging = _pages(0)
    rows, total = tasks.inbox(svc, uow(), who, process=process, branch=branch, overdue=overdue, text=text,
                              limit=PER_PAGE, offset=paging["offset"])
    unfiltered = not (process or branch or overdue or text)
    counts = overview.inbox_counts(svc, uow(), who, total if unfiltered else None)  # the total is already counted
    return render_template("inbox.html", tab="inbox", items=tasks.with_context(uow(), rows, svc.clock.now()), paging=_pages(total),
                           counts=counts, processes=_process_names(), filters={"process": process, "branch": branch,
                                                                                "overdue": overdue, "q": text or ""})


@bp.route("/done")
@page("GET /api/tasks/done")
def done():
    """已办: tasks I completed."""
    svc = services()
    paging = _pages(0)
    rows, total = tasks.done(svc, uow(), g.actor, limit=PER_PAGE, offset=paging["offset"])
    return render_template("inbox.html", tab="done", items=tasks.with_context(uow(), rows, svc.clock.now()), paging=_pages(total),
                           counts=overview.inbox_counts(svc, uow(), g.actor), processes=_process_names(), filters={})


@bp.route("/mine")
@page("GET /api/instances/mine")
def mine():
    """我发起的: instances I started."""
    svc = services()
    paging = _pages(0)
    items, total = instances.started_by_me(svc, uow(), g.actor, limit=PER_PAGE, offset=paging["offset"])
    return render_template("inbox.html", tab="mine", instances=items, paging=_pages(total),
                           counts=overview.inbox_counts(svc, uow(), g.actor), processes=_process_names(), filters={})


# -- a task ------------------------------------------------------------------------------------------


class UploadRefused(Exception):
    """A file of an upload field was refused (type, size, empty): shown beside that field."""

    def __init__(self, field: str, cause: BranchflowError):
        super().__init__(cause.message)
        self.field, self.cause = field, cause


def _upload_files(form_schema: dict | None, branch: str | None) -> dict[str, list[str]]:
    """Store the files of every upload field; ids by field, to add to what the form already holds (a file
    stored before another is refused stays stored: content-addressed, and listed again when re-sent)."""
    added = {}
    for name in (form_schema or {}).get("x-attachments", []):
        for upload in request.files.getlist(f"file.{name}"):
            if upload and upload.filename:
                try:
                    row = attachments.upload(services(), uow(), g.actor, branch, upload.filename, upload.stream)
                except (ValidationFailed, TooLarge, UnsupportedType) as exc:
                    raise UploadRefused(name, exc) from None
                added.setdefault(name, []).append(row.id)
    return added


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@page("GET /api/tasks/{task_id}")
def task(task_id):
    """A task: what it is about, the data before it, its form; POST submits it."""
    svc = services()
    row, form, data = tasks.detail(svc, uow(), g.actor, task_id)
    view = tasks.with_context(uow(), [row], svc.clock.now())[0]
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = formrender.parse(form, request.form)
        try:
            for name, ids in _upload_files(form, row.branch).items():
                values[name] = list(values.get(name) or []) + ids
            tasks.complete(svc, uow(), g.actor, task_id, values, request.form.get("_version", type=int))
        except UploadRefused as exc:
            errors, status = {exc.field: zh.error_zh(exc.cause)}, 422
        except ValidationFailed as exc:
            errors, status = formrender.errors_by_field(exc.errors), 422
        except BranchflowError as exc:
            flash(zh.error_zh(exc), "error")
            return redirect(url_for("web.task", task_id=task_id), 303)
        else:
            flash(f"「{row.name}」已提交。", "ok")
            return redirect(url_for("web.done"), 303)
    guide = overview.task_guide(svc, uow(), g.actor, row.instance_id, row.element)
    if request.method == "GET":  # a delegate's work to confirm, or what was submitted before a withdrawal
        values = row.draft or operations.last_submission(uow(), row.instance_id, row.id)
    targets = operations.send_back_targets(svc, uow(), g.actor, task_id) if row.status == "open" else []
    alongside = tasks.alongside(uow(), row, svc.clock.now()) if row.status == "open" else []
    return render_template("task.html", task=view, guide=guide, data=data, form=form, targets=targets, alongside=alongside,
                           fields=_with_errors(form, values, errors), errors=errors), status


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@page("POST /api/tasks/{task_id}/claim")
def claim(task_id):
    tasks.claim(services(), uow(), g.actor, task_id)
    flash("已认领：同角色的其他人不能再办理此任务。", "ok")
    return redirect(url_for("web.task", task_id=task_id), 303)


def _op(action, done_message: str, back: str):
    """Run a task operation from a form; its refusal is a Chinese message on the page it came from."""
    try:
        action()
    except ValidationFailed as exc:
        flash(zh.error_zh(exc), "error")
    else:
        flash(done_message, "ok")
    return redirect(back, 303)


@bp.route("/tasks/<task_id>/send-back", methods=["POST"])
@page("POST /api/tasks/{task_id}/send-back")
def send_back(task_id):
    row = tasks.detail(services(), uow(), g.actor, task_id)[0]
    return _op(lambda: operations.send_back(services(), uow(), g.actor, task_id, request.form.get("target"),
                                            request.form.get("reason")),
               "已退回。", url_for("web.instance", instance_id=row.instance_id))


@bp.route("/tasks/<task_id>/withdraw", methods=["POST"])
@page("POST /api/tasks/{task_id}/withdraw")
def withdraw(task_id):
    operations.withdraw(services(), uow(), g.actor, task_id)
    flash("已撤回，请修改后重新提交。", "ok")
    return redirect(url_for("web.task", task_id=task_id), 303)


@bp.route("/tasks/<task_id>/transfer", methods=["POST"])
@page("POST /api/tasks/{task_id}/transfer")
def transfer(task_id):
    return _op(lambda: operations.transfer(services(), uow(), g.actor, task_id, request.form.get("to", "").strip(),
                                           request.form.get("reason")),
               "已转办。", url_for("web.inbox"))


@bp.route("/tasks/<task_id>/delegate", methods=["POST"])
@page("POST /api/tasks/{task_id}/delegate")
def delegate(task_id):
    return _op(lambda: operations.delegate(services(), uow(), g.actor, task_id, request.form.get("to", "").strip(),
                                           request.form.get("reason")),
               "已委派，对方办理后会回到您这里确认。", url_for("web.inbox"))


@bp.route("/tasks/<task_id>/countersign", methods=["POST"])
@page("POST /api/tasks/{task_id}/countersign")
def countersign(task_id):
    return _op(lambda: operations.countersign(services(), uow(), g.actor, task_id, request.form.get("signer", "").strip(),
                                              request.form.get("when"), request.form.get("reason")),
               "已加签。", url_for("web.task", task_id=task_id))


@bp.route("/me/deputies", methods=["GET", "POST"])
@page("POST /api/me/deputies")
def deputies():
    """代理: name a deputy while I am away."""
    if request.method == "POST":
        try:
            auth.name_deputy(services(), uow(), g.actor, request.form.get("deputy", "").strip(),
                             request.form.get("starts_on"), request.form.get("ends_on"))
        except ValidationFailed as exc:
            flash(zh.error_zh(exc), "error")
        else:
            flash("已设置代理人。", "ok")
        return redirect(url_for("web.deputies"), 303)
    return render_template("deputies.html", items=auth.deputies(uow(), g.actor))


@bp.route("/tasks/<task_id>/urge", methods=["POST"])
@page("POST /api/tasks/{task_id}/urge")
def urge(task_id):
    row = tasks.detail(services(), uow(), g.actor, task_id)[0]
    back = url_for("web.instance", instance_id=row.instance_id)
    try:
        names = operations.urge(services(), uow(), g.actor, task_id, request.form.get("note", ""))
    except TooManyAttempts:
        flash("该任务一小时内已催办过，请稍后再催。", "error")
    else:
        flash(f"已催办 {len(names)} 人。", "ok")
    return redirect(back, 303)


@bp.route("/instances/<instance_id>/terminate", methods=["POST"])
@page("POST /api/instances/{instance_id}/terminate")
def terminate(instance_id):
    return _op(lambda: operations.terminate(services(), uow(), g.actor, instance_id, request.form.get("reason")),
               "已终止。", url_for("web.instance", instance_id=instance_id))


@bp.route("/instances/<instance_id>/cc", methods=["POST"])
@page("POST /api/instances/{instance_id}/cc")
def carbon_copy(instance_id):
    names = [n for n in re.split(r"[,，、\s]+", request.form.get("recipients", "")) if n]
    roles = [r for r in [request.form.get("role", "")] if r]
    return _op(lambda: operations.carbon_copy(services(), uow(), g.actor, instance_id, names,
                                              request.form.get("task_id") or None, request.form.get("note", ""), roles),
               "已抄送。", request.referrer or url_for("web.instance", instance_id=instance_id))


@bp.route("/cc")
@page("GET /api/cc")
def copies():
    """抄送我的: instances I was copied in on."""
    svc = services()
    paging = _pages(0)
    items, total = operations.copies(svc, uow(), g.actor, limit=PER_PAGE, offset=paging["offset"])
    return render_template("inbox.html", tab="cc", copies=items, paging=_pages(total),
                           counts=overview.inbox_counts(svc, uow(), g.actor), processes=_process_names(), filters={})


@bp.route("/cc/<cc_id>/read", methods=["POST"])
@page("POST /api/cc/{cc_id}/read")
def copy_read(cc_id):
    operations.mark_read(services(), uow(), g.actor, cc_id)
    return redirect(url_for("web.copies"), 303)


@bp.route("/tasks/<task_id>/release", methods=["POST"])
@page("POST /api/tasks/{task_id}/claim")
def release(task_id):
    tasks.release(services(), uow(), g.actor, task_id)
    flash("已释放认领：同角色的人都可以办理。", "ok")
    return redirect(url_for("web.task", task_id=task_id), 303)


# -- starting a process ------------------------------------------------------------------------------


def _startable() -> list[dict]:
    """What the actor may start from a page: processes with their start forms, and the processes started
    through another operation (a round, a rating) with that operation's form; a process started by a
    round's own publication (one peer inspection) is not offered on its own."""
    items = []
    for item in instances.startable(services(), uow(), g.actor):
        if item["via"] is None:
            items.append(item)
        elif item["via"] in start_forms.FORMS and start_forms.FORMS[item["via"]][0] == item["process"]:
            items.append(dict(item, form=start_forms.FORMS[item["via"]][1](branch_names())))
    return items


@bp.route("/start")
@page("GET /api/processes/startable")
def start_list():
    """发起: the processes I may start."""
    return render_template("start_list.html", items=_startable())


@bp.route("/start/<process>", methods=["GET", "POST"])
@page("POST /api/instances")
def start(process):
    """A start form; POST starts the process (or the round / rating it belongs to)."""
    svc = services()
    found = [p for p in _startable() if p["process"] == process]
    if not found:
        abort(404)
    item = found[0]
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = formrender.parse(item["form"], request.form)
        try:
            inst = _start(item, values)
        except ValidationFailed as exc:
            errors, status = formrender.errors_by_field(exc.errors, prefix="variables"), 422
        else:
            flash(f"已发起「{item['name']}」。", "ok")
            return redirect(url_for("web.instance", instance_id=inst) if inst else url_for("web.plaque_board"), 303)
    return render_template("start.html", item=item, fields=_with_errors(item["form"], values, errors),
                           errors=errors), status


def _with_errors(form: dict | None, values: dict, errors: dict):
    rendered = formrender.fields(form, values, errors)
    return formrender.place_errors(rendered, errors) if errors else rendered


def _start(item: dict, values: dict) -> str | None:
    svc = services()
    if item["via"] == "POST /api/inspections/rounds":
        round_, _inspections = inspections.publish_round(svc, uow(), g.actor, start_forms.body_of(item["via"], values))
        return round_.id
    if item["via"] == "POST /api/ratings":
        ratings.rate_quarter(svc, uow(), g.actor, start_forms.body_of(item["via"], values))
        return None
    inst = instances.start(svc, uow(), g.actor, item["process"], values)
    uow().commit()
    return inst.id


# -- an instance -------------------------------------------------------------------------------------


@bp.route("/instances/<instance_id>")
@page("GET /api/instances/{instance_id}")
def instance(instance_id):
    """An instance: its pinned diagram with where it stands, the history, children, tickets, outcome."""
    svc = services()
    view = overview.overview(svc, uow(), g.actor, instance_id)
    history = audit.history(uow(), g.actor, instance_id)
    may_terminate = view["running"] and not view["parent_id"] and bool({gr.role for gr in g.actor.grants} & TERMINATE)
    people = [e["actor"] for e in history] + [e["data"]["assignee"] for e in history if e["data"].get("assignee")] + [
        name for t in view["open_tasks"] for name in (t.get("assignee"), t.get("claimed_by")) if name]
    return render_template("instance.html", inst=view, history=history, may_terminate=may_terminate,
                           names=overview.people(uow(), people))


@bp.route("/instances/<instance_id>/audit")
@page("GET /api/instances/{instance_id}/history/{seq}")
def instance_audit(instance_id):
    """审计: step through the events; the diagram and the open work as they stood after event ``seq``."""
    svc = services()
    view = overview.overview(svc, uow(), g.actor, instance_id)
    history = audit.history(uow(), g.actor, instance_id)
    seq = min(max(1, request.args.get("seq", len(history), type=int) or 1), len(history))
    state = audit.state_at(svc, uow(), g.actor, instance_id, seq)
    report = audit.verify(svc, uow(), g.actor, instance_id) if request.args.get("verify") == "1" else None
    return render_template("audit.html", inst=view, history=history, seq=seq, state=state, report=report,
                           names=overview.people(uow(), [e["actor"] for e in history]))


@bp.route("/instances/<instance_id>/export")
@page("GET /api/instances/{instance_id}/export")
def instance_export(instance_id):
    data = audit.export(uow(), g.actor, instance_id)
    return Response(json.dumps(data, ensure_ascii=False, default=str), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="audit-{instance_id}.json"'})


# -- boards ------------------------------------------------------------------------------------------


@bp.route("/tickets")
@page("GET /api/tickets")
def ticket_board():
    """整改销号: a branch's tickets, open / overdue / closed."""
    svc = services()
    branch = request.args.get("branch") or None
    status = request.args.get("status") or None
    paging = _pages(0)
    items, counts = tickets.list_tickets(svc, uow(), g.actor, branch=branch, status=status, source=None,
                                         limit=PER_PAGE, offset=paging["offset"])
    return render_template("tickets.html", items=items, counts=counts, paging=_pages(counts["total"]),
                           filters={"branch": branch, "status": status})


def _quarters(count: int = 6) -> list[str]:
    now = services().clock.now()
    year, q = now.year, (now.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out[::-1]


@bp.route("/plaques")
@page("GET /api/ratings")
def plaque_board():
    """季度亮牌: branches × quarters, with the composite scores drawn over the quarters."""
    quarters = _quarters()
    boards = {q: {r["branch"]: r for r in ratings.board(uow(), q)} for q in quarters}
    return render_template("plaques.html", quarters=quarters, boards=boards, chart=_chart(quarters, boards))


def _chart(quarters, boards) -> dict:
    """Each branch's composite score over the quarters (an inline SVG, no script)."""
    return charts.line_chart([f"{q[2:4]}年Q{q[-1]}" for q in quarters],
                             [(name, [(boards[q].get(code) or {}).get("composite") for q in quarters])
                              for code, name in branch_names().items()])


@bp.route("/rounds/<round_id>/handbook")
@page("GET /api/inspections/rounds/{round_id}/handbook")
def handbook(round_id):
    """标准化经验手册 as HTML (``?format=pdf`` for the PDF)."""
    from ..documents import handbook_html, handbook_pdf

    svc = services()
    data = inspections.handbook(svc, uow(), g.actor, round_id)
    if request.args.get("format") == "pdf":
        return Response(handbook_pdf(data, svc.settings.pdf_font), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="handbook-{data["quarter"]}.pdf"'})
    return Response(handbook_html(data), mimetype="text/html")


# -- admin -------------------------------------------------------------------------------------------


@bp.route("/admin/users", methods=["GET", "POST"])
@page("GET /api/users")
def users():
    """用户管理: list, add, disable, reset a password, lift a login lock."""
    svc = services()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "password", "role", "branch", "email")}
        try:
            grant = Grant(values["role"], values["branch"] or None) if values["role"] else None
            auth.create_user(svc, uow(), g.actor, values["username"], values["password"], values["display_name"] or None,
                             [grant] if grant else [], values["email"] or None)
        except ValidationFailed as exc:
            errors, status = {e.get("field") or "_form": e.get("message_zh") or zh.error_zh(exc) for e in exc.errors}, 422
        else:
            flash(f"已添加用户 {values['username']}。", "ok")
            return redirect(url_for("web.users"), 303)
    return render_template("users.html", users=auth.list_users(svc, uow(), g.actor), errors=errors, values=values), status


@bp.route("/admin/users/<username>/<action>", methods=["POST"])
@page("POST /api/users/{username}/password")
def user_action(username, action):
    svc = services()
    if action == "password":
        password = request.form.get("password", "")
        try:
            auth.reset_password(svc, uow(), g.actor, username, password)
        except ValidationFailed as exc:
            flash(f"{username}：{zh.error_zh(exc)}", "error")
        else:
            flash(f"已重置 {username} 的密码。", "ok")
    elif action in ("disable", "enable"):
        auth.change_active(svc, uow(), g.actor, username, action == "enable")
        flash(f"已{'启用' if action == 'enable' else '停用'} {username}。", "ok")
    elif action == "unlock":
        auth.unlock(svc, uow(), g.actor, username)
        flash(f"已解除 {username} 的登录锁定。", "ok")
    else:
        abort(404)
    return redirect(url_for("web.users"), 303)


@bp.route("/admin/calendar", methods=["GET", "POST"])
@page("POST /api/calendar/years")  # an admin page: the years themselves are open to all (GET /api/calendar/years)
def calendar():
    """工作日历: which years have an official schedule, load one, provisional deadlines that will move."""
    svc = services()
    result, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            body = json.loads(upload.read().decode("utf-8")) if upload and upload.filename else None
            if body is None:
                raise ValidationFailed("no file", field="file")
            result = calendar_admin.load_year(svc, uow(), g.actor, body)
        except (ValueError, UnicodeDecodeError):
            error = "文件不是有效的 JSON 日历文件。"
        except ValidationFailed as exc:
            error = "日历文件有误：" + "；".join(f"{e.get('field')}：{e.get('message_zh') or e.get('message')}" for e in exc.errors)
        else:
            flash(f"已载入 {result.get('year')} 年官方日历。", "ok")
    return render_template("calendar.html", years=calendar_admin.years(svc), error=error, result=result,
                           provisional=overview.provisional(svc, uow(), g.actor)), (422 if error else 200)
