"""Roles, their Chinese labels (= BPMN lane names) and the scope rule for acting on a task."""
from __future__ import annotations

from dataclasses import dataclass

ROLE_LABELS: dict[str, str] = {
    "committee": "公司党委",
    "supervisor": "党群部（监督方）",
    "helper": "政工负责人（甲方）",
    "secretary": "支部书记（乙方）",
    "branch_committee": "支部委员会",
    "inspector": "互查小组",
    "member": "党员",
    "auditor": "审计",
    "admin": "系统管理员",
    "system": "系统",
}
LANE_TO_ROLE: dict[str, str] = {label: role for role, label in ROLE_LABELS.items()}

#: roles that only read; any write by a user holding only these is refused
READ_ONLY_ROLES = frozenset({"auditor"})


@dataclass(frozen=True)
class Grant:
    """A role held company-wide (``branch is None``) or within one branch; a grant lent for one instance
    (an inspection team's ``inspector`` role) names it in ``instance`` and reaches no further; a grant held
    as someone's deputy (代理, while they are away) names them in ``deputy_for``."""

    role: str
    branch: str | None = None
    instance: str | None = None
    deputy_for: str | None = None

    def covers(self, role: str, branch: str | None) -> bool:
        """True when this grant lets its holder act as ``role`` on work of ``branch``."""
        return self.role == role and (self.branch is None or self.branch == branch)


def role_in_scope(role: str, branch: str | None, branch_names: dict[str, str] | None = None) -> str:
    """How messages name a role within its scope: ``the role helper (帮扶人) in 生产一支部`` (the branch by its
    name in ``branch_names``, else its code)."""
    where = (branch_names or {}).get(branch, branch) if branch else "the company"
    return f"the role {role} ({ROLE_LABELS.get(role, role)}) in {where}"


def role_for_lane(lane: str | None) -> str:
    """Map a BPMN lane name to a role code; unknown lanes are an authoring error."""
    if lane is None:
        raise ValueError("user task outside any lane: every human task needs a role lane")
    if lane in LANE_TO_ROLE:
        return LANE_TO_ROLE[lane]
    if lane in ROLE_LABELS:
        return lane
    raise ValueError(f"lane {lane!r} does not name a role")


def may_act(grants: list[Grant] | tuple[Grant, ...], role: str, branch: str | None) -> bool:
    """True when any grant covers acting as ``role`` on ``branch`` work."""
    return any(g.covers(role, branch) for g in grants)


def may_act_as_any(grants: list[Grant] | tuple[Grant, ...], roles: frozenset[str], branch: str | None) -> bool:
    """True when some grant covers acting in one of ``roles`` on ``branch`` work (None: company-wide work)."""
    return any(g.covers(role, branch) for g in grants for role in roles)
