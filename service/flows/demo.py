"""The demo organisation of DOMAIN.md: five branches, the four helper pairings, all roles."""
from __future__ import annotations

import secrets

from ..domain.roles import BRANCHES, Grant
from ..store.models import Branch
from ..store.uow import UnitOfWork
from . import auth
from .context import Services

#: (username, display name, grants). Helpers per the seed's pairings.
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
    for code, name in BRANCHES.items()
] + [
    (f"wei_{code}", f"{name}组织委员", [Grant("branch_committee", code)]) for code, name in BRANCHES.items()
]


def load_demo(svc: Services, uow: UnitOfWork, password: str | None = None) -> list[tuple[str, str, str]]:
    """Create branches and demo users (idempotent); return (username, display name, password) created."""
    for code, name in BRANCHES.items():
        if uow.identity.branch(code) is None:
            uow.add(Branch(code=code, name=name))
    uow.flush()
    created = []
    for username, display, grants in DEMO_USERS:
        if uow.identity.user(username) is not None:
            continue
        pw = password or secrets.token_urlsafe(9)
        # example.com is reserved for documentation (RFC 2606): demo mail never reaches a real person
        auth.add_user(svc, uow, username, pw, display, grants, email=f"{username}@example.com")
        created.append((username, display, pw))
    uow.commit()
    return created
