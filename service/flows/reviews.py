"""The annual review roll-up (年度考核汇总) the 党群部 hands to the annual review: per secretary (+5 items with
their reason, 约谈 received), per helper (优秀 eligibility and why, 帮扶合格), per branch (plaques by quarter,
assessment scores, tickets opened/closed/overdue). Every figure names the instances it came from.

Read from the instances' data summaries and the inbox rows (a ticket is overdue while one of its open
tasks is past due); no workflow state is deserialized."""
from __future__ import annotations

from ..domain.calendar import local_date
from ..domain.errors import ValidationFailed
from ..domain.permissions import READ_REVIEWS
from ..domain.quarters import assessment_quarter
from ..domain.status import InstanceStatus
from ..store.uow import UnitOfWork
from .actors import Actor
from .context import Services
from .ratings import secretary_of

#: 不达标 for the helper's annual review: below this assessment score (the band that brings the 约谈)
NOT_MET_BELOW = 80.0
BONUS = 5


def _year(value: object) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise ValidationFailed("year: a calendar year such as 2026", field="year", message_zh="请填写年份，如 2026")
    return year


def _submitted(data: dict, element: str) -> bool:
    """Did the instance pass user task ``element`` (its form kept under ``submitted``)?"""
    return element in (data.get("submitted") or {})


def annual_review(svc: Services, uow: UnitOfWork, actor: Actor, year: object) -> dict:
    """The roll-up of ``year`` (supervisor, committee, auditor)."""
    branch_names = uow.org.branch_names()  # the organisation's branches, by code
    actor.require(READ_REVIEWS, "only the supervisor, the committee and auditors read the annual review")
    year = _year(year)
    prefix = f"{year}Q"
    secretaries: dict[str, dict] = {}
    helpers: dict[str, dict] = {}
    branches = {code: {"branch": code, "branch_name": name, "plaques": [], "assessments": [],
                       "tickets": {"opened": 0, "closed": 0, "overdue": 0,
                                   "instances": {"opened": [], "closed": [], "overdue": []}}}
                for code, name in branch_names.items()}
    current_secretary = {code: secretary_of(uow, code) for code in branch_names}

    def secretary(username: str, branch: str) -> dict:
        key = username or f"({branch})"
        return secretaries.setdefault(key, {"username": username or None, "branch": branch,
                                            "branch_name": branch_names.get(branch, branch), "bonus_total": 0,
                                            "bonus_items": [], "interviews": []})

    # 亮牌: plaques by quarter, +5 for 示范 two quarters running (once a year), the committee's 约谈
    ratings = sorted((i for i in uow.instances.of_process("plaque_rating")
                      if str((i.data or {}).get("quarter", "")).startswith(prefix)),
                     key=lambda i: (i.data["quarter"], i.created_at))
    for inst in ratings:
        d = inst.data or {}
        row = branches.setdefault(inst.branch, {"branch": inst.branch, "branch_name": inst.branch, "plaques": [],
                                                "assessments": [], "tickets": None})
        row["plaques"].append({"quarter": d["quarter"], "plaque": d.get("final_plaque"), "rated_plaque": d.get("plaque"),
                               "composite": d.get("composite"), "recommended_advanced": bool(d.get("recommended_advanced")),
                               "instance": inst.id})
        sec = secretary(d.get("secretary") or current_secretary.get(inst.branch, ""), inst.branch)
        model_streak = d.get("final_plaque") == "model" and (d.get("streak") or 0) >= 2
        if model_streak and not any(b["kind"] == "plaque_model_streak" for b in sec["bonus_items"]):
            sec["bonus_items"].append({"kind": "plaque_model_streak", "points": BONUS, "quarter": d["quarter"],
                                       "reason": f"连续2个季度获示范牌（至{d['quarter']}），年度考核加{BONUS}分",
                                       "instance": inst.id})
        if _submitted(d, "committee_interview") or "adjust_committee" in d:
            sec["interviews"].append({"by": "committee", "quarter": d["quarter"], "instance": inst.id,
                                      "reason": "连续2个季度挂争先牌，党委约谈党支部书记"})

    # 结对: assessment scores, the supervisor's 约谈 below 80, 帮扶合格 (+5 for the secretary, 优先评优 for the helper)
    by_helper: dict[str, list[tuple[str, float, str]]] = {}
    for inst in uow.instances.of_process("pairing"):
        d = inst.data or {}
        sec = None
        helper = helpers.setdefault(d.get("helper") or "", {
            "username": d.get("helper") or None, "branches": [], "excellent_eligible": True,
            "why": "", "qualified": [], "priority_for_excellent": False, "not_met_runs": []})
        if inst.branch not in helper["branches"]:
            helper["branches"].append(inst.branch)
        # a pairing on the calendar assesses each quarter in a child of its own; one begun before keeps a list
        assessed = [((c.data or {}).get("assessment_result"), c.id)
                    for c in uow.instances.children_of(inst.id, "pairing_quarterly")]
        assessed = [(a, source) for a, source in assessed if a] + [(a, inst.id) for a in d.get("assessments") or []]
        for a, source in assessed:
            quarter = assessment_quarter(a, d.get("term_start"))
            if quarter is None or a.get("score") is None:
                continue
            by_helper.setdefault(d.get("helper") or "", []).append((quarter, float(a["score"]), source))
            if not quarter.startswith(prefix):
                continue
            branches[inst.branch]["assessments"].append({"quarter": quarter, "score": a["score"], "band": a.get("band"),
                                                         "instance": source})
            if float(a["score"]) < NOT_MET_BELOW:
                sec = sec or secretary(current_secretary.get(inst.branch, ""), inst.branch)
                sec["interviews"].append({"by": "supervisor", "quarter": quarter, "instance": source,
                                          "reason": f"季度考核{a['score']:g}分，未达标（<80），党群部约谈"})
        ended = inst.status == InstanceStatus.COMPLETED and local_date(inst.updated_at).year == year
        if ended and inst.outcome == "qualified":
            sec = sec or secretary(current_secretary.get(inst.branch, ""), inst.branch)
            sec["bonus_items"].append({"kind": "pairing_qualified", "points": BONUS, "instance": inst.id,
                                       "reason": f"结对提升期末验收合格（帮扶合格），年度考核加{BONUS}分"})
            helper["qualified"].append({"branch": inst.branch, "instance": inst.id})
            helper["priority_for_excellent"] = True
        if ended and inst.outcome == "rectification_ordered":
            sec = sec or secretary(current_secretary.get(inst.branch, ""), inst.branch)
            sec["interviews"].append({"by": "supervisor", "instance": inst.id,
                                      "reason": "延长责任期后验收仍不达标，约谈并限期整改"})

    # 连续2次季度评估不达标者(<80)不得评为优秀: two consecutive assessments below 80, the second in the year
    for username, scores in by_helper.items():
        scores.sort()
        runs = [(a, b) for a, b in zip(scores, scores[1:])
                if a[1] < NOT_MET_BELOW and b[1] < NOT_MET_BELOW and b[0].startswith(prefix)]
        helper = helpers[username]
        helper["not_met_runs"] = [{"quarters": [a[0], b[0]], "scores": [a[1], b[1]],
                                   "instances": sorted({a[2], b[2]})} for a, b in runs]
        if runs:
            a, b = runs[0]
            helper["excellent_eligible"] = False
            helper["why"] = (f"{a[0]} {a[1]:g}分、{b[0]} {b[1]:g}分，连续2次季度评估不达标（<80），"
                             "年度考核不得评为优秀")
    for helper in helpers.values():
        if helper["excellent_eligible"]:
            helper["why"] = ("帮扶合格，优先评优" if helper["priority_for_excellent"]
                             else "无连续2次季度评估不达标（<80）")

    # 整改销号: tickets opened in the year, closed, and overdue now
    rows, _ = uow.queries.tickets("rectification", branches=None, branch=None, status=None, source=None,
                                  now=svc.clock.now(), limit=1_000_000, offset=0)
    for inst, overdue in rows:
        if local_date(inst.created_at).year != year or inst.branch not in branches:
            continue
        t = branches[inst.branch]["tickets"]
        kinds = ["opened"] + (["closed"] if inst.status == InstanceStatus.COMPLETED else []) + (["overdue"] if overdue else [])
        for kind in kinds:
            t[kind] += 1
            t["instances"][kind].append(inst.id)

    for sec in secretaries.values():
        sec["bonus_total"] = sum(b["points"] for b in sec["bonus_items"])
    names = {u.username: u.display_name for u in uow.identity.users()}
    out_secretaries = sorted(secretaries.values(), key=lambda s: (list(branch_names).index(s["branch"])
                                                                  if s["branch"] in branch_names else 99, s["username"] or ""))
    for person in out_secretaries + list(helpers.values()):
        person["display_name"] = names.get(person["username"]) if person["username"] else None
    for branch in branches.values():
        branch["assessments"].sort(key=lambda a: a["quarter"])
    return {"year": year, "secretaries": out_secretaries,
            "helpers": sorted((h for h in helpers.values() if h["username"]), key=lambda h: h["username"]),
            "branches": [b for b in branches.values() if b["tickets"] is not None]}
