"""The organisation: branches, party groups (党小组), who belongs where, and the member points ledger."""
from __future__ import annotations

from sqlalchemy import func, select, update

from ..models import Branch, InboxTask, Instance, MemberPoint, PartyGroup, RoleGrant, User
from .base import Repository, _insert_ignoring


class Organisation(Repository):
    """Branches, party groups, members, points."""

    def branch_names(self) -> dict[str, str]:
        """Every branch: code → Chinese name, by code."""
        rows = self.session.connection().execute(select(Branch.code, Branch.name).order_by(Branch.code))
        return {code: name for code, name in rows}

    def groups(self, branch: str | None = None) -> list[PartyGroup]:
        """Party groups (of one branch), by branch and name."""
        stmt = select(PartyGroup).order_by(PartyGroup.branch, PartyGroup.id)
        if branch is not None:
            stmt = stmt.where(PartyGroup.branch == branch)
        return list(self.session.scalars(stmt))

    def group(self, group_id: int) -> PartyGroup | None:
        """The party group ``group_id``."""
        return self.session.get(PartyGroup, group_id)

    def group_named(self, branch: str, name: str) -> PartyGroup | None:
        """The party group called ``name`` in ``branch``."""
        return self.session.scalar(select(PartyGroup).where(PartyGroup.branch == branch, PartyGroup.name == name))

    def people(self, branch: str | None = None, group_id: int | None = None, active_only: bool = False) -> list[User]:
        """People of a branch (or group, or everyone), by username."""
        stmt = select(User).order_by(User.username)
        if branch is not None:
            stmt = stmt.where(User.branch == branch)
        if group_id is not None:
            stmt = stmt.where(User.group_id == group_id)
        if active_only:
            stmt = stmt.where(User.active.is_(True))
        return list(self.session.scalars(stmt))

    def members_by_branch(self, branches: list[str] | None = None) -> dict[str, list[tuple[str, str, int | None]]]:
        """Active people holding ``member`` in their own branch: branch → [(username, name, group id)] (one query)."""
        stmt = (select(User.branch, User.username, User.display_name, User.group_id)
                .join(RoleGrant, RoleGrant.user_id == User.id)
                .where(User.active.is_(True), RoleGrant.role == "member", RoleGrant.source.is_(None),
                       RoleGrant.branch == User.branch)
                .order_by(User.branch, User.username))
        if branches is not None:
            stmt = stmt.where(User.branch.in_(branches))
        out: dict[str, list] = {}
        for branch, username, name, group_id in self.session.connection().execute(stmt):
            out.setdefault(branch, []).append((username, name, group_id))
        return out

    def replace_grants(self, user: User, grants: list[tuple[str, str | None]]) -> None:
        """Set the person's own roles (those not lent for one instance) to ``grants``."""
        for g in [g for g in user.grants if g.source is None]:
            user.grants.remove(g)
            self._uow.delete(g)
        self._uow.flush()
        for role, branch in grants:
            self._uow.add(RoleGrant(user_id=user.id, role=role, branch=branch))
        self._uow.flush()
        self.session.expire(user, ["grants"])

    def open_personal_tasks(self, username: str) -> list[InboxTask]:
        """Open tasks personal to ``username``."""
        return list(self.session.scalars(select(InboxTask).where(InboxTask.status == "open",
                                                                 InboxTask.assignee == username)))

    def add_points(self, rows: list[dict]) -> None:
        """Add ledger entries; an entry whose (source, username) exists is skipped (safe to repeat)."""
        if rows:
            stmt = _insert_ignoring(self.session.bind.dialect.name, MemberPoint, ["source", "username"])
            self.session.execute(stmt, rows)

    def points(self, username: str | None = None, branch: str | None = None) -> list[MemberPoint]:
        """Ledger entries of a person or a branch, oldest first."""
        stmt = select(MemberPoint).order_by(MemberPoint.created_at, MemberPoint.id)
        if username is not None:
            stmt = stmt.where(MemberPoint.username == username)
        if branch is not None:
            stmt = stmt.where(MemberPoint.branch == branch)
        return list(self.session.scalars(stmt))

    def points_total(self, username: str) -> int:
        """The sum of a person's points."""
        return int(self.session.scalar(select(func.coalesce(func.sum(MemberPoint.points), 0))
                                       .where(MemberPoint.username == username)))

    def clear_group(self, group_id: int) -> None:
        """Nobody is in group ``group_id`` any more."""
        self.session.execute(update(User).where(User.group_id == group_id).values(group_id=None))

    def dedup_taken(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` an instance already holds (one query)."""
        if not keys:
            return set()
        return set(self.session.scalars(select(Instance.dedup_key).where(Instance.dedup_key.in_(keys))))

    def dedup_ids(self, keys: list[str]) -> list[str]:
        """Ids of the instances holding any of ``keys`` (one query)."""
        if not keys:
            return []
        return list(self.session.scalars(select(Instance.id).where(Instance.dedup_key.in_(keys))))

    def by_dedup(self, key: str) -> Instance | None:
        """The instance holding dedup key ``key``."""
        return self.session.scalar(select(Instance).where(Instance.dedup_key == key))

    def holders_by_branch(self, role: str) -> dict[str, list[str]]:
        """Branch → active usernames holding ``role`` on it (own grants), by username (one query)."""
        out: dict[str, list[str]] = {}
        for branch, username in self.session.execute(
                select(RoleGrant.branch, User.username).join(User, RoleGrant.user_id == User.id)
                .where(User.active.is_(True), RoleGrant.role == role, RoleGrant.branch.is_not(None),
                       RoleGrant.source.is_(None)).order_by(RoleGrant.branch, User.username).distinct()):
            out.setdefault(branch, []).append(username)
        return out
