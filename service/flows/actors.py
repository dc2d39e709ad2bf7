"""Who is acting: a user with grants, or the system itself (timers, child instances)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.errors import Forbidden
from ..domain.roles import READ_ONLY_ROLES, Grant, may_act_as_any


@dataclass(frozen=True)
class Actor:
    """The caller of a use case."""

    name: str
    grants: tuple[Grant, ...]
    is_system: bool = False
    acting_role: str | None = None
    #: the person's Chinese name when authentication read it (page headers), not part of who acts
    display_name: str | None = field(default=None, compare=False)

    @classmethod
    def system(cls) -> "Actor":
        """The service itself."""
        return cls("system", (), True, "system")

    @property
    def read_only(self) -> bool:
        """True when every role the actor holds only reads."""
        return not self.is_system and all(g.role in READ_ONLY_ROLES for g in self.grants)

    @property
    def company_wide(self) -> bool:
        """True when some grant is not limited to a branch."""
        return self.is_system or any(g.branch is None for g in self.grants)

    @property
    def principals(self) -> frozenset[str]:
        """The people the actor stands in for today (代理): their personal tasks are the actor's too."""
        return frozenset(g.deputy_for for g in self.grants if g.deputy_for)

    @property
    def names(self) -> tuple[str, ...]:
        """The actor's own name and those of the people they stand in for: whose personal tasks they do."""
        return (self.name, *sorted(self.principals))

    def stands_in_for(self, role: str, branch: str | None, assignee: str | None) -> str | None:
        """Whom the actor acts for on a task of ``role``/``branch`` (personal to ``assignee``), when only a
        deputy's grant (or the principal's personal task) lets them: that principal; else None."""
        if assignee is not None:
            return assignee if assignee != self.name and assignee in self.principals else None
        if any(g.covers(role, branch) for g in self.grants if g.deputy_for is None):
            return None
        return next((g.deputy_for for g in self.grants if g.deputy_for and g.covers(role, branch)), None)

    def sees_branch(self, branch: str | None) -> bool:
        """May the actor read work of ``branch``? (A grant lent for one instance does not open its branch.)"""
        return self.company_wide or any(g.branch == branch and g.instance is None for g in self.grants)

    def sees_instance(self, instance_id: str, branch: str | None) -> bool:
        """May the actor read instance ``instance_id`` of ``branch``: its branch, or a grant lent for it."""
        return self.sees_branch(branch) or any(g.instance == instance_id for g in self.grants)

    def home_branches(self) -> list[str]:
        """Branches whose work the actor reads, lent grants left out (for listings scoped by branch)."""
        return sorted({g.branch for g in self.grants if g.branch and g.instance is None})

    def grants_on(self, instance_id: str) -> tuple[Grant, ...]:
        """The grants that count on instance ``instance_id``: the actor's own, and those lent for it."""
        return tuple(g for g in self.grants if g.instance in (None, instance_id))

    def require(self, roles: frozenset[str], message: str, branch: str | None = None) -> None:
        """Forbidden with ``message`` unless a grant covers one of ``roles`` on ``branch`` (None: company-wide
        work) or the actor is the service itself: the check each use case behind a permission-table
        capability makes."""
        if not self.is_system and not may_act_as_any(self.grants, roles, branch):
            raise Forbidden(message)

    def with_role(self, role: str) -> "Actor":
        """The same actor, recorded as acting in ``role``."""
        return Actor(self.name, self.grants, self.is_system, role)
