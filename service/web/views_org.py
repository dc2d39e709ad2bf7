"""Pages of the organisation and the 公示栏: the admin's 组织管理 (branches, party groups, people: add a branch
or a group, move a person to another group, disable an account) and the 公示栏 of a branch (a quarter's
approved claims, a month's duty scores). Routes join the pages' blueprint and call the same use cases as
the API."""
from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for

from ..domain.errors import BranchflowError
from ..domain.quarters import quarter_of
from ..flows import claiming, org
from . import zh
from .session import branch_names, page, services, uow
from .views import bp


def _flash_error(exc: BranchflowError) -> None:
    first = exc.errors[0] if exc.errors else {}
    flash(f"{first.get('field') + '：' if first.get('field') else ''}{first.get('message_zh') or zh.error_zh(exc)}", "error")


@bp.route("/admin/org")
@page("PATCH /api/people/{username}")  # an admin's page: the table's organisation rows admit admins only
def org_admin():
    """组织管理: the branches, the chosen branch's party groups and people."""
    names = branch_names()
    branch = request.args.get("branch") or next(iter(names), None)
    return render_template("org.html", branches=org.branches(uow()), branch=branch,
                           groups=org.groups(uow(), branch) if branch in names else [],
                           people=org.people(uow(), g.actor, branch) if branch in names else [])


@bp.route("/admin/org/<action>", methods=["POST"])
@page("POST /api/branches")
def org_action(action):
    """Add a branch or a group, move a person to another group, disable or enable an account."""
    svc, form = services(), request.form
    branch = form.get("branch", "")
    try:
        if action == "branch":
            org.add_branch(uow(), g.actor, form.get("code", "").strip(), form.get("name", ""))
            flash("已添加支部。", "ok")
            branch = form.get("code", "").strip()
        elif action == "group":
            org.add_group(uow(), g.actor, branch, form.get("name", ""), form.get("leader") or None)
            flash("已成立党小组。", "ok")
        elif action == "move":
            group = form.get("group_id", "")
            org.update_person(svc, uow(), g.actor, form.get("username", ""),
                              {"group_id": int(group) if group.isdigit() else None})
            flash("已调整党小组，其未办的个人任务已退回支委会重新指派。", "ok")
        elif action in ("disable", "enable"):
            org.update_person(svc, uow(), g.actor, form.get("username", ""), {"active": action == "enable"})
            flash("已启用。" if action == "enable" else "已停用，其未办的个人任务已退回支委会重新指派。", "ok")
    except BranchflowError as exc:
        _flash_error(exc)
    return redirect(url_for("web.org_admin", branch=branch or None), 303)


@bp.route("/duty-board")
@page("GET /api/duty/board")
def duty_board():
    """公示栏: a branch's duty scores of a month and approved claims of the month's quarter."""
    names = branch_names()
    mine = [b for b in g.actor.home_branches() if b in names]
    branch = request.args.get("branch") or (mine[0] if mine else next(iter(names), None))
    month = request.args.get("month") or services().clock.now().strftime("%Y-%m")
    scores = claims = None
    try:
        scores = claiming.board(uow(), g.actor, branch, month)
        claims = claiming.claims_board(uow(), g.actor, branch, quarter_of(date.fromisoformat(month + "-01")))
    except (BranchflowError, ValueError) as exc:
        if isinstance(exc, BranchflowError):
            _flash_error(exc)
    return render_template("duty_board.html", branch=branch, month=month, scores=scores, claims=claims,
                           KINDS={"basic": "基础岗", "tough": "攻坚岗", "service": "服务岗"})
