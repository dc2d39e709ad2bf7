"""The pairing side of the supervisor's overview (督导看板): each branch's pairing with its term month and week,
its quarterly assessments, its plaques, and the helpers' visits per month.

A pairing on the calendar keeps its term in the parent's summary (``term_start``, ``term_last``, ``month``:
the latest month opened) and opens a ``pairing_monthly`` child per term month and a ``pairing_quarterly``
child per assessed calendar quarter, whose summary carries ``assessment_result`` = {quarter, score, band}.
Pairings begun before that (``pairing_month``/``pairing_week``/``pairing_quarter`` children, an
``assessments`` list on the parent) are still read, their quarters guessed as they always were."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from ..domain import duties as D
from ..domain.bands import band_label
from ..domain.calendar import CST
from ..store.uow import UnitOfWork

MONTH_CHILDREN = ["pairing_monthly", "pairing_month", "pairing_week"]
LEGACY_CHILDREN = ["pairing_month", "pairing_week", "pairing_quarter"]
VISITS = "guidance_visits"
#: what the overview reads of a pairing's summary (the rest — letter, diagnosis, plan — it never needs)
PAIRING_KEYS = {"term_start": "str", "term_last": "str", "term_end": "str", "months": "int", "month": "int",
                "week": "int", "week_count": "int", "helper": "str", "assessments": "json"}
#: what it reads of a quarterly child's: its quarter and its assessment's result
RESULT_KEYS = {"quarter": "str", "assessment_result.quarter": "str", "assessment_result.score": "float",
               "assessment_result.band": "str"}


def iso_date(value) -> date | None:
    """The date an ISO text begins with, else None."""
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def label(code) -> str | None:
    """The Chinese label of a band or plaque code (None for none or an unknown one)."""
    try:
        return band_label(code) if code else None
    except KeyError:
        return None


def _term(data: dict) -> tuple[str | None, str | None]:
    first = iso_date(data.get("term_start"))
    end = data.get("term_last") or data.get("term_end")
    if not end and first and isinstance(data.get("months"), int):
        index = first.year * 12 + first.month - 1 + data["months"]
        end = (date(index // 12, index % 12 + 1, min(first.day, 28)) - timedelta(days=1)).isoformat()
    return (first.isoformat() if first else None), (str(end)[:10] if end else None)


def _assessment(quarter, score, band, iid: str) -> dict:
    return {"quarter": quarter, "score": score, "band": band, "band_label": label(band), "instance": iid}


def pairings(uow: UnitOfWork, scope, day: date) -> dict[str, dict]:
    """Per branch: its running pairing (else its latest) with its term month and week on ``day``, term, helper,
    and every assessment of the branch's pairings, on the calendar quarter it belongs to, oldest first."""
    found: dict[str, dict] = {}
    assessments: dict[str, list] = defaultdict(list)
    for s in uow.board.summaries(["pairing_quarterly"], scope, keys=RESULT_KEYS):
        score = s.data.get("assessment_result.score")
        if score is not None:
            score = int(score) if float(score).is_integer() else score
            assessments[s.branch].append(_assessment(s.data.get("assessment_result.quarter") or s.data.get("quarter"),
                                                     score, s.data.get("assessment_result.band"), s.id))
    summaries = uow.board.summaries(["pairing"], scope, keys=PAIRING_KEYS)
    legacy = [s.id for s in summaries if s.data.get("assessments")]
    opened = uow.board.opened_at(["assessment"], legacy) if legacy else {}
    for s in summaries:
        d = s.data
        held = opened.get(s.id, [])
        for i, a in enumerate(d.get("assessments") or []):  # a pairing begun before quarters were children
            if isinstance(a, dict) and isinstance(a.get("score"), (int, float)):
                when = held[i] if i < len(held) else None
                quarter = D.assessment_quarter(a.get("quarter"), when, d.get("term_start"))
                assessments[s.branch].append(_assessment(quarter, a["score"], a.get("band"), s.id))
        current = found.get(s.branch)
        if current is None or s.status == "running" or current["status"] != "running":
            start, end = _term(d)
            month, week = d.get("month") or None, d.get("week")
            if "term_last" in d:  # on the calendar: where the term stands on the day
                month, week = D.term_position(start, d.get("month"), min(day, iso_date(end) or day))
            elif "week_count" in d:  # on the calendar, the term not begun (the plan not made yet)
                month, week = None, None
            found[s.branch] = {"id": s.id, "status": s.status, "month": month, "week": week,
                               "term_start": start, "term_end": end, "helper": d.get("helper")}
    legacy_running = [p["id"] for p in found.values() if p["week"] is None and p["month"]]
    children = {s.parent_id: s.data for s in uow.board.summaries(LEGACY_CHILDREN, scope, running_only=True,
                                                                 keys={"week": "int"})} if legacy_running else {}
    people = uow.board.names([p["helper"] for p in found.values() if isinstance(p.get("helper"), str)])
    for code, p in found.items():
        if p["week"] is None and p["id"] in children:
            p["week"] = children[p["id"]].get("week")
        p["helper_name"] = people.get(p["helper"], p["helper"])
        p["assessments"] = sorted(assessments[code], key=lambda a: a["quarter"] or "")
    return found


def score_in(pairing: dict | None, quarter: str):
    """The branch's assessment score of ``quarter`` (the latest, if assessed twice), else None."""
    scores = [a["score"] for a in (pairing or {}).get("assessments", []) if a["quarter"] == quarter]
    return scores[-1] if scores else None


def ratings(uow: UnitOfWork, scope, quarters: list[str]) -> dict[str, dict[str, dict]]:
    """Branch → quarter → its plaque rating (composite, plaque, instance)."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for s in uow.board.summaries(["plaque_rating"], scope, quarters=quarters,
                                  keys={"quarter": "str", "composite": "float",
                                                                 "final_plaque": "str", "plaque": "str"}):
        d = s.data
        plaque = d.get("final_plaque") or d.get("plaque")
        out[s.branch][d.get("quarter")] = {"quarter": d.get("quarter"), "composite": d.get("composite"),
                                           "plaque": plaque, "plaque_label": label(plaque), "instance": s.id}
    return out


def _visit_days(uow: UnitOfWork, scope, period: D.Period, fallback: dict) -> dict[tuple, set]:
    """(helper, branch) → the days of visits recorded in the period's months: from the ``guidance_visits``
    each month child's helper submitted (older children: the visits in their summary)."""
    visits: dict[tuple, set] = defaultdict(set)
    kids = uow.board.summaries(MONTH_CHILDREN, scope, active_in=(period.start_at, period.end_at),
                               keys={"helper": "str", "visits": "json"})
    submitted = uow.board.submitted(VISITS, "visits", [s.id for s in kids])
    for s in kids:
        helper = s.data.get("helper") or (fallback.get(s.branch) or {}).get("helper")
        records = [v for value in submitted.get(s.id, []) for v in (value or [])]
        for v in records or s.data.get("visits") or []:
            day = iso_date(v.get("date")) if isinstance(v, dict) else None
            if day and period.first <= day < period.end:
                visits[(helper, s.branch)].add(day)
    return visits


def helpers(uow: UnitOfWork, scope, period: D.Period, found: dict, names: dict, side, now: datetime) -> list[dict]:
    """Per helper and branch: visits in each month of the period (≥ 2 each?), spot checks done, duties escalated."""
    visits = _visit_days(uow, scope, period, found)
    people = {(p["helper"], code) for code, p in found.items() if p.get("helper") and code in names
              and (p["term_start"] or "") < period.end.isoformat()
              and (p["status"] == "running" or (p["term_end"] or "9999") >= period.first.isoformat())}
    people |= {k for k in visits if k[1] in names}
    display = {p["helper"]: p["helper_name"] for p in found.values() if isinstance(p.get("helper"), str)}
    display |= uow.board.names([h for h, _ in people if h and h not in display])  # helpers of no pairing here
    today = now.astimezone(CST).date()
    months = [m for m in period.months() if m.first <= today]
    out = []
    for helper, code in sorted(people, key=lambda k: (k[1], k[0] or "")):
        per_month, verdicts, days = [], [], visits[(helper, code)]
        for m in months:
            count = sum(1 for d in days if m.first <= d < m.end)
            per_month.append({"month": m.key, "visits": count})
            # a month still running is judged only once it has its two visits
            verdicts.append(True if count >= 2 else (False if m.end <= today else None))
        out.append({"helper": helper, "helper_name": display.get(helper, helper), "branch": code,
                    "branch_name": names[code], "visits": per_month,
                    "visits_ok": False if False in verdicts else (True if verdicts and all(verdicts) else None),
                    "spot_checks": side[code]["spot_checks"], "escalated": side[code]["escalated"]})
    return out
