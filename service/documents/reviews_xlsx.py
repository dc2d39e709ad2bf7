"""The annual review roll-up as an Excel workbook (openpyxl): one sheet each for secretaries, helpers and
branches, every row naming the instances its figures came from."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

_BAND = {"model": "示范牌", "standard": "达标牌", "striving": "争先牌"}


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for column, name in zip(ws.columns, header):
        ws.column_dimensions[column[0].column_letter].width = max(12, min(60, 2 * len(name) + 4))
    ws.freeze_panes = "A2"
    return ws


def reviews_xlsx(review: dict) -> bytes:
    """The workbook of ``flows.reviews.annual_review``'s result."""
    wb = Workbook()
    secretaries = []
    for s in review["secretaries"]:
        secretaries.append([s["branch_name"], s["display_name"] or s["username"] or "（空缺）", s["bonus_total"],
                            "；".join(b["reason"] for b in s["bonus_items"]),
                            len(s["interviews"]), "；".join(i["reason"] for i in s["interviews"]),
                            " ".join(sorted({x["instance"] for x in s["bonus_items"] + s["interviews"]}))])
    _sheet(wb, "支部书记", ["支部", "支部书记", "加分", "加分事项", "约谈次数", "约谈事由", "来源实例"], secretaries, first=True)
    helpers = []
    for h in review["helpers"]:
        helpers.append([h["display_name"] or h["username"], "、".join(h["branches"]),
                        "可评优秀" if h["excellent_eligible"] else "不得评为优秀", h["why"],
                        "是" if h["qualified"] else "否",
                        " ".join(sorted({i for r in h["not_met_runs"] for i in r["instances"]}
                                        | {q["instance"] for q in h["qualified"]}))])
    _sheet(wb, "政工负责人", ["政工负责人", "结对支部", "优秀资格", "理由", "帮扶合格（优先评优）", "来源实例"], helpers)
    branches = []
    for b in review["branches"]:
        t = b["tickets"]
        branches.append([b["branch_name"],
                         "；".join(f"{p['quarter']} {_BAND.get(p['plaque'], p['plaque'] or '')}" for p in b["plaques"]),
                         "；".join(f"{a['quarter']} {a['score']:g}" for a in b["assessments"]),
                         t["opened"], t["closed"], t["overdue"],
                         " ".join(sorted({p["instance"] for p in b["plaques"]} | {a["instance"] for a in b["assessments"]}
                                         | set(t["instances"]["opened"])))])
    _sheet(wb, "支部", ["支部", "亮牌（按季度）", "季度考核得分", "整改问题（新增）", "已销号", "逾期", "来源实例"], branches)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
