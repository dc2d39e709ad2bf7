"""Quarterly plaque rating (亮牌): gather the three inputs, start one rating per branch, show the board."""
from __future__ import annotations

from ..domain.bands import band_label
from ..domain.errors import ValidationFailed
from ..domain.quarters import assessment_quarter, previous_quarter, require_quarter
from ..domain.permissions import RATE_PLAQUES
from ..store.models import Instance
from ..store.uow import UnitOfWork
from . import instances
from .actors import Actor
from .context import Services

PROCESS = "plaque_rating"


def _ratings_of(uow: UnitOfWork, quarter: str, branch: str | None = None) -> list[Instance]:
    return [i for i in uow.instances.of_process(PROCESS, branch) if (i.data or {}).get("quarter") == quarter]


def _score(value, field: str, errors: list) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        errors.append({"field": field, "message": "a score from 0 to 100", "message_zh": "请填写0到100之间的分数"})
        return None
    return float(value)


def inspection_score(uow: UnitOfWork, quarter: str, branch: str) -> float | None:
    """The branch's peer-inspection score of ``quarter`` (normalised to 100), once its sheet is filled."""
    scores = [i.data.get("score_pct") for i in uow.instances.of_process("peer_inspection", branch)
              if (i.data or {}).get("quarter") == quarter and i.data.get("score_pct") is not None]
    return scores[-1] if scores else None


def pairing_score(uow: UnitOfWork, branch: str, quarter: str) -> tuple[float, str] | None:
    """The branch's pairing assessment of calendar quarter ``quarter`` (帮扶成效评分) and the instance it
    comes from (the quarter's ``pairing_quarterly`` child); None when no pairing of the branch assessed that
    quarter. Pairings begun before quarters were children keep their ``assessments`` list, whose ``quarter``
    is a term-quarter number read against the pairing's ``term_start``."""
    found = None
    for inst in uow.instances.of_process("pairing_quarterly", branch):  # a pairing on the calendar: one child a quarter
        result = (inst.data or {}).get("assessment_result")
        if result and result.get("quarter") == quarter and result.get("score") is not None:
            found = (float(result["score"]), inst.id)
    if found:
        return found
    for inst in uow.instances.of_process("pairing", branch):  # pairings begun before: the term's own list
        data = inst.data or {}
        for assessment in data.get("assessments") or []:
            if assessment_quarter(assessment, data.get("term_start")) == quarter and assessment.get("score") is not None:
                found = (float(assessment["score"]), inst.id)  # the latest of the quarter wins
    return found


def secretary_of(uow: UnitOfWork, branch: str) -> str:
    """The username of the branch's secretary (支部书记), or "" when the post is vacant."""
    for user in uow.identity.users_with("secretary", branch):
        if any(g.role == "secretary" and g.branch == branch and g.source is None for g in user.grants):
            return user.username
    return ""


def _bonus_granted(uow: UnitOfWork, quarter: str, secretary: str) -> bool:
    """Has ``secretary`` had the year's +5 (示范牌 two quarters running) in an earlier quarter of the year?"""
    if not secretary:
        return False
    year = quarter[:4]
    return any((i.data or {}).get("secretary") == secretary and (i.data or {}).get("secretary_bonus")
               and str((i.data or {}).get("quarter", "")).startswith(year) and i.data["quarter"] < quarter
               for i in uow.instances.of_process(PROCESS))


def rate_quarter(svc: Services, uow: UnitOfWork, actor: Actor, body: dict) -> list[Instance]:
    """Rate ``body.quarter`` for every branch in ``body.stars`` (star rating entered by the supervisor).

    The inspection score comes from the quarter's inspection and the pairing-effect score from the
    branch's pairing assessment of the same calendar quarter, unless ``body.inspection`` /
    ``body.pairing`` give them (the rating records which: ``pairing_source``, and says when the quarter
    has no assessment); a missing one is a 422 naming it."""
    names = uow.org.branch_names()
    actor.require(RATE_PLAQUES, "only the supervisor (党群部) rates plaques")
    quarter = require_quarter(body.get("quarter"))
    stars = body.get("stars")
    if not isinstance(stars, dict) or not stars:
        raise ValidationFailed("stars: the star rating of each branch to rate, e.g. {\"jg1\": 92}", field="stars",
                               message_zh="请至少填写一个支部的星级考核得分")
    given = {k: body.get(k) or {} for k in ("inspection", "pairing")}
    errors, inputs = [], {}
    for key in ("inspection", "pairing"):
        if not isinstance(given[key], dict):
            errors.append({"field": key, "message": f"{key}: scores by branch"})
            given[key] = {}
    for branch, star in stars.items():
        if branch not in names:
            errors.append({"field": f"stars.{branch}", "message": f"unknown branch {branch!r}"})
            continue
        if _ratings_of(uow, quarter, branch):
            errors.append({"field": f"stars.{branch}", "message": f"{names[branch]} is already rated for {quarter}",
                           "message_zh": f"{names[branch]}本季度已评定"})
            continue
        row = {"star": _score(star, f"stars.{branch}", errors)}
        assessed = pairing_score(uow, branch, quarter)
        derived = {"inspection": inspection_score(uow, quarter, branch), "pairing": assessed[0] if assessed else None}
        for key in ("inspection", "pairing"):
            value = given[key].get(branch, derived[key])
            if value is None:
                errors.append({"field": f"{key}.{branch}",
                               "message": f"no {key} score for {names[branch]} in {quarter}: give one",
                               "message_zh": f"{names[branch]}本季度没有{'互查' if key == 'inspection' else '结对考核（帮扶成效）'}得分，请填写"})
            else:
                row[key] = _score(value, f"{key}.{branch}", errors)
        if branch in given["pairing"]:
            row.update(pairing_source="given", pairing_note=(
                f"{quarter}无结对考核，帮扶成效评分由党群部填写" if assessed is None
                else f"党群部填写（{quarter}结对考核得分为{assessed[0]:g}）"))
        elif assessed is not None:
            row.update(pairing_source="assessment", pairing_instance=assessed[1],
                       pairing_note=f"{quarter}结对考核得分")
        inputs[branch] = row
    for key in ("inspection", "pairing"):
        for branch in set(given[key]) - set(stars):
            errors.append({"field": f"{key}.{branch}", "message": "only for branches rated in stars",
                           "message_zh": "只能为填写了星级考核得分的支部填写"})
    if errors:
        raise ValidationFailed("the ratings cannot be made", errors=errors)
    started = []
    for branch, row in inputs.items():
        prev = _ratings_of(uow, previous_quarter(quarter), branch)
        prev_data = prev[-1].data if prev else {}
        prev_plaque = prev_data.get("final_plaque", "none")
        # a 争先 branch re-rated 达标 after rectification starts a new streak
        prev_streak = 0 if not prev else prev_data.get("streak", 0) if prev_plaque == prev_data.get("plaque") else 1
        # 未整改到位的，延长争先期限: the extended 争先 period goes on into this quarter until re-rated
        carried = prev_data.get("outcome") == "striving_extended"
        if carried:
            prev_plaque, prev_streak = "striving", prev_data.get("streak", 1)
        secretary = secretary_of(uow, branch)
        started.append(instances.start(
            svc, uow, actor.with_role("supervisor"), PROCESS,
            {"quarter": quarter, "branch": branch, **row, "previous_plaque": prev_plaque,
             "previous_streak": prev_streak, "secretary": secretary,
             "bonus_granted_this_year": _bonus_granted(uow, quarter, secretary), "striving_carried": carried,
             "striving_since": (prev_data.get("striving_since") or previous_quarter(quarter)) if carried else ""},
            via_use_case=True,
            dedup_key=f"{PROCESS}/{quarter}/{branch}", duplicate=f"{names[branch]} is already rated for {quarter}"))
    uow.commit()
    return started


def board(uow: UnitOfWork, quarter: str) -> list[dict]:
    """The quarter's ratings board: one row per rated branch, in branch order."""
    names = uow.org.branch_names()
    require_quarter(quarter)
    rows = []
    for inst in _ratings_of(uow, quarter):
        s = inst.data or {}
        rows.append({
            "branch": inst.branch, "branch_name": names.get(inst.branch, inst.branch), "instance": inst.id,
            "star": s.get("star"), "inspection": s.get("inspection"), "pairing": s.get("pairing"),
            "composite": s.get("composite"), "rated_plaque": s.get("plaque"), "plaque": s.get("final_plaque"),
            "plaque_label": band_label(s["final_plaque"]) if s.get("final_plaque") else None,
            "streak": s.get("streak"), "awards_withdrawn": bool(s.get("awards_withdrawn")),
            "secretary": s.get("secretary"), "secretary_bonus": s.get("secretary_bonus", 0),
            "recommended_advanced": bool(s.get("recommended_advanced")),
            "recommendation": "优先推荐参评先进基层党组织" if s.get("recommended_advanced") else None,
            "pairing_source": s.get("pairing_source"), "pairing_note": s.get("pairing_note") or None,
            "pairing_instance": s.get("pairing_instance") or None,
            "striving_carried": bool(s.get("striving_carried")), "striving_since": s.get("striving_since") or None,
            "striving_extended": bool(s.get("striving_extended")),
            "status": inst.status, "outcome": inst.outcome,
        })
    order = list(names)
    return sorted(rows, key=lambda r: order.index(r["branch"]) if r["branch"] in order else 99)
