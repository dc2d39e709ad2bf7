"""督导看板 pages: the supervisor's overview, the duties behind a cell, and each table as ``.xlsx``. Routes
join the pages' blueprint, name the API operation they mirror and call the same use case."""
from __future__ import annotations

from functools import lru_cache

from flask import Response, abort, g, render_template, request, url_for
from markupsafe import Markup, escape

from ..domain import duties as D
from ..domain.errors import ValidationFailed
from ..flows import board
from . import board_tables, charts, zh
from .session import page, services, uow
from .views import bp


def _filters() -> dict:
    return {k: (request.args.get(k) or "").strip() or None for k in ("quarter", "month", "branch")}


def _args(filters: dict) -> dict:
    """The filters given, for links that keep them."""
    return {k: v for k, v in filters.items() if v}


def _choices() -> dict:
    """The months and quarters the filter offers (the last 12 and 6 up to now), and the branches."""
    current = D.month_of(services().clock.now())
    return {"months": [m.key for m in D.months_back(current, 12)][::-1],
            "quarters": D.quarters_back(current, 6)[::-1], "branches": board.branch_choices(uow(), g.actor)}


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
    return render_template("board.html", view=view, filters=filters, choices=_choices(), charts=_charts(view),
                           error=None, args=_args(filters), links=links, cells=_grid_cells(view, links),
                           heat=_heat_cells(view, links))


_NOTHING = '<span class="muted">—</span>'
#: escape for the overview's few repeated words (tones, months, kinds, branch codes): each escaped once
_word = lru_cache(maxsize=1024)(escape)


def _td(attributes: str, inner: str | None) -> str:
    """A cell of the overview's tables: ``inner``, or a muted dash when there is nothing to show."""
    return f"<td {attributes}>{inner if inner is not None else _NOTHING}</td>"


def _grid_cells(view: dict, links: dict) -> dict[str, Markup]:
    """Branch → its row's duty cells (已办/应办, 迟, 逾, each a link to the duties behind it), written here
    rather than in the template: some 600 cells of a dozen values each cost a template more than the
    queries behind them."""
    out = {}
    for b in view["branches"]:
        code, parts = _word(b["branch"]), []
        for k in view["kinds"]:
            key, c = _word(k["key"]), b["cells"][k["key"]]
            inner = None
            if c["due"]:
                dl = escape(f"{links['duties']}?branch={b['branch']}&kind={k['key']}&{links['period']}")
                inner = f'<a href="{dl}">{c["on_time"] + c["late"]}/{c["due"]}</a>'
                if c["late"]:
                    inner += f'<br><a class="late-n" href="{dl}&amp;state=late">迟{c["late"]}</a>'
                if c["overdue"]:
                    inner += f' <a class="over-n" href="{dl}&amp;state=overdue">逾{c["overdue"]}</a>'
            parts.append(_td(f'class="cell {_word(c["tone"])}" data-test="cell-{code}-{key}" data-due="{c["due"]}" '
                             f'data-on-time="{c["on_time"]}" data-late="{c["late"]}" data-overdue="{c["overdue"]}"', inner))
        out[b["branch"]] = Markup("".join(parts))
    return out


def _heat_cells(view: dict, links: dict) -> dict[str, Markup]:
    """Branch → its heat-map row's cells (on-time rate by month, each a link to that month's overview)."""
    out = {}
    for r in view["heatmap"]["rows"]:
        code, parts = _word(r["branch"]), []
        for c in r["cells"]:
            inner = None
            if c["rate"] is not None:
                href = escape(f"{links['board']}?month={c['month']}{links['branch']}")
                inner = f'<a href="{href}">{int(round(c["rate"] * 100, 0))}%</a>'
            parts.append(_td(f'class="{_word(c["tone"])}" title="按时 {c["on_time"]} / 已到期 {c["closed_or_overdue"]}" '
                             f'data-test="heat-{code}-{_word(c["month"])}"', inner))
        out[r["branch"]] = Markup("".join(parts))
    return out


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
