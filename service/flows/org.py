"""The organisation as data (an admin maintains it): branches, party groups (党小组), people with their
branch, group and roles; and what happens to a person's open personal tasks when they leave or move."""
from __future__ import annotations

import re

from ..domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from ..domain.permissions import MANAGE_ORG
from ..domain.roles import ROLE_LABELS, Grant
from ..store.models import Branch, PartyGroup, User
from ..store.uow import UnitOfWork
from . import auth, event_types, instances
from .actors import Actor
from .context import Services

_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
#: the roles of a person's own branch duties (a member's, a committee member's area): their open personal
#: tasks go back to the branch committee when they leave or move (tasks personal through a company-side
#: role, a helper's, stay with their holder and show as stranded for the admin and the supervisor to assign)
RETURNED_ROLES = frozenset({"member", "branch_committee"})


def branch_names(uow: UnitOfWork) -> dict[str, str]:
    """Every branch: code → Chinese name."""
    return uow.org.branch_names()


def check_branch(uow: UnitOfWork, code: object, field: str = "branch") -> str:
    """``code`` when it names a branch, else ValidationFailed naming ``field``."""
    if not isinstance(code, str) or uow.identity.branch(code) is None:
        raise ValidationFailed(f"unknown branch {code!r}", field=field, message_zh="没有这个支部")
    return code


def _name(value: object, field: str, most: int = 100) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= most:
        raise ValidationFailed(f"{field}: 1–{most} characters", field=field, message_zh=f"请填写1–{most}个字")
    return text


# -- branches -------------------------------------------------------------------------------------------


def branches(uow: UnitOfWork) -> list[dict]:
    """Every branch with its number of groups and people."""
    groups, people = {}, {}
    for g in uow.org.groups():
        groups[g.branch] = groups.get(g.branch, 0) + 1
    for p in uow.org.people(active_only=True):
        if p.branch:
            people[p.branch] = people.get(p.branch, 0) + 1
    return [{"code": b.code, "name": b.name, "groups": groups.get(b.code, 0), "people": people.get(b.code, 0)}
            for b in uow.identity.branches()]


def add_branch(uow: UnitOfWork, actor: Actor, code: object, name: object) -> Branch:
    """Add a branch (admins); committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValidationFailed("code: a lower-case letter, then up to 31 letters, digits, - or _", field="code",
                               message_zh="代码以小写字母开头，最多32个字母、数字、-或_")
    if uow.identity.branch(code) is not None:
        raise ValidationFailed(f"branch {code} exists", field="code", message_zh="该支部代码已存在")
    row = Branch(code=code, name=_name(name, "name"))
    uow.add(row)
    uow.commit()
    return row


def rename_branch(uow: UnitOfWork, actor: Actor, code: str, name: object) -> Branch:
    """Give a branch a new Chinese name (admins); committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    row = uow.identity.branch(code)
    if row is None:
        raise NotFound(f"no branch {code}", field="code")
    row.name = _name(name, "name")
    uow.commit()
    return row


# -- party groups ---------------------------------------------------------------------------------------


def group_view(uow: UnitOfWork, g: PartyGroup, names: dict[str, str] | None = None) -> dict:
    """A party group as the API shows it, with its members."""
    names = names if names is not None else branch_names(uow)
    members = uow.org.people(group_id=g.id, active_only=True)
    return {"id": g.id, "branch": g.branch, "branch_name": names.get(g.branch, g.branch), "name": g.name,
            "leader": g.leader, "members": [{"username": p.username, "display_name": p.display_name} for p in members]}


def groups(uow: UnitOfWork, branch: str | None = None) -> list[dict]:
    """Party groups (of one branch) with their members."""
    names = branch_names(uow)
    if branch is not None:
        check_branch(uow, branch)
    return [group_view(uow, g, names) for g in uow.org.groups(branch)]


def _check_leader(uow: UnitOfWork, leader: object, branch: str) -> str | None:
    if leader is None:
        return None
    user = uow.identity.active_user(leader) if isinstance(leader, str) else None
    if user is None or user.branch != branch:
        raise ValidationFailed(f"the leader must be an active member of branch {branch}", field="leader",
                               message_zh="组长须是本支部在岗党员")
    return user.username


def add_group(uow: UnitOfWork, actor: Actor, branch: object, name: object, leader: object = None) -> PartyGroup:
    """Set up a party group in a branch (admins); its leader joins it. Committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    branch = check_branch(uow, branch)
    name = _name(name, "name")
    if uow.org.group_named(branch, name) is not None:
        raise ValidationFailed(f"{branch} already has a group {name}", field="name", message_zh="本支部已有同名党小组")
    row = PartyGroup(branch=branch, name=name, leader=_check_leader(uow, leader, branch))
    uow.add(row)
    uow.flush()
    if row.leader:
        uow.identity.user(row.leader).group_id = row.id
    uow.commit()
    return row


def update_group(svc: Services, uow: UnitOfWork, actor: Actor, group_id: int | str, changes: dict) -> PartyGroup:
    """Rename a group or name its leader (who joins it; admins). Committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    number = int(group_id) if str(group_id).isdigit() and len(str(group_id)) < 11 else 0
    row = uow.org.group(number) if 0 < number < 2**31 else None
    if row is None:
        raise NotFound(f"no party group {group_id}", field="group_id")
    if "name" in changes:
        name = _name(changes["name"], "name")
        other = uow.org.group_named(row.branch, name)
        if other is not None and other.id != row.id:
            raise ValidationFailed(f"{row.branch} already has a group {name}", field="name", message_zh="本支部已有同名党小组")
        row.name = name
    if "leader" in changes:
        row.leader = _check_leader(uow, changes["leader"], row.branch)
        if row.leader:
            _move_group(svc, uow, actor, uow.identity.user(row.leader), row.id)
    uow.commit()
    return row


# -- people ---------------------------------------------------------------------------------------------


def person_view(uow: UnitOfWork, u: User, names: dict[str, str] | None = None,
                group_names: dict[int, str] | None = None) -> dict:
    """A person as the API shows them."""
    names = names if names is not None else branch_names(uow)
    if group_names is None:
        group = uow.org.group(u.group_id) if u.group_id else None
        group_names = {group.id: group.name} if group else {}
    return {"username": u.username, "display_name": u.display_name, "email": u.email, "active": u.active,
            "branch": u.branch, "branch_name": names.get(u.branch, "") if u.branch else "",
            "group_id": u.group_id, "group_name": group_names.get(u.group_id, "") if u.group_id else "",
            "grants": [{"role": g.role, "role_label": ROLE_LABELS.get(g.role, g.role), "branch": g.branch}
                       for g in u.grants if g.source is None]}


def people(uow: UnitOfWork, actor: Actor, branch: str | None = None, group_id: int | None = None) -> list[dict]:
    """People of a branch or group (company-wide roles see everyone; branch roles their own branches)."""
    if branch is not None:
        check_branch(uow, branch)
    if not actor.company_wide:
        mine = actor.home_branches()
        if branch is None and len(mine) == 1:
            branch = mine[0]
        if branch not in mine:
            raise ValidationFailed("name one of your branches", field="branch", message_zh="只能查看本支部人员")
    names = branch_names(uow)
    group_names = {g.id: g.name for g in uow.org.groups(branch)}
    return [person_view(uow, u, names, group_names) for u in uow.org.people(branch, group_id)]


def _check_grants(uow: UnitOfWork, grants: object) -> list[tuple[str, str | None]]:
    if not isinstance(grants, list):
        raise ValidationFailed("roles: a list of {role, branch}", field="roles")
    out = []
    for i, g in enumerate(grants):
        role, branch = (g.get("role"), g.get("branch")) if isinstance(g, dict) else (None, None)
        if role not in ROLE_LABELS or role == "system":
            raise ValidationFailed(f"unknown role {role!r}", field=f"roles.{i}.role", message_zh="没有这个角色")
        if branch is not None:
            check_branch(uow, branch, f"roles.{i}.branch")
        out.append((role, branch))
    return sorted(set(out), key=lambda rb: (rb[0], rb[1] or ""))


def _check_group(uow: UnitOfWork, group_id: object, branch: str | None) -> int | None:
    if group_id is None:
        return None
    group = uow.org.group(group_id) if isinstance(group_id, int) else None
    if group is None or group.branch != branch:
        raise ValidationFailed("the group must be one of the person's branch", field="group_id",
                               message_zh="党小组须属于本人所在支部")
    return group.id


def create_person(svc: Services, uow: UnitOfWork, actor: Actor, body: dict) -> User:
    """Add a person: account, Chinese name, branch, group, roles with scope, e-mail (admins). Committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    branch = check_branch(uow, body["branch"]) if body.get("branch") is not None else None
    grants = _check_grants(uow, body.get("roles", []))
    group_id = _check_group(uow, body.get("group_id"), branch)
    user = auth.add_user(svc, uow, body.get("username"), body.get("password") or "", body.get("display_name"),
                         [Grant(r, b) for r, b in grants], body.get("email"))
    user.branch, user.group_id = branch, group_id
    uow.commit()
    return user


def update_person(svc: Services, uow: UnitOfWork, actor: Actor, username: str, changes: dict) -> User:
    """Change a person's name, e-mail, branch, group, roles or active flag (admins). Moving group or branch,
    or disabling the account, sends their open personal branch duties back to the branch committee. Committed."""
    actor.require(MANAGE_ORG, "only an admin maintains the organisation")
    user = uow.identity.user(username)
    if user is None:
        raise NotFound(f"no user {username}", field="username")
    if "display_name" in changes:
        user.display_name = _name(changes["display_name"], "display_name")
    if "email" in changes:
        email = changes["email"]
        if email is not None and not auth.EMAIL.fullmatch(str(email)):
            raise ValidationFailed(f"not an e-mail address: {email}", field="email", message_zh="电子邮箱格式不正确")
        user.email = email
    old_branch = user.branch
    if "branch" in changes:
        user.branch = check_branch(uow, changes["branch"]) if changes["branch"] is not None else None
    if "roles" in changes:
        uow.org.replace_grants(user, _check_grants(uow, changes["roles"]))
    elif user.branch != old_branch and old_branch is not None:  # their branch roles move with them
        moved = [(g.role, user.branch if g.branch == old_branch else g.branch) for g in user.grants if g.source is None]
        uow.org.replace_grants(user, [rb for rb in moved if rb[1] is not None or rb[0] not in ("member",)])
    group_id = changes["group_id"] if "group_id" in changes else (user.group_id if user.branch == old_branch else None)
    _move_group(svc, uow, actor, user, _check_group(uow, group_id, user.branch))
    if "active" in changes and bool(changes["active"]) != user.active:  # disabling returns their duties
        auth.set_active(svc, uow, username, bool(changes["active"]))  # commits
    uow.commit()
    return user


def _move_group(svc: Services, uow: UnitOfWork, actor: Actor, user: User, group_id: int | None) -> None:
    if user.group_id == group_id:
        return
    old = uow.org.group(user.group_id) if user.group_id else None
    if old is not None and old.leader == user.username:
        old.leader = None
    user.group_id = group_id
    return_personal_tasks(svc, uow, actor, user, "moved to another party group")


def return_personal_tasks(svc: Services, uow: UnitOfWork, actor: Actor, user: User, why: str) -> int:
    """Send ``user``'s open personal branch duties back to their branch committee (支委会) to reassign; the
    history of each instance records it. Staged; how many."""
    now, count = svc.clock.now(), 0
    for row in uow.org.open_personal_tasks(user.username):
        if row.role not in RETURNED_ROLES or row.branch is None:
            continue
        found = uow.inbox.with_instance(row.id)
        if found is None:
            continue
        inst = found[1]
        previous_role, row.role, row.assignee, row.claimed_by = row.role, "branch_committee", None, None
        instances.note_event(uow, inst, instances.Entry(
            event_types.ReturnToBranch(row.id, user.username, previous_role, why), actor, row.element, row.name), now)
        count += 1
    return count


def may_reassign(actor: Actor, role: str, branch: str | None) -> bool:
    """Does the actor, as its branch's secretary or committee member, reassign a task of ``role`` in ``branch``
    (a member duty, or one sent back to the committee)?"""
    return role in ("member", "branch_committee") and branch is not None and any(
        g.role in ("secretary", "branch_committee") and g.branch == branch and g.instance is None for g in actor.grants)


# -- member points (积分制) ------------------------------------------------------------------------------


def add_points(svc: Services, uow: UnitOfWork, entries: list[dict], source: str) -> None:
    """Add ledger entries (username, branch, period, points, reason) from ``source`` (an instance, a rule);
    adding the same source again for a person is a no-op. Staged."""
    now = svc.clock.now()
    uow.org.add_points([dict(e, source=source, created_at=now) for e in entries])


def points_from_task(svc: Services, uow: UnitOfWork, inst, field: str | None) -> None:
    """A task with ``points_from``: each ``{member, score, band_label}`` of that process-data list enters the
    points ledger for the instance's period (``month``, else ``quarter``); once per instance and person."""
    if not field:
        return
    data = inst.data or {}
    period = str(data.get("month") or data.get("quarter") or "")
    entries = [{"username": item["member"], "branch": inst.branch, "period": period, "points": int(round(item["score"])),
                "reason": f"{period} 党员履职评分" + (f"（{item['band_label']}）" if item.get("band_label") else "")}
               for item in data.get(field) or [] if isinstance(item, dict) and item.get("member")]
    add_points(svc, uow, entries, f"{inst.process_id}/{inst.id}")


def points(uow: UnitOfWork, actor: Actor, username: str | None, branch: str | None) -> dict:
    """Ledger entries of a person (anyone their own; branch roles their branch's people) or of a branch."""
    if username is None and branch is None:
        username = actor.name
    if username is not None:
        user = uow.identity.user(username)
        if user is None:
            raise NotFound(f"no user {username}", field="username")
        if username not in actor.names and not actor.sees_branch(user.branch):
            raise Forbidden(f"the points of {username} are not yours to read")
        rows = uow.org.points(username=username)
        return {"items": rows, "total": sum(r.points for r in rows)}
    check_branch(uow, branch)
    if not actor.sees_branch(branch) or actor.read_only and not actor.company_wide:
        raise Forbidden(f"the points of {branch} are not yours to read")
    return {"items": uow.org.points(branch=branch), "total": None}


# -- my own account -------------------------------------------------------------------------------------


def change_own_password(svc: Services, uow: UnitOfWork, actor: Actor, old: str, new: str) -> None:
    """A person changes their own password (the old one checked); their tokens are revoked. Committed."""
    user = uow.identity.active_user(actor.name)
    if user is None:
        raise Unauthenticated("account disabled")
    try:
        auth.hasher(svc).verify(user.password_hash, old)
    except Exception:  # argon2's VerificationError / InvalidHashError
        raise ValidationFailed("the current password is wrong", field="old_password", message_zh="原密码不正确") from None
    if len(new) < 8:
        raise ValidationFailed("password must have at least 8 characters", field="new_password",
                               message_zh="密码至少8个字符")
    if new == old:
        raise ValidationFailed("the new password is the old one", field="new_password", message_zh="新密码不能与原密码相同")
    user.password_hash = auth.hasher(svc).hash(new)
    uow.identity.revoke_tokens_of(user.id, svc.clock.now())
    uow.commit()

