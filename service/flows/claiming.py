"""党员标准化责任认领: the sweeps that open a period's work for every branch at once (a quarter's claiming,
the weekly and monthly checks of the 《党员履职台账》, each party group's monthly meeting, each branch's
monthly scores) and the 公示栏 that shows the results. Each sweep is one request however many branches
and members there are, and safe to repeat (an instance per branch and period, by its dedup key)."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime

from ..domain import periods
from ..domain.calendar import local_date
from ..domain.errors import BranchflowError, ValidationFailed
from ..domain.permissions import OPEN_DUTY
from ..domain.quarters import parse_quarter, quarter_of, require_quarter
from ..domain.status import InstanceStatus
from ..store.models import Instance
from ..store.uow import UnitOfWork
from . import instances, org
from .actors import Actor
from .context import Services

log = logging.getLogger(__name__)
_MONTH = re.compile(r"20[0-9]{2}-(0[1-9]|1[0-2])")


def require_month(text: object, field: str = "month") -> str:
    """``text`` if it is a month as 2026-04, else ValidationFailed naming ``field``."""
    if not isinstance(text, str) or not _MONTH.fullmatch(text):
        raise ValidationFailed("a month looks like 2026-04", field=field, message_zh="月份格式如 2026-04")
    return text


def _day(text: object, field: str) -> date:
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2099:
        raise ValidationFailed("a date as YYYY-MM-DD in 2000–2099", field=field, message_zh="请填写有效日期（年-月-日）")
    return day


def _due(svc: Services, first: str | date, last: str | date) -> str:
    """A period's due date: its last working day on the calendar in force (``WorkCalendar.last_workday``)."""
    day, _ = svc.calendars.current.last_workday(date.fromisoformat(str(first)), date.fromisoformat(str(last)))
    return day.isoformat()


def _month_due(svc: Services, month: str) -> str:
    """The due date of a month's work (2026-04): its last working day."""
    span = periods.month_range(f"{month}-01", 1)
    return _due(svc, span["first"], span["last"])


def _branches(uow: UnitOfWork, branches: object) -> list[str]:
    names = org.branch_names(uow)
    if branches is None:
        return list(names)
    if not isinstance(branches, list):
        raise ValidationFailed("branches: a list of branch codes", field="branches")
    for i, code in enumerate(branches):
        org.check_branch(uow, code, f"branches.{i}")
    return list(dict.fromkeys(branches))


def _not_open(uow: UnitOfWork, keyed: dict[str, object]) -> dict[str, object]:
    """The entries of ``keyed`` (dedup key → anything) whose key no instance holds yet (one query): what a
    sweep still has to build and start."""
    taken = uow.org.dedup_taken(list(keyed))
    return {key: value for key, value in keyed.items() if key not in taken}


def _start_each(svc: Services, uow: UnitOfWork, actor: Actor, process: str, starts: list[tuple[str, dict]],
                at: datetime | None, wanted: int) -> dict:
    """Start ``process`` once per (dedup key, variables), keys found not open by ``_not_open`` (one racing in
    from another sweep is a Conflict at its insert), at ``at`` (default: the clock); committed. ``wanted``:
    how many the sweep covers, those open already included. {started, skipped, ids}."""
    ids = [instances.start(svc, uow, actor, process, variables, via_use_case=True, dedup_key=key,
                           duplicate=f"{key} is already open", at=at).id for key, variables in starts]
    uow.commit()
    return {"started": len(ids), "skipped": wanted - len(ids), "ids": ids}


def _members(uow: UnitOfWork, branches: list[str]) -> dict[str, list[dict]]:
    groups = {g.id: g.name for g in uow.org.groups()}
    return {b: [{"member": u, "member_name": n, "group": groups.get(gid, "")} for u, n, gid in rows]
            for b, rows in uow.org.members_by_branch(branches).items()}


def open_quarter(svc: Services, uow: UnitOfWork, actor: Actor, quarter: object, branches: object = None, at: datetime | None = None) -> dict:
    """Open ``quarter``'s duty claiming for every branch (or ``branches``): one ``duty_quarter`` each, listing
    the branch's members (each gets a personal claim when the post list is published)."""
    actor.require(OPEN_DUTY, "only the supervisor (党群部) or an admin opens a period's duty work")
    quarter = require_quarter(quarter)
    codes = _branches(uow, branches)
    todo = _not_open(uow, {f"duty_quarter/{quarter}/{b}": b for b in codes})
    members = _members(uow, list(todo.values())) if todo else {}
    return _start_each(svc, uow, actor, "duty_quarter", [
        (key, {"branch": b, "quarter": quarter, "members": members.get(b, [])}) for key, b in todo.items()], at, len(codes))


def open_due(svc: Services, now: datetime | None = None) -> dict:
    """Open what the program's calendar has current at ``now`` (default: the clock) for every branch, as the
    service itself: the quarter's claiming, this week's 基础岗 checks and this month's 攻坚岗/服务岗 checks
    (of the areas with approved claims), every party group's 党小组会, and the month's scoring once its
    window is open (``periods.duty_schedule``). Safe to repeat: what is open is skipped, so the scheduler
    runs it every few minutes (``BRANCHFLOW_DUTY_CALENDAR_MINUTES``) and claims approved mid-week get their
    checks the same day. Each kind is one transaction; one that fails (a concurrent sweep took a key first)
    is logged and left to the next run. Returns {kind: {started, skipped, ids} or {error}}."""
    now = now or svc.clock.now()
    today = local_date(now)
    plan = periods.duty_schedule(today, svc.calendars.current)
    if "duty_quarter" not in svc.bundles.processes():
        return {}
    actor = Actor.system()
    steps = {"quarter": lambda uow: open_quarter(svc, uow, actor, plan["quarter"], at=now),
             "weekly_checks": lambda uow: open_checks(svc, uow, actor, "weekly", today.isoformat(), at=now),
             "monthly_checks": lambda uow: open_checks(svc, uow, actor, "monthly", today.isoformat(), at=now),
             "meetings": lambda uow: open_meetings(svc, uow, actor, plan["month"], at=now)}
    if plan["score_month"]:
        steps["scores"] = lambda uow: open_scores(svc, uow, actor, plan["score_month"], at=now)
    out: dict[str, dict] = {}
    for kind, step in steps.items():
        try:
            with svc.uow() as uow:
                out[kind] = step(uow)
        except BranchflowError as exc:
            log.warning("duty calendar: %s not opened: %s", kind, exc)
            out[kind] = {"error": str(exc)}
        if out[kind].get("started"):
            log.info("duty calendar opened %d %s for %s", out[kind]["started"], kind, today)
    return out


def approved_claims(uow: UnitOfWork, branch: str, quarter: str) -> list[dict]:
    """The approved claims of a branch's quarter: member, name, group, the posts claimed (code, kind, title)."""
    return approved_claims_of(uow, [branch], quarter).get(branch, [])


def approved_claims_of(uow: UnitOfWork, branches: list[str], quarter: str) -> dict[str, list[dict]]:
    """Branch → its approved claims of ``quarter``, by member (two queries however many branches)."""
    parents = uow.org.dedup_ids([f"duty_quarter/{quarter}/{b}" for b in branches])
    out: dict[str, list[dict]] = {}
    if not parents:
        return out
    for _, branch, d in uow.instances.summaries("duty_claim", parent_ids=parents):
        if d.get("outcome") != "approved":
            continue
        posts = {p["code"]: p for p in d.get("posts", [])}
        chosen = list(d.get("basic", [])) + ([d["extra"]] if d.get("extra") else [])
        out.setdefault(branch, []).append({
            "member": d.get("member"), "member_name": d.get("member_name", ""), "group": d.get("group", ""),
            "posts": [{"code": c, "kind": posts[c]["kind"], "title": posts[c]["title"], "duty": posts[c]["duty"]}
                      for c in chosen if c in posts]})
    return {b: sorted(claims, key=lambda c: c["member"]) for b, claims in out.items()}


def areas(checkers: list[str], claims: list[dict]) -> dict[str, list[dict]]:
    """分片: the branch's committee members (``checkers``) each take whole party groups (in turn, by group name)."""
    if not checkers:
        return {}
    groups = sorted({c["group"] for c in claims})
    of_group = {g: checkers[i % len(checkers)] for i, g in enumerate(groups)}
    out: dict[str, list[dict]] = {}
    for c in claims:
        out.setdefault(of_group[c["group"]], []).append(c)
    return out


def open_checks(svc: Services, uow: UnitOfWork, actor: Actor, kind: object, day: object, at: datetime | None = None) -> dict:
    """Open the checks of the period containing ``day``: ``weekly`` (each 基础岗, due the week's last working
    day) or ``monthly`` (each 攻坚岗/服务岗, due the month's last working day); one ``duty_check`` per branch
    committee member with the approved claims of their area."""
    actor.require(OPEN_DUTY, "only the supervisor (党群部) or an admin opens a period's duty work")
    if kind not in ("weekly", "monthly"):
        raise ValidationFailed("kind is weekly or monthly", field="kind", message_zh="请选择每周或每月")
    day = _day(day, "day")
    if kind == "weekly":
        week = periods.week_range(day)
        period, due = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}", _due(svc, week["first"], week["last"])
    else:
        period = day.strftime("%Y-%m")
        due = _month_due(svc, period)
    wanted = ("basic",) if kind == "weekly" else ("tough", "service")
    names = list(org.branch_names(uow))
    checkers_of = uow.org.holders_by_branch("branch_committee")
    keys = {f"duty_check/{kind}/{period}/{b}/{c}": b for b in names for c in checkers_of.get(b, [])}
    not_open = _not_open(uow, keys)
    todo = set(not_open.values())  # branches with an area whose check is not open yet
    covered = len(keys) - sum(1 for b in keys.values() if b in todo)
    claims_of = approved_claims_of(uow, sorted(todo), quarter_of(day))
    starts = []
    for branch in (b for b in names if b in todo):
        for checker, mine in sorted(areas(checkers_of[branch], claims_of.get(branch, [])).items()):
            items = [{"member": c["member"], "member_name": c["member_name"], "post": p["code"], "post_title": p["title"]}
                     for c in mine for p in c["posts"] if p["kind"] in wanted]
            key = f"duty_check/{kind}/{period}/{branch}/{checker}"
            covered += bool(items)
            if items and key in not_open:
                starts.append((key, {"branch": branch, "checker": checker, "kind": kind, "period": period, "due": due,
                                "items": items}))
    return _start_each(svc, uow, actor, "duty_check", starts, at, covered)


def open_meetings(svc: Services, uow: UnitOfWork, actor: Actor, month: object, at: datetime | None = None) -> dict:
    """Open every party group's 党小组会 of ``month`` (groups with a leader), due its last working day."""
    actor.require(OPEN_DUTY, "only the supervisor (党群部) or an admin opens a period's duty work")
    month = require_month(month)
    due = _month_due(svc, month)
    led = [g for g in uow.org.groups() if g.leader]
    todo = _not_open(uow, {f"group_meeting/{month}/{g.id}": g for g in led})
    starts = []
    for g in todo.values():
        members = [{"member": p.username, "member_name": p.display_name, "group": g.name}
                   for p in uow.org.people(group_id=g.id, active_only=True)]
        starts.append((f"group_meeting/{month}/{g.id}", {"branch": g.branch, "group_id": g.id, "group_name": g.name,
                                                          "leader": g.leader, "month": month, "due": due,
                                                          "members": members}))
    return _start_each(svc, uow, actor, "group_meeting", starts, at, len(led))


def open_scores(svc: Services, uow: UnitOfWork, actor: Actor, month: object, branches: object = None, at: datetime | None = None) -> dict:
    """Open every branch's monthly duty scoring of ``month``, due its last working day."""
    actor.require(OPEN_DUTY, "only the supervisor (党群部) or an admin opens a period's duty work")
    month = require_month(month)
    due = _month_due(svc, month)
    codes = _branches(uow, branches)
    todo = _not_open(uow, {f"duty_score/{month}/{b}": b for b in codes})
    members = _members(uow, list(todo.values())) if todo else {}
    for b in todo.values():  # what the month's checks found, beside each member, for the committee scoring them
        found = checks_of(uow, b, month)
        for m in members.get(b, []):
            m["checks"], m["checks_met"] = found.get(m["member"], (0, 0))
    return _start_each(svc, uow, actor, "duty_score", [
        (key, {"branch": b, "month": month, "due": due, "members": members.get(b, [])}) for key, b in todo.items()],
        at, len(codes))


def checks_of(uow: UnitOfWork, branch: str, month: str) -> dict[str, tuple[int, int]]:
    """Member → (posts checked, posts found met) over the branch's filed checks due in ``month``."""
    out: dict[str, tuple[int, int]] = {}
    for status, _, d in uow.instances.summaries("duty_check", branch=branch):
        if status != InstanceStatus.COMPLETED or not str(d.get("due", "")).startswith(month):
            continue
        for r in d.get("results", []):
            checked, met = out.get(r["member"], (0, 0))
            out[r["member"]] = (checked + 1, met + bool(r.get("met")))
    return out


def board(uow: UnitOfWork, actor: Actor, branch: object, month: object) -> dict:
    """公示栏: a branch's published duty scores of ``month`` (each member's score and band)."""
    branch = org.check_branch(uow, branch)
    month = require_month(month)
    names = org.branch_names(uow)
    inst: Instance | None = uow.org.by_dedup(f"duty_score/{month}/{branch}")
    published = inst is not None and inst.status == InstanceStatus.COMPLETED
    d = (inst.data or {}) if published else {}
    who = {m["member"]: m for m in d.get("members", [])}
    items = [{"member": s["member"], "member_name": who.get(s["member"], {}).get("member_name", ""),
              "group": who.get(s["member"], {}).get("group", ""), "score": s["score"], "band": s["band"],
              "band_label": s["band_label"]} for s in d.get("scored", [])]
    return {"branch": branch, "branch_name": names[branch], "month": month, "published": published,
            "published_on": d.get("published_on"), "instance": inst.id if inst else None,
            "items": sorted(items, key=lambda i: (-i["score"], i["member"]))}


def claims_board(uow: UnitOfWork, actor: Actor, branch: object, quarter: object) -> dict:
    """公示栏: a branch's approved claims of ``quarter``."""
    branch = org.check_branch(uow, branch)
    quarter = require_quarter(quarter)
    parse_quarter(quarter)
    return {"branch": branch, "branch_name": org.branch_names(uow)[branch], "quarter": quarter,
            "items": approved_claims(uow, branch, quarter)}
