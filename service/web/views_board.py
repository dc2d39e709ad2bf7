"""督导看板 pages: the supervisor's overview, the duties behind a cell, and each table as ``.xlsx``. Routes
join the pages' blueprint, name the API operation they mirror and call the same use case."""
from __future__ import annotations

from flask import Response, abort, g, render_template, request, url_for

from ..domain import duties as D
from ..domain.errors import ValidationFailed
from ..flows import board
from . import board_html, board_tables, charts, zh
from .session import page, services, uow
from .views import bp


def _filters() -> dict:
    return {k: (request.args.get(k) or "").strip() or None for k in ("quarter", "month", "branch")}


def _args(filters: dict) -> dict:
    """The filters given, for links that keep them."""
    return {k: v for k, v in filters.items() if v}


def _choices(view: dict | None = None) -> dict:
    """The months and quarters the filter offers (the last 12 and 6 up to now), and the branches (those of
    ``view``, an overview of every branch the actor sees, when given)."""
    current = D.month_of(services().clock.now())
    branches = [(b["branch"], b["branch_name"]) for b in view["branches"]] if view else board.branch_choices(uow(), g.actor)
    return {"months": [m.key for m in D.months_back(current, 12)][::-1],
            "quarters": D.quarters_back(current, 6)[::-1], "branches": branches}


def _charts(view: dict) -> dict:
    """Per branch: quarterly assessment and plaque composite; open tickets at the end of each week."""
    quarters = [f"{q[2:4]}Q{q[-1]}" for q in view["scores"]["quarters"]]
    weeks = view["tickets"]["weeks"]
    week_labels = [f"{int(w[5:7])}/{int(w[8:])}" if (len(weeks) - 1 - i) % 4 == 0 else "" for i, w in enumerate(weeks)]
    out = {}
    for s, t in zip(view["scores"]["rows"], view["tickets"]["rows"]):
        top = charts.nice_max(t["open"])
        out[s["branch"]] = {
            "scores": charts.line_chart(quarters, [("季度考核", s["assessment"]), ("亮牌综合", s["composite"])],
                                        width=320, height=170, grid=(60, 80, 100)),
            "tickets": charts.line_chart(week_labels, [("未销号问题", t["open"])], width=320, height=150,
                                         top_value=top, grid=(0, top // 2, top), colors=("#b22222",))}
    return out


@bp.route("/board")
@page("GET /api/board")
def board_page():
    """督导看板: branches × the period, over time, people, and every overdue task now."""
    filters = _filters()
    try:
        view = board.overview(services(), uow(), g.actor, **filters)
    except ValidationFailed as exc:
        return render_template("board.html", view=None, error=zh.error_zh(exc), filters=filters,
                               choices=_choices(), args=_args(filters)), 422
    links = _links(view, filters)
    html = {"rows": board_html.branch_rows(view, links), "heat": board_html.heat_rows(view, links),
            "charts": board_html.chart_cards(view, _charts(view)), "helpers": board_html.helper_rows(view),
            "secretaries": board_html.secretary_rows(view), "overdue": board_html.overdue_rows(view, links)}
    return render_template("board.html", view=view, filters=filters, error=None,
                           choices=_choices(None if filters["branch"] else view),
                           args=_args(filters), html=html)


def _links(view: dict, filters: dict) -> dict:
    """Link bases for the page's thousand cells (url_for per cell cost more than the queries)."""
    period = f"quarter={filters['quarter']}" if filters["quarter"] else f"month={view['period']['key']}"
    # branch codes are organisation data of letters and digits: a page of fifty branches builds a thousand links
    return {"duties": url_for("web.board_duties"), "instance": url_for("web.instance", instance_id="x")[:-1],
            "board": url_for("web.board_page"), "tickets": url_for("web.ticket_board"), "period": period,
            "branch": f"&branch={filters['branch']}" if filters["branch"] else ""}  # a known code: overview checked it


@bp.route("/board/duties")
@page("GET /api/board/duties")
def board_duties():
    """The duties behind one cell of the overview, each linking to its instance."""
    filters = _filters()
    try:
        view = board.duties(services(), uow(), g.actor, kind=request.args.get("kind"),
                            state=request.args.get("state") or None, **filters)
    except ValidationFailed as exc:
        return render_template("board_duties.html", view=None, error=zh.error_zh(exc), args=_args(filters)), 422
    return render_template("board_duties.html", view=view, error=None, args=_args(filters),
                           STATE_LABELS={"on_time": "按时办结", "late": "逾期办结", "overdue": "逾期未办",
                                         "pending": "未到期", "escalated": "被升级督办"})


@bp.route("/board/export/<name>.xlsx")
@page("GET /api/board")
def board_export(name):
    """One table of the overview as an Excel file (the same filters as the page)."""
    if name not in board_tables.TABLES:
        abort(404)
    filters = _filters()
    try:
        view = board.overview(services(), uow(), g.actor, **filters)
    except ValidationFailed as exc:
        return render_template("board.html", view=None, error=zh.error_zh(exc), filters=filters,
                               choices=_choices(), args=_args(filters)), 422
    filename = f"board-{name}-{view['period']['key']}.xlsx"
    return Response(board_tables.workbook(view, name),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
