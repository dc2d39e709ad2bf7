"""The supervisor's overview (督导看板): who keeps the letter's rhythm, by branch, over time, by person, now.

Every figure comes from ``uow.board`` (inbox rows, instance summaries, grants): no workflow state is
loaded. Which task is which duty is ``domain.duties.DUTY_KINDS``. Definitions the pages and the JSON share:
a duty belongs to the month of its due time (or of its opening, when it has none); *on time* = completed by
its due time; *late* = completed after it; *overdue* = still open past it, at the service clock's now.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from ..domain import duties as D
from ..domain.calendar import CST
from ..domain.errors import Forbidden, ValidationFailed
from ..domain.permissions import VIEW_BOARD
from ..domain.roles import ROLE_LABELS
from ..store.uow import UnitOfWork
from . import board_pairings as BP
from .actors import Actor
from .context import Services

HEAT_MONTHS = 12
SCORE_QUARTERS = 6
TICKET_WEEKS = 13
NOW_LIMIT = 200
BRANCH_ROLES = ("secretary", "branch_committee")
STATES = ("on_time", "late", "overdue", "escalated")


def visible_branches(actor: Actor) -> list[str] | None:
    """None when the actor sees every branch (supervisor, committee); else the branches they are secretary of."""
    if not actor.is_system and not any(g.role in VIEW_BOARD and g.instance is None for g in actor.grants):
        raise Forbidden("the overview is for the supervisor, the committee and branch secretaries")
    if actor.is_system or any(g.role in ("supervisor", "committee") and g.instance is None for g in actor.grants):
        return None
    return sorted({g.branch for g in actor.grants if g.role == "secretary" and g.branch and g.instance is None})


def period_of(svc: Services, quarter: str | None, month: str | None) -> D.Period:
    """The period a filter names (a month or a quarter; this month when neither): a 422 names a bad one."""
    if quarter and month:
        raise ValidationFailed("give month or quarter, not both", field="month", message_zh="月份和季度只能选一个")
    try:
        if quarter:
            return D.quarter_period(quarter)
        if month:
            return D.month_period(month)
    except ValueError as exc:
        field = "quarter" if quarter else "month"
        raise ValidationFailed(str(exc), field=field,
                               message_zh="季度格式如 2026Q1" if quarter else "月份格式如 2026-03") from None
    return D.month_of(svc.clock.now())


def _scope(uow: UnitOfWork, actor: Actor, branch: str | None) -> tuple[list[str] | None, list[tuple[str, str]]]:
    visible = visible_branches(actor)
    known = uow.board.branches(visible)
    if branch:
        if visible is not None and branch not in visible:
            if uow.board.branches([branch]):
                raise Forbidden("a branch secretary sees their own branch only")
            raise ValidationFailed(f"unknown branch {branch!r}", field="branch", message_zh="没有这个支部")
        known = [b for b in known if b[0] == branch]
        if not known:
            raise ValidationFailed(f"unknown branch {branch!r}", field="branch", message_zh="没有这个支部")
        return [branch], known
    return visible, known


def _cell(due=0, on_time=0, late=0, overdue=0, escalated=0) -> dict:
    return {"due": due, "on_time": on_time, "late": late, "overdue": overdue, "escalated": escalated,
            "pending": due - on_time - late - overdue, "tone": D.cell_tone(due, late, overdue)}


def overview(svc: Services, uow: UnitOfWork, actor: Actor, *, quarter: str | None = None, month: str | None = None,
             branch: str | None = None) -> dict:
    """Every section of the overview for the period and branch filter (secretaries: their branch)."""
    period = period_of(svc, quarter, month)
    scope, known = _scope(uow, actor, branch)
    now = svc.clock.now()
    months = D.months_back(period, HEAT_MONTHS)
    edges = [m.start_at for m in months] + [months[-1].end_at]
    codes = [c for c, _ in known]
    names = dict(known)
    kind_of = D.DUTY_KINDS
    grid = {c: {k.key: [0, 0, 0, 0, 0] for k in D.KINDS} for c in codes}
    heat = {c: [[0, 0, 0, 0] for _ in months] for c in codes}
    helper_side = {c: {"spot_checks": 0, "escalated": 0} for c in codes}
    branch_side = {c: {"late": 0, "interviews": 0} for c in codes}
    counts = uow.board.duty_counts(edges, period.start_at, now, scope)
    for (code, bucket), figures in counts.by_month.items():
        if code in heat:
            heat[code][bucket] = figures
    for (code, element, role), figures in counts.in_period.items():
        if code not in grid:
            continue
        kind = kind_of[element]
        g = grid[code][kind]
        for i in range(5):
            g[i] += figures[i]
        if role == "helper":
            helper_side[code]["escalated"] += figures[4]
            if kind == "spot_check":
                helper_side[code]["spot_checks"] += figures[1] + figures[2]
        if role in BRANCH_ROLES:
            branch_side[code]["late"] += figures[2]
        if kind in D.INTERVIEW_KINDS:
            branch_side[code]["interviews"] += figures[0]
    grid = {c: {k: _cell(*v) for k, v in cells.items()} for c, cells in grid.items()}

    pairings = BP.pairings(uow, scope, min(now.astimezone(CST).date(), period.end - timedelta(days=1)))
    quarters = D.quarters_back(period, SCORE_QUARTERS)
    ratings = BP.ratings(uow, scope, quarters)
    tickets, weeks = _tickets(uow, scope, period, now)
    late, total_late = uow.board.overdue(scope, now, NOW_LIMIT)
    # the branches' secretaries and whoever holds an overdue task's role, in one query
    holders = uow.board.holders(sorted({"secretary"} | {t.role for t, _ in late}), scope)
    rows = []
    for code in codes:
        p = pairings.get(code)
        assessed = [a for a in (p["assessments"] if p else []) if a["quarter"] is None or a["quarter"] <= quarters[-1]]
        rated = [ratings[code][q] for q in quarters if q in ratings.get(code, {})]
        rows.append({
            "branch": code, "branch_name": names[code], "pairing": p and {k: p[k] for k in (
                "id", "status", "month", "week", "term_start", "term_end", "helper", "helper_name")},
            "cells": grid[code], "tickets": tickets[code]["now"],
            "assessment": assessed[-1] if assessed else None, "plaque": rated[-1] if rated else None,
        })
    return {
        "period": {"key": period.key, "label": period.label, "start": period.first.isoformat(),
                   "end": (period.end - timedelta(days=1)).isoformat(), "months": [m.key for m in period.months()]},
        "now": now, "branch": branch,
        "kinds": [{"key": k.key, "label": k.label, "owner": k.owner} for k in D.KINDS],
        "branches": rows,
        "heatmap": {"months": [m.key for m in months], "rows": [
            {"branch": c, "branch_name": names[c], "cells": [_heat_cell(m.key, *h) for m, h in zip(months, heat[c])]}
            for c in codes]},
        "scores": {"quarters": quarters, "rows": [
            {"branch": c, "branch_name": names[c],
             "assessment": [BP.score_in(pairings.get(c), q) for q in quarters],
             "composite": [(ratings.get(c, {}).get(q) or {}).get("composite") for q in quarters]} for c in codes]},
        "tickets": {"weeks": [w.isoformat() for w in weeks], "rows": [
            {"branch": c, "branch_name": names[c], "open": tickets[c]["weeks"]} for c in codes]},
        "helpers": BP.helpers(uow, scope, period, pairings, names, helper_side, now),
        "secretaries": _secretaries(uow, scope, codes, names, branch_side, holders, now,
                                    late if total_late == len(late) else None),
        "overdue": _overdue(uow, late, total_late, holders, names, now),
    }


def _heat_cell(month: str, due: int, on_time: int, late: int, overdue: int) -> dict:
    """A month of the heat map: due, on time, settled (done or overdue) and the on-time share of the settled."""
    settled = on_time + late + overdue
    rate = round(on_time / settled, 4) if settled else None
    return {"month": month, "due": due, "on_time": on_time, "closed_or_overdue": settled, "rate": rate,
            "tone": D.rate_tone(rate)}


def _tickets(uow: UnitOfWork, scope, period: D.Period, now: datetime):
    """Per branch: tickets open and overdue now, and open at the end of each of the last weeks."""
    weeks = D.weeks_back(period, TICKET_WEEKS, now)
    ends = [datetime(w.year, w.month, w.day, tzinfo=CST) + timedelta(days=1) for w in weeks]
    out = defaultdict(lambda: {"now": {"open": 0, "overdue": 0}, "weeks": [0] * len(weeks)})
    for branch, (running, overdue, open_at) in uow.board.tickets("rectification", scope, ends[0] - timedelta(days=7),
                                                                  ends, now).items():
        out[branch] = {"now": {"open": running, "overdue": overdue}, "weeks": open_at}
    return out, weeks


def _secretaries(uow: UnitOfWork, scope, codes: list[str], names: dict, side, holders: list, now: datetime,
                 late: list | None) -> list[dict]:
    """Per branch: its secretaries, the branch's tasks overdue now (any kind), its duties of the period done
    late, and the 约谈 its secretary received in the period. ``late``: every task overdue now, when the
    overview listed them all (counted here, else in the database)."""
    if late is None:
        overdue = uow.board.overdue_counts(list(BRANCH_ROLES), scope, now)
    else:
        overdue = Counter(t.branch for t, _ in late if t.role in BRANCH_ROLES)
    held = defaultdict(list)
    for role, branch, _user, display in holders:
        if role == "secretary" and branch:
            held[branch].append(display)
    return [{"branch": c, "branch_name": names[c], "secretaries": held[c], "overdue": overdue.get(c, 0),
             "late": side[c]["late"], "interviews": side[c]["interviews"]} for c in codes]


def _overdue(uow: UnitOfWork, rows: list, total: int, holders: list, branch_names: dict, now: datetime) -> dict:
    """The open tasks past their due time (``rows``: the first of ``total``), each with who holds it."""
    personal = uow.board.names([t.assignee or t.claimed_by for t, _ in rows if t.assignee or t.claimed_by])
    indexed = defaultdict(list)  # (role, branch or None) → (place in the query's order, name)
    for i, (r, b, _u, n) in enumerate(holders):
        indexed[r, b].append((i, n))
    held = {}  # (role, branch) → its holders, company-wide ones included, in the query's order
    items = []
    for task, title in rows:
        who = task.assignee or task.claimed_by
        key = (task.role, task.branch)
        if not who and key not in held:
            found = indexed[task.role, None] + (indexed[key] if task.branch is not None else [])
            held[key] = [n for _, n in sorted(found)]
        holder = [personal.get(who, who)] if who else list(held[key])
        items.append({"task_id": task.id, "name": task.name, "instance_id": task.instance_id, "title": title,
                      "element": task.element, "kind": D.DUTY_KINDS.get(task.element),
                      "branch": task.branch, "branch_name": branch_names.get(task.branch, task.branch or ""),
                      "role": task.role, "role_label": ROLE_LABELS.get(task.role, task.role), "due_at": task.due_at,
                      "days_overdue": round((now - task.due_at).total_seconds() / 86400, 1),
                      "escalation_level": task.escalation_level, "holders": holder})
    return {"total": total, "items": items}


def duties(svc: Services, uow: UnitOfWork, actor: Actor, *, branch: str | None, kind: str | None,
           state: str | None = None, quarter: str | None = None, month: str | None = None) -> dict:
    """The duty rows behind one cell of the overview (branch × kind × period, optionally one state)."""
    if not branch:
        raise ValidationFailed("branch is required", field="branch", message_zh="请选择支部")
    if kind not in D.KIND_BY_KEY:
        raise ValidationFailed(f"kind is one of {', '.join(D.KIND_BY_KEY)}", field="kind", message_zh="没有这类职责")
    if state is not None and state not in STATES:
        raise ValidationFailed(f"state is one of {', '.join(STATES)}", field="state", message_zh="状态不正确")
    period = period_of(svc, quarter, month)
    _scope(uow, actor, branch)
    now = svc.clock.now()
    rows = uow.board.duty_rows(D.elements_of(kind), period.start_at, period.end_at, branch, state, now)
    people = uow.board.names([t.closed_by for t, _ in rows if t.closed_by])
    items = []
    for task, title in rows:
        late = task.status == "completed" and task.due_at is not None and task.closed_at > task.due_at
        overdue = task.status == "open" and task.due_at is not None and task.due_at < now
        items.append({"task_id": task.id, "instance_id": task.instance_id, "title": title, "name": task.name,
                      "element": task.element, "process_id": task.process_id, "status": task.status,
                      "state": "late" if late else "on_time" if task.status == "completed" else
                      "overdue" if overdue else "pending",
                      "due_at": task.due_at, "closed_at": task.closed_at,
                      "closed_by": people.get(task.closed_by, task.closed_by), "escalation_level": task.escalation_level})
    return {"branch": branch, "branch_name": dict(uow.board.branches([branch])).get(branch, branch), "kind": kind,
            "kind_label": D.KIND_BY_KEY[kind].label, "state": state, "period": {"key": period.key, "label": period.label},
            "items": items}


def branch_choices(uow: UnitOfWork, actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the branches the actor may pick in the overview's filter."""
    return uow.board.branches(visible_branches(actor))


def check_counts(uow: UnitOfWork, repair: bool = False) -> list[dict]:
    """Where the overview's rollup of duty counts differs from a recount of the inbox rows (none when it is
    exact); with ``repair`` the rollup is rebuilt from the rows and committed."""
    drift = [{"month": k[0], "branch": k[1], "element": k[2], "role": k[3], "stored": stored, "counted": counted}
             for k, stored, counted in uow.board.rollup_drift()]
    if repair and drift:
        uow.board.rebuild_rollup()
        uow.commit()
    return drift
