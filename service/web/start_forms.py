"""Forms for the operations some processes are started through (``x-start-via``): a quarter's peer-
inspection round and a quarter's plaque rating. Their own start forms describe the variables each
instance gets; these describe what a person enters, and the use case (``inspections.publish_round``,
``ratings.rate_quarter``) validates it, as it does for the JSON API."""
from __future__ import annotations

import re

QUARTER = {"type": "string", "title": "季度", "description": "如 2026Q2", "pattern": "^20[0-9]{2}Q[1-4]$"}


def _scores(title: str, hint: str, branches: dict[str, str]) -> dict:
    return {"type": "object", "title": title, "description": hint,
            "properties": {code: {"type": "number", "title": name, "minimum": 0, "maximum": 100}
                           for code, name in branches.items()}}


def _round_form(branches: dict[str, str]) -> dict:
    return {
        "title": "发布季度互查安排", "type": "object", "required": ["quarter", "teams"],
        "properties": {
            "quarter": QUARTER,
            "checklist_version": {"type": "integer", "title": "评分表版本", "description": "不填则用最新版本", "minimum": 1},
            "teams": {"type": "array", "title": "互查小组", "minItems": 1, "maxItems": max(1, len(branches)), "items": {
                "type": "object", "required": ["branch", "members"], "properties": {
                    "branch": {"type": "string", "title": "被检查支部", "enum": list(branches), "x-enum-labels": dict(branches)},
                    "members": {"type": "string", "title": "组员账号", "description": "1–2人，来自其他支部，用逗号分隔"}}}},
        }}


def _rating_form(branches: dict[str, str]) -> dict:
    return {
        "title": "季度亮牌评定", "type": "object", "required": ["quarter", "stars"],
        "properties": {
            "quarter": QUARTER,
            "stars": _scores("星级党支部考核得分", "只评定填写了得分的支部", branches),
            "inspection": _scores("互查得分（可选）", "不填则取本季度互查评分", branches),
            "pairing": _scores("帮扶成效得分（可选）", "不填则取结对帮扶最近一次季度考核", branches),
        }}


#: via operation → (the process the page lists it as, the form a person fills in, built from the branches)
FORMS = {
    "POST /api/inspections/rounds": ("inspection_round", _round_form),
    "POST /api/ratings": ("plaque_rating", _rating_form),
}


def body_of(via: str, values: dict) -> dict:
    """The use case's body from the page's values (members: a comma-separated list of accounts)."""
    body = dict(values)
    if via == "POST /api/inspections/rounds":
        body["teams"] = [dict(t, members=[m for m in re.split(r"[,，、\s]+", t.get("members", "")) if m])
                         for t in body.get("teams", [])]
    return body
