"""The overview's tables as plain rows (headers + values), for the ``.xlsx`` exports: one sheet per table,
the same figures the page shows (written by ``documents.table_xlsx``)."""
from __future__ import annotations

from ..documents.table_xlsx import table_xlsx
from .zh import when

TITLES = {"grid": "各支部职责完成情况", "heatmap": "职责按时完成率（按月）", "scores": "季度考核与亮牌综合得分",
          "tickets": "未销号整改问题（按周）", "helpers": "帮扶人履责", "secretaries": "支部书记履责",
          "overdue": "当前逾期任务"}
#: cell colours of the page, for the sheet (tone → fill)
FILLS = {"bad": "FDECEA", "warn": "FFF4D6", "good": "E8F5E9", "r1": "F5B7B1", "r2": "FAD7A0", "r3": "D5F5E3", "r4": "82E0AA"}


def _grid(view: dict):
    head = ["支部", "结对月次", "结对周次"]
    for k in view["kinds"]:
        head += [f"{k['label']}·应办", f"{k['label']}·按时", f"{k['label']}·逾期办结", f"{k['label']}·逾期未办"]
    head += ["整改中", "整改逾期", "最近考核季度", "最近考核得分", "亮牌季度", "亮牌综合得分", "亮牌"]
    rows, tones = [], []
    for b in view["branches"]:
        p, a, q = b["pairing"] or {}, b["assessment"] or {}, b["plaque"] or {}
        row, tone = [b["branch_name"], p.get("month"), p.get("week")], [None, None, None]
        for k in view["kinds"]:
            c = b["cells"][k["key"]]
            row += [c["due"], c["on_time"], c["late"], c["overdue"]]
            tone += [c["tone"]] * 4
        row += [b["tickets"]["open"], b["tickets"]["overdue"], a.get("quarter"), a.get("score"), q.get("quarter"),
                q.get("composite"), q.get("plaque_label")]
        rows.append(row)
        tones.append(tone + [None] * 7)
    return head, rows, tones


def _heatmap(view: dict):
    head = ["支部"] + view["heatmap"]["months"]
    rows = [[r["branch_name"]] + [None if c["rate"] is None else round(100 * c["rate"], 1) for c in r["cells"]]
            for r in view["heatmap"]["rows"]]
    tones = [[None] + [c["tone"] for c in r["cells"]] for r in view["heatmap"]["rows"]]
    return head, rows, tones


def _scores(view: dict):
    s = view["scores"]
    rows = [[r["branch_name"], q, r["assessment"][i], r["composite"][i]] for r in s["rows"] for i, q in enumerate(s["quarters"])]
    return ["支部", "季度", "考核得分", "亮牌综合得分"], rows, None


def _tickets(view: dict):
    t = view["tickets"]
    return ["支部"] + [f"截至{w}" for w in t["weeks"]], [[r["branch_name"]] + r["open"] for r in t["rows"]], None


def _helpers(view: dict):
    months = view["helpers"][0]["visits"] if view["helpers"] else []
    head = ["帮扶人", "支部"] + [f"{m['month']}下沉次数" for m in months] + ["每月不少于2次", "抽查完成", "被升级督办"]
    rows = [[h["helper_name"], h["branch_name"]] + [m["visits"] for m in h["visits"]]
            + ["进行中" if h["visits_ok"] is None else ("是" if h["visits_ok"] else "否"), h["spot_checks"], h["escalated"]]
            for h in view["helpers"]]
    return head, rows, None


def _secretaries(view: dict):
    rows = [[s["branch_name"], "、".join(s["secretaries"]), s["overdue"], s["late"], s["interviews"]]
            for s in view["secretaries"]]
    return ["支部", "支部书记", "逾期未办", "逾期办结", "约谈次数"], rows, None


def _overdue(view: dict):
    rows = [[o["name"], o["title"], o["branch_name"], o["role_label"], when(o["due_at"]), o["days_overdue"],
             o["escalation_level"], "、".join(o["holders"])] for o in view["overdue"]["items"]]
    return ["任务", "事项", "支部", "角色", "办理期限（北京时间）", "逾期天数", "督办级别", "办理人"], rows, None


TABLES = {"grid": _grid, "heatmap": _heatmap, "scores": _scores, "tickets": _tickets, "helpers": _helpers,
          "secretaries": _secretaries, "overdue": _overdue}


def workbook(view: dict, name: str) -> bytes:
    """The table ``name`` of an overview as an ``.xlsx`` file: a title line, the headers, the rows."""
    head, rows, tones = TABLES[name](view)
    title = f"{TITLES[name]}（{view['period']['label']}，截至 {when(view['now'])}）"
    return table_xlsx(TITLES[name], title, head, rows, tones, FILLS)
