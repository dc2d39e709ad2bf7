"""Peer inspection (互查互学互促): checklist versions, publishing a quarter's round, the experience handbook."""
from __future__ import annotations

from ..domain.checklist import validate_checklist
from ..domain.errors import NotFound, ValidationFailed
from ..domain.quarters import quarter_end, require_quarter
from ..domain.permissions import MANAGE_INSPECTIONS
from ..domain.status import InstanceStatus
from ..store.models import Checklist, Instance
from ..store.uow import UnitOfWork
from . import instances
from .actors import Actor
from .context import Services

#: roles a team member may hold in their own branch (支部委员 or 党员骨干)
TEAM_ROLES = ("branch_committee", "member", "secretary")


def checklist_view(row: Checklist) -> dict:
    """A checklist version as the API shows it."""
    return {"version": row.version, "title": row.title, "items": row.items, "created_by": row.created_by,
            "created_at": row.created_at, "total_points": sum(i["max_points"] for i in row.items)}


def add_checklist(svc: Services, uow: UnitOfWork, actor: Actor, data: object) -> Checklist:
    """Publish a new checklist version (earlier rounds keep the version they pinned)."""
    actor.require(MANAGE_INSPECTIONS, "only the supervisor (党群部) manages peer inspections")
    clean = validate_checklist(data)
    version = uow.checklists.get().version + 1
    row = Checklist(version=version, title=clean["title"], items=clean["items"], created_by=actor.name,
                    created_at=svc.clock.now())
    uow.add(row)
    uow.commit()
    return row


def _check_teams(uow: UnitOfWork, teams: object) -> list[dict]:
    """Teams of 1–2 existing members who each belong to some other branch than the one they inspect."""
    names = uow.org.branch_names()
    if not isinstance(teams, list) or not 1 <= len(teams) <= len(names):
        raise ValidationFailed(f"teams: a list of 1–{len(names)} teams", field="teams")
    errors, seen = [], set()
    for i, team in enumerate(teams):
        where = f"teams[{i}]"
        if not isinstance(team, dict) or set(team) - {"branch", "members"}:
            errors.append({"field": where, "message": "a team is {branch, members}"})
            continue
        branch, members = team.get("branch"), team.get("members")
        if branch not in names:
            errors.append({"field": f"{where}.branch", "message": f"unknown branch {branch!r}"})
        elif branch in seen:
            errors.append({"field": f"{where}.branch", "message": f"{names[branch]} already has a team"})
        seen.add(branch)
        if not isinstance(members, list) or not 1 <= len(members) <= 2 or len(set(map(str, members))) != len(members):
            errors.append({"field": f"{where}.members", "message": "members: 1–2 different usernames"})
            continue
        for j, name in enumerate(members):
            user = uow.identity.user(name) if isinstance(name, str) else None
            homes = uow.identity.home_branches(name) if user is not None else set()
            if user is None or not user.active:
                errors.append({"field": f"{where}.members[{j}]", "message": f"no active user {name!r}"})
            elif not any(g.role in TEAM_ROLES and g.branch and g.source is None for g in user.grants):
                errors.append({"field": f"{where}.members[{j}]",
                               "message": f"{name} is not a branch committee member or party member of any branch"})
            elif branch in homes:
                errors.append({"field": f"{where}.members[{j}]",
                               "message": f"conflict of interest: {name} belongs to {names[branch]} "
                                          "and may not inspect it"})
    if errors:
        raise ValidationFailed("the teams cannot be formed", errors=errors)
    return [{"branch": t["branch"], "members": list(t["members"])} for t in teams]


def publish_round(svc: Services, uow: UnitOfWork, actor: Actor, body: dict) -> tuple[Instance, list[Instance]]:
    """Publish a quarter's round (one per quarter: a second is a 409): the checklist it pins, and one
    inspection per team, each team lent the inspector role on the branch it inspects for as long as that
    inspection runs. The round ends on the quarter's last day: the handbook is compiled then, whatever
    inspections and tickets are still going on (they go on)."""
    actor.require(MANAGE_INSPECTIONS, "only the supervisor (党群部) manages peer inspections")
    quarter = require_quarter(body.get("quarter"))
    version = body.get("checklist_version")
    checklist = uow.checklists.get(version) if version is not None else uow.checklists.get()
    if checklist is None:
        raise ValidationFailed(f"no checklist version {version}", field="checklist_version")
    teams = _check_teams(uow, body.get("teams"))
    pinned = {"version": checklist.version, "title": checklist.title, "items": checklist.items}
    round_ = instances.start(svc, uow, actor.with_role("supervisor"), "inspection_round",
                             {"quarter": quarter, "round_end": quarter_end(quarter).isoformat(), "checklist": pinned,
                              "teams": teams}, via_use_case=True,
                             dedup_key=f"inspection_round/{quarter}",
                             duplicate=f"a round for {quarter} is already published")
    children = []
    for team in teams:
        child = instances.start(svc, uow, actor.with_role("supervisor"), "peer_inspection",
                                {"round": round_.id, "quarter": quarter, "branch": team["branch"],
                                 "team": team["members"], "checklist": pinned},
                                parent=round_, via_use_case=True)  # the round does not wait on it
        for name in team["members"]:
            uow.identity.grant(name, "inspector", team["branch"], source=child.id)
        children.append(child)
    uow.commit()
    return round_, children


def handbook(svc: Services, uow: UnitOfWork, actor: Actor, round_id: str) -> dict:
    """The 标准化经验手册 of a round: the supervisor's compiled highlights and each branch's inspection.

    Everyone may read a compiled handbook (it is distributed to every branch); a draft only company-wide roles."""
    names = uow.org.branch_names()
    round_ = uow.instances.get(round_id)
    if round_ is None or round_.process_id != "inspection_round":
        raise NotFound(f"no inspection round {round_id}")
    data = round_.data or {}
    compiled = round_.status == InstanceStatus.COMPLETED
    if not compiled and not actor.company_wide:
        raise NotFound(f"no inspection round {round_id}")
    branches = []
    for child in uow.instances.children_of(round_.id, "peer_inspection"):
        s = child.data or {}
        branches.append({"branch": child.branch, "branch_name": names.get(child.branch, child.branch),
                         "team": s.get("team", []), "score": s.get("score_pct"), "strengths": s.get("strengths", []),
                         "problems": [p.get("title") for p in s.get("problems", [])],
                         "status": child.status, "outcome": child.outcome})
    return {"round": round_.id, "quarter": data.get("quarter"), "compiled": compiled,
            "checklist": {k: data.get("checklist", {}).get(k) for k in ("version", "title")},
            "foreword": data.get("foreword", ""),
            "highlights": [dict(h, branch_name=names.get(h["branch"], h["branch"])) for h in data.get("highlights", [])],
            "observation_meeting": _meeting(data.get("observation_meeting"), names), "branches": branches,
            "generated_at": svc.clock.now()}


def _meeting(meeting: dict | None, names: dict[str, str]) -> dict | None:
    if not meeting:
        return None
    return dict(meeting, branch_name=names.get(meeting["branch"], meeting["branch"]))
