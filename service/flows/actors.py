"""Who is acting: a user with grants, or the system itself (timers, child instances)."""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.roles import READ_ONLY_ROLES, Grant


@dataclass(frozen=True)
class Actor:
    """The caller of a use case."""

    name: str
    grants: tuple[Grant, ...]
    is_system: bool = False
    acting_role: str | None = None

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

    def sees_branch(self, branch: str | None) -> bool:
        """May the actor read work of ``branch``?"""
        return self.company_wide or any(g.branch == branch for g in self.grants)

    def with_role(self, role: str) -> "Actor":
        """The same actor, recorded as acting in ``role``."""
        return Actor(self.name, self.grants, self.is_system, role)
