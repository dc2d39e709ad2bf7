"""People, roles, tokens, branches, login throttling, idempotency keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ...domain.roles import Grant, may_act
from ..models import (
    Branch,
    Deputy,
    IdempotencyKey,
    LoginThrottle,
    RoleGrant,
    Token,
    User,
)
from .base import Repository, covers, holder_exists, _PRINCIPAL, _DROP_GRANTS_OF


class Identity(Repository):
    """People, their roles and tokens, branches, login throttling."""

    def user(self, username: str) -> User | None:
        """The user called ``username``."""
        return self.session.scalar(select(User).where(User.username == username))

    def active_user(self, username: str) -> User | None:
        """The user ``username`` if the account is active."""
        return self.session.scalar(select(User).where(User.username == username, User.active.is_(True)))

    def count_login_attempt(self, username: str, now: datetime, address: str = "*") -> tuple[int, datetime | None]:
        """Count one login attempt of ``username`` from ``address`` atomically (one UPSERT: parallel attempts
        each get their own number, however many workers run them) and return (attempts in a row, locked
        until). A lock that has run out starts the count again at 1."""
        table = LoginThrottle.__table__
        expired = and_(table.c.locked_until.is_not(None), table.c.locked_until <= now)
        dialect = postgresql if self.session.bind.dialect.name == "postgresql" else sqlite
        stmt = (dialect.insert(table).values(username=username, address=address, failures=1, locked_until=None)
                .on_conflict_do_update(index_elements=["username", "address"], set_={
                    "failures": case((expired, 1), else_=table.c.failures + 1),
                    "locked_until": case((expired, None), else_=table.c.locked_until)})
                .returning(table.c.failures, table.c.locked_until))
        failures, locked_until = self.session.execute(stmt).one()
        return failures, locked_until

    def lock_login(self, username: str, until: datetime, address: str = "*") -> None:
        """Lock ``username`` (from ``address``; ``*``: from everywhere) until ``until`` (an earlier lock is
        not shortened)."""
        table = LoginThrottle.__table__
        self.session.execute(update(table).where(table.c.username == username, table.c.address == address,
                                                 or_(table.c.locked_until.is_(None), table.c.locked_until < until))
                             .values(locked_until=until))

    def forget_login_attempts(self, username: str, address: str | None = None) -> None:
        """A successful login from ``address`` (its count and the all-address count start again), or an admin
        lifting every lock of the username (``address`` None)."""
        table = LoginThrottle.__table__
        where = [table.c.username == username]
        if address is not None:
            where.append(table.c.address.in_({address, "*"}))
        self.session.execute(delete(table).where(*where))

    def deputy_grants(self, deputy: str, today) -> list[tuple[str, str, str | None]]:
        """(principal, role, branch) of every active person ``deputy`` stands in for on ``today`` (China
        date), with the principal's own grants (not those lent for one instance)."""
        principal = select(User.id, User.username).where(User.active.is_(True)).subquery()
        rows = self.session.connection().execute(
            select(Deputy.username, RoleGrant.role, RoleGrant.branch)
            .join(principal, principal.c.username == Deputy.username)
            .join(RoleGrant, RoleGrant.user_id == principal.c.id)
            .where(Deputy.deputy == deputy, Deputy.starts_on <= today, Deputy.ends_on >= today,
                   RoleGrant.source.is_(None)))
        return [tuple(r) for r in rows]

    def any_deputy_until(self, today) -> bool:
        """Is any deputy period not over by ``today``?"""
        return self.session.scalar(select(Deputy.id).where(Deputy.ends_on >= today).limit(1)) is not None

    def deputies_of(self, username: str) -> list[Deputy]:
        """The deputy periods ``username`` has named, latest first."""
        return list(self.session.scalars(select(Deputy).where(Deputy.username == username)
                                         .order_by(Deputy.starts_on.desc())))

    def users(self) -> list[User]:
        """Every account, by username."""
        return list(self.session.scalars(select(User).order_by(User.username)))

    def login_locks(self, now: datetime) -> dict[str, datetime]:
        """Usernames locked out of logging in right now, with until when."""
        table = LoginThrottle.__table__
        rows = self.session.execute(select(table.c.username, func.max(table.c.locked_until))
                                    .where(table.c.locked_until.is_not(None), table.c.locked_until > now)
                                    .group_by(table.c.username))
        return {name: until for name, until in rows}

    def token(self, token_hash: str) -> Token | None:
        """The token row of ``token_hash``."""
        return self.session.get(Token, token_hash)

    def revoke_tokens_of(self, user_id: int, at: datetime) -> None:
        """Revoke every live token of a user."""
        self.session.execute(update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
                             .values(revoked_at=at).execution_options(synchronize_session=False))

    def principal(self, token_hash: str) -> list[tuple]:
        """One query for a bearer token: rows of (expires_at, revoked_at, username, active, role, branch, source,
        display_name)."""
        # Core execution: this runs on every request, and the ORM layer would triple its cost
        return [tuple(r) for r in self.session.connection().execute(_PRINCIPAL, {"token_hash": token_hash})]

    def grants_of(self, user: User) -> tuple[Grant, ...]:
        """The user's roles as domain grants."""
        return tuple(Grant(g.role, g.branch, g.source) for g in user.grants)

    def holds(self, username: object, role: str, branch: str | None) -> bool:
        """Is ``username`` an active account whose grants cover ``role`` on ``branch``?"""
        user = self.active_user(username) if isinstance(username, str) else None
        return user is not None and may_act(self.grants_of(user), role, branch)

    def users_with(self, role: str, branch: str | None) -> list[User]:
        """Users whose grants cover ``role`` on ``branch``."""
        return list(self.session.scalars(
            select(User).join(RoleGrant).where(covers(role, branch), User.active.is_(True)).distinct()))

    def has_active_holder(self, role: str, branch: str | None) -> bool:
        """Does an active user hold ``role`` on ``branch`` (or company-wide)?"""
        return bool(self.session.scalar(select(holder_exists(literal(role), literal(branch, String)))))

    def grant(self, username: str, role: str, branch: str | None, source: str) -> None:
        """Give ``username`` the role ``role`` on ``branch`` for as long as instance ``source`` runs."""
        user = self.user(username)
        self._uow.add(RoleGrant(user_id=user.id, role=role, branch=branch, source=source))

    def drop_grants_of(self, source: str) -> None:
        """Remove the grants that existed for instance ``source``."""
        self.session.connection().execute(_DROP_GRANTS_OF, {"source": source})

    def home_branches(self, username: str) -> set[str]:
        """Branches a user belongs to: those of their own branch-scoped grants (not ones lent by an instance)."""
        return set(self.session.scalars(
            select(RoleGrant.branch).join(User).where(User.username == username, RoleGrant.branch.is_not(None),
                                                      RoleGrant.source.is_(None))))

    def branches(self) -> list[Branch]:
        """All branches, by code."""
        return list(self.session.scalars(select(Branch).order_by(Branch.code)))

    def branch(self, code: str) -> Branch | None:
        """The branch ``code``."""
        return self.session.get(Branch, code)


class Idempotency(Repository):
    """Stored answers of requests sent with an Idempotency-Key."""

    def get(self, username: str, key: str) -> IdempotencyKey | None:
        """The stored request ``key`` of ``username``, as committed now."""
        return self.session.get(IdempotencyKey, (username, key), populate_existing=True)

    def reserve(self, row: IdempotencyKey) -> None:
        """Insert the key row now, in this transaction: it commits with the write it guards, and a request
        racing with the same key waits on its unique index and then fails with a Conflict."""
        self._uow.add(row)
        self._uow.flush()

    def drop_before(self, cutoff: datetime) -> int:
        """Forget keys created before ``cutoff`` (an indexed range); how many."""
        return self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount
