"""The demo organisation of DOMAIN.md: five branches with their 14 party groups and about ten members
each, the four helper pairings, and an account for every role."""
from __future__ import annotations

import secrets

from ..domain.roles import Grant
from ..store.models import Branch, PartyGroup
from ..store.uow import UnitOfWork
from . import auth
from .context import Services

#: the company's branches (demo data: the service itself reads branches from the database)
DEMO_BRANCHES = {"jg1": "机关一支部", "jg2": "机关二支部", "sc1": "生产一支部", "sc2": "生产二支部", "sb": "设备党支部"}
#: the 14 party groups (党小组), by branch
DEMO_GROUPS = {
    "jg1": ["综合党小组", "财务党小组"],
    "jg2": ["人力党小组", "党建党小组"],
    "sc1": ["甲班党小组", "乙班党小组", "丙班党小组", "丁班党小组"],
    "sc2": ["运行党小组", "化验党小组", "仓储党小组"],
    "sb": ["电气党小组", "仪表党小组", "机修党小组"],
}
#: members per branch (besides its secretary and committee member)
MEMBERS_PER_BRANCH = 10
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = ["建国", "秀英", "志强", "丽华", "海涛", "晓燕", "文博", "红梅", "俊杰", "雪梅", "德明", "春燕", "立新",
          "玉兰", "国庆", "桂芳", "永刚", "淑珍", "宏伟", "慧敏"]

#: (username, display name, grants). Helpers per the seed's pairings; the people of a branch (its secretary,
#: committee member and members) belong to it.
DEMO_USERS = [
    ("committee", "公司党委书记", [Grant("committee")]),
    ("supervisor", "党群部部长", [Grant("supervisor"), Grant("helper", "jg2")]),
    ("zonghe", "综合部部长", [Grant("helper", "sb")]),
    ("jiwei", "纪委副书记", [Grant("helper", "sc1")]),
    ("gonghui", "工会副主席", [Grant("helper", "sc2")]),
    ("auditor", "审计员", [Grant("auditor")]),
    ("admin", "系统管理员", [Grant("admin")]),
] + [
    (f"sec_{code}", f"{name}书记", [Grant("secretary", code), Grant("branch_committee", code)])
    for code, name in DEMO_BRANCHES.items()
] + [
    (f"wei_{code}", f"{name}组织委员", [Grant("branch_committee", code)])
    for code, name in DEMO_BRANCHES.items()
] + [
    (f"{code}_m{i:02d}", _SURNAMES[(b * 11 + i * 3) % len(_SURNAMES)] + _GIVEN[(b * 10 + i * 7) % len(_GIVEN)],
     [Grant("member", code)])
    for b, code in enumerate(DEMO_BRANCHES) for i in range(1, MEMBERS_PER_BRANCH + 1)
]


def home_branch(grants: list[Grant]) -> str | None:
    """The branch a demo person belongs to: that of their secretary, committee or member role."""
    return next((g.branch for g in grants if g.role in ("secretary", "branch_committee", "member")), None)


def demo_group_of(username: str, branch: str) -> int:
    """Which of its branch's groups (index) a demo member is in: members spread evenly, the first of each
    group its leader."""
    if username.startswith(("sec_", "wei_")):
        return 0
    return (int(username.rsplit("_m", 1)[1]) - 1) % len(DEMO_GROUPS[branch])


def load_demo(svc: Services, uow: UnitOfWork, password: str | None = None) -> list[tuple[str, str, str]]:
    """Create branches, party groups and demo users (idempotent); return (username, display name, password)
    created."""
    for code, name in DEMO_BRANCHES.items():
        if uow.identity.branch(code) is None:
            uow.add(Branch(code=code, name=name))
    uow.flush()
    groups: dict[tuple[str, int], PartyGroup] = {}
    for code, names in DEMO_GROUPS.items():
        for i, name in enumerate(names):
            row = uow.org.group_named(code, name)
            if row is None:
                row = PartyGroup(branch=code, name=name)
                uow.add(row)
            groups[(code, i)] = row
    uow.flush()
    created = []
    for username, display, grants in DEMO_USERS:
        branch = home_branch(grants)
        if uow.identity.user(username) is not None:
            continue
        pw = password or secrets.token_urlsafe(9)
        # example.com is reserved for documentation (RFC 2606): demo mail never reaches a real person
        user = auth.add_user(svc, uow, username, pw, display, grants, email=f"{username}@example.com")
        if branch is not None:
            group = groups[(branch, demo_group_of(username, branch))]
            user.branch, user.group_id = branch, group.id
            if group.leader is None and not username.startswith(("sec_", "wei_")):
                group.leader = username
        created.append((username, display, pw))
    uow.commit()
    return created
