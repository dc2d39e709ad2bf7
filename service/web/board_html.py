"""The overview's (督导看板) long tables and charts written as HTML in Python, for ``board.html``.

Fifty branches make some 1,200 grid and heat-map cells, 100 charts and 150 rows of people and overdue
work, each of a dozen values. Through Jinja every value is an attribute lookup, an escape and a string
chunk: the template cost more than the queries behind it. Here each row is one f-string; user text
(names, titles) is escaped with ``markupsafe.escape``, the few repeated words (tones, codes, months)
through one cached escape. The page's structure (sections, headings, filters) stays in the template, and
the HTML written here is the template's own, byte for byte.
"""
from __future__ import annotations

from functools import lru_cache

from jinja2.filters import do_urlencode
from markupsafe import Markup, escape

from . import charts, zh

NOTHING = '<span class="muted">—</span>'
#: escape for the overview's few repeated words (tones, months, kinds, branch codes): each escaped once
word = lru_cache(maxsize=1024)(escape)
ESCALATION = ("未升级", "一级督办（党群部）", "二级督办（党委）")
BAND_TONES = {"meets": "good", "needs_improvement": "warn", "fail": "bad"}


def td(attributes: str, inner: str | None) -> str:
    """A cell of the overview's tables: ``inner``, or a muted dash when there is nothing to show."""
    return f"<td {attributes}>{inner if inner is not None else NOTHING}</td>"


def duty_cells(branch: dict, kinds: list[dict], links: dict) -> str:
    """A branch's duty cells (已办/应办, 迟, 逾, each a link to the duties behind it)."""
    code, cells, parts = word(branch["branch"]), branch["cells"], []
    base = f'{escape(links["duties"])}?branch={code}&amp;kind='
    period = escape(links["period"])
    for k in kinds:
        key = word(k["key"])
        c = cells[k["key"]]
        due, on_time, late, overdue = c["due"], c["on_time"], c["late"], c["overdue"]
        inner = NOTHING
        if due:
            dl = f"{base}{key}&amp;{period}"
            inner = f'<a href="{dl}">{on_time + late}/{due}</a>'
            if late:
                inner += f'<br><a class="late-n" href="{dl}&amp;state=late">迟{late}</a>'
            if overdue:
                inner += f' <a class="over-n" href="{dl}&amp;state=overdue">逾{overdue}</a>'
        parts.append(f'<td class="cell {word(c["tone"])}" data-test="cell-{code}-{key}" data-due="{due}" '
                     f'data-on-time="{on_time}" data-late="{late}" data-overdue="{overdue}">{inner}</td>')
    return "".join(parts)


def _pairing(p: dict | None, links: dict) -> str:
    if not p:
        return '<span class="muted">未结对</span>'
    if p["month"]:
        text = f"第{p['month']}月" + (f"·第{p['week']}周" if p["week"] else "")
    else:
        text = "已结束" if p["status"] == "completed" else "启动中"
    out = f'<a href="{links["instance"]}{escape(p["id"])}">{text}</a>'
    return out + (f'<br><small>{escape(p["helper_name"])}</small>' if p["helper_name"] else "")


def _tickets(code: str, tickets: dict, links: dict) -> str:
    q = escape(do_urlencode(code))
    tone = "bad" if tickets["overdue"] else ("warn" if tickets["open"] else "none")
    out = (f'<td class="cell {tone}" data-test="tickets-{word(code)}">'
           f'<a href="{links["tickets"]}?status=open&amp;branch={q}">{tickets["open"]}</a>')
    if tickets["overdue"]:
        out += f'/<a href="{links["tickets"]}?status=overdue&amp;branch={q}">{tickets["overdue"]}</a>'
    return out + "</td>"


def _assessment(code: str, a: dict | None, links: dict) -> str:
    tone = BAND_TONES.get(a["band"], "none") if a else "none"
    inner = None
    if a:
        inner = (f'<a href="{links["instance"]}{escape(a["instance"])}">{escape(round(a["score"], 1))}</a><br>'
                 f'<small>{escape(a["quarter"] or "")} {escape(a["band_label"] or "")}</small>')
    return td(f'class="cell {tone}" data-test="assessment-{word(code)}"', inner)


def _plaque(code: str, p: dict | None, links: dict) -> str:
    inner = None
    if p:
        composite = p["composite"] if p["composite"] is not None else ""
        label = escape(p["plaque_label"] or "评定中")
        inner = (f'<a href="{links["instance"]}{escape(p["instance"])}">{label}</a><br>'
                 f'<small>{escape(p["quarter"])} {escape(composite)}</small>')
    return td(f'class="plaque {word(p["plaque"]) if p else ""}" data-test="plaque-{word(code)}"', inner)


def branch_rows(view: dict, links: dict) -> Markup:
    """The grid's rows: branch, pairing month and week, the duty cells, tickets, assessment and plaque."""
    kinds = view["kinds"]
    rows = [f'<tr data-branch="{word(b["branch"])}"><th>{escape(b["branch_name"])}</th>\n'
            f'<td>{_pairing(b["pairing"], links)}</td>\n{duty_cells(b, kinds, links)}\n'
            f'{_tickets(b["branch"], b["tickets"], links)}\n{_assessment(b["branch"], b["assessment"], links)}\n'
            f'{_plaque(b["branch"], b["plaque"], links)}\n</tr>' for b in view["branches"]]
    return Markup("".join(rows) or f'<tr><td colspan="{len(kinds) + 5}" class="empty">没有支部</td></tr>')


def heat_rows(view: dict, links: dict) -> Markup:
    """The heat map's rows: on-time rate by month, each a link to that month's overview."""
    rows, board, branch = [], escape(links["board"]), escape(links["branch"])
    for r in view["heatmap"]["rows"]:
        code, parts = word(r["branch"]), []
        for c in r["cells"]:
            month, rate = word(c["month"]), c["rate"]
            inner = NOTHING if rate is None else \
                f'<a href="{board}?month={month}{branch}">{int(round(rate * 100, 0))}%</a>'
            parts.append(f'<td class="{word(c["tone"])}" '
                         f'title="按时 {c["on_time"]} / 已到期 {c["closed_or_overdue"]}" '
                         f'data-test="heat-{code}-{month}">{inner}</td>')
        rows.append(f'<tr><th>{escape(r["branch_name"])}</th>{"".join(parts)}</tr>')
    return Markup("".join(rows))


def chart_cards(view: dict, drawn: dict) -> Markup:
    """Per branch a card of its two charts (``drawn``: branch → its charts' geometry)."""
    cards = []
    for r in view["scores"]["rows"]:
        name, code = r["branch_name"], r["branch"]
        cards.append(f'<li class="card" data-test="charts-{word(code)}"><b>{escape(name)}</b>\n'
                     f'{charts.svg(drawn[code]["scores"], name + "季度考核与亮牌综合得分", "scores-" + code)}\n'
                     f'{charts.svg(drawn[code]["tickets"], name + "未销号整改问题", "tickets-chart-" + code)}</li>')
    return Markup("".join(cards))


def _visits(h: dict) -> str:
    months = "，".join(f"{int(m['month'][5:])}月 {m['visits']} 次" for m in h["visits"])
    if h["visits_ok"] is False:
        tag = '<span class="tag late">不足</span>'
    elif h["visits_ok"]:
        tag = '<span class="tag closed">达标</span>'
    else:
        tag = '<span class="tag">本月进行中</span>' if h["visits"] else ""
    return f"{months} {tag}"


def helper_rows(view: dict) -> Markup:
    """帮扶人: visits per month of the period (≥ 2 each), spot checks done, duties escalated."""
    rows = [f'<tr class="{"late" if h["visits_ok"] is False else ""}">'
            f'<td data-label="帮扶人">{escape(h["helper_name"] or "—")}</td>'
            f'<td data-label="支部">{escape(h["branch_name"])}</td>\n'
            f'<td data-label="下沉指导" data-test="visits-{word(h["branch"])}">{_visits(h)}</td>\n'
            f'<td data-label="抽查完成">{h["spot_checks"]}</td><td data-label="被升级督办">{h["escalated"]}</td></tr>\n'
            for h in view["helpers"]]
    return Markup("".join(rows) or '<tr><td colspan="5" class="empty">本期没有帮扶人</td></tr>')


def secretary_rows(view: dict) -> Markup:
    """支部书记: the branch's tasks overdue now, duties done late, 约谈 received."""
    return Markup("".join(
        f'<tr class="{"late" if s["overdue"] else ""}"><td data-label="支部">{escape(s["branch_name"])}</td>'
        f'<td data-label="支部书记">{escape("、".join(s["secretaries"]) or "—")}</td>\n'
        f'<td data-label="逾期未办">{s["overdue"]}</td><td data-label="逾期办结">{s["late"]}</td>'
        f'<td data-label="约谈">{s["interviews"]}</td></tr>' for s in view["secretaries"]))


def overdue_rows(view: dict, links: dict) -> Markup:
    """Every task overdue now, oldest first: its instance, branch, due time, escalation and holders."""
    rows = []
    for o in view["overdue"]["items"]:
        level = o["escalation_level"]
        holders = f'：{escape("、".join(o["holders"]))}' if o["holders"] else ""
        rows.append(f'<tr class="late {"esc2" if level >= 2 else ""}"><td data-label="任务">'
                    f'<a href="{links["instance"]}{escape(o["instance_id"])}">{escape(o["name"])}</a><br>'
                    f'<small class="muted">{escape(o["title"])}</small></td>\n'
                    f'<td data-label="支部">{escape(o["branch_name"])}</td><td data-label="期限"><span class="late">'
                    f'{zh.when(o["due_at"])}</span><br><small>已逾期 {o["days_overdue"]} 天</small></td>\n'
                    f'<td data-label="督办">{ESCALATION[min(level, 2)]}</td>\n'
                    f'<td data-label="办理人">{escape(o["role_label"])}{holders}</td></tr>\n')
    return Markup("".join(rows) or '<tr><td colspan="5" class="empty">没有逾期任务</td></tr>')
