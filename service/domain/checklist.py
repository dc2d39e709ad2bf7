"""The peer-inspection checklist (互查量化清单): items with maximum points, and the score of a sheet."""
from __future__ import annotations

import re

from .errors import ValidationFailed

#: version 1, from the seed: 结合"星级党支部"考核和党支部标准化要求 (points add up to 100)
DEFAULT_CHECKLIST = {
    "title": "党支部标准化互查量化清单",
    "items": [
        {"id": "organization", "title": "组织设置与班子建设", "max_points": 15,
         "rule": "支部委员会按期换届、分工明确，每缺一项扣3分"},
        {"id": "meetings", "title": "“三会一课”及组织生活", "max_points": 25,
         "rule": "对照台账逐月核查，缺一次扣2分，记录不规范每处扣1分"},
        {"id": "members", "title": "党员教育管理", "max_points": 15,
         "rule": "党员学习、党费收缴、积分管理齐全，缺一项扣3分"},
        {"id": "position", "title": "阵地建设（“六有”标准）", "max_points": 15,
         "rule": "有场所、有设施、有标志、有党旗、有书报、有制度，缺一项扣2.5分"},
        {"id": "problem_list", "title": "问题清单销号管理", "max_points": 15,
         "rule": "问题清单建立并按期销号，逾期未销号每项扣3分"},
        {"id": "integration", "title": "党建与业务融合", "max_points": 15,
         "rule": "融合专项指标完成情况，按完成率折算得分"},
    ],
}

_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def validate_checklist(data: object) -> dict:
    """Check a checklist (title, 1–50 items with unique ids and positive maxima); raise naming the field."""
    if not isinstance(data, dict):
        raise ValidationFailed("a checklist is a JSON object", field="(root)")
    errors = []
    title = data.get("title")
    if not isinstance(title, str) or not 2 <= len(title) <= 200:
        errors.append({"field": "title", "message": "title: 2–200 characters"})
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        errors.append({"field": "items", "message": "items: a list of 1–50 items"})
        items = []
    seen = set()
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            errors.append({"field": where, "message": "an item is an object"})
            continue
        if not isinstance(item.get("id"), str) or not _ITEM_ID.match(item["id"]):
            errors.append({"field": f"{where}.id", "message": "id: lower-case letters, digits and _, 1–40"})
        elif item["id"] in seen:
            errors.append({"field": f"{where}.id", "message": f"duplicate id {item['id']!r}"})
        seen.add(item.get("id"))
        if not isinstance(item.get("title"), str) or not 2 <= len(item["title"]) <= 200:
            errors.append({"field": f"{where}.title", "message": "title: 2–200 characters"})
        points = item.get("max_points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
            errors.append({"field": f"{where}.max_points", "message": "max_points: a number above 0, at most 100"})
        if not isinstance(item.get("rule", ""), str) or len(item.get("rule", "")) > 1000:
            errors.append({"field": f"{where}.rule", "message": "rule: text up to 1000 characters"})
        extra = set(item) - {"id", "title", "max_points", "rule"}
        if extra:
            errors.append({"field": f"{where}.{sorted(extra)[0]}", "message": "unknown item field"})
    extra = set(data) - {"title", "items"}
    if extra:
        errors.append({"field": sorted(extra)[0], "message": "unknown checklist field"})
    if errors:
        raise ValidationFailed("the checklist is not valid", errors=errors)
    return {"title": title, "items": [dict(item, rule=item.get("rule", "")) for item in items]}


def scores_schema(items: list[dict]) -> dict:
    """JSON Schema of a scoring sheet's ``scores``: one number per item, 0 to the item's maximum."""
    return {
        "type": "object",
        "title": "各项得分",
        "properties": {item["id"]: {"type": "number", "title": item["title"], "minimum": 0,
                                    "maximum": item["max_points"], "description": item.get("rule", "")}
                       for item in items},
        "required": [item["id"] for item in items],
        "additionalProperties": False,
    }


def score_percent(scores: dict, items: list[dict]) -> float:
    """A sheet's total normalised to 100 (what the plaque rating takes), rounded to 2 places."""
    total = sum(float(item["max_points"]) for item in items)
    return round(100.0 * sum(float(scores.get(item["id"], 0)) for item in items) / total, 2)
