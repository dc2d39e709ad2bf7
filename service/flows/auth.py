"""Accounts and bearer tokens: argon2 password hashes, sha256-stored tokens with expiry."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

from ..domain.errors import NotFound, TooManyAttempts, Unauthenticated, ValidationFailed
from ..domain.permissions import MANAGE_USERS
from ..domain.calendar import CST
from ..domain.roles import ROLE_LABELS, Grant
from ..store.models import RoleGrant, Token, User
from ..store.uow import UnitOfWork
from . import flags
from .actors import Actor
from .context import Services

_HASHERS = {
    "default": PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY),
    # tests only: the cheapest parameters argon2 allows, so suites that create many users stay fast
    "fast": PasswordHasher.from_parameters(CHEAPEST),
}
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")
_DUMMY = _HASHERS["default"].hash("branchflow-timing-equaliser")
#: roles held within a branch by the people who belong to it (a helper's grant on a branch is company staff's)
BRANCH_MEMBERSHIP = frozenset({"secretary", "branch_committee", "member"})


def hasher(svc: Services) -> PasswordHasher:
    """The password hasher configured for this service."""
    return _HASHERS[svc.settings.password_profile]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(svc: Services, uow: UnitOfWork, username: str, password: str, address: str | None = None) -> tuple[str, object]:
    """Check the password and issue a token; the same error for unknown user and wrong password.

    ``login_max_failures`` wrong passwords in a row *from one client address* lock the username (known or
    not, so a lock tells nothing about who exists) for that address for ``login_lock_minutes``: every
    attempt from there then gets 429 and Retry-After, while the real user elsewhere can still log in. Five
    times as many from all addresses together lock it everywhere (guesses spread over many addresses do
    not get around the limit). Each attempt is counted, atomically and committed, *before* its password is
    checked: of any number of parallel guesses only the limit is ever checked. The counts live in the
    database, so all workers share them."""
    now = svc.clock.now()
    name, here = username[:64], (address or "*")[:64]
    limit, lock_for = svc.settings.login_max_failures, timedelta(minutes=svc.settings.login_lock_minutes)
    counts = {here: (limit, *uow.identity.count_login_attempt(name, now, here))}
    if here != "*":
        counts["*"] = (limit * 5, *uow.identity.count_login_attempt(name, now, "*"))
    for where, (cap, attempts, until) in counts.items():
        if until is None and attempts > cap:  # parallel guesses beyond the limit: lock without checking
            uow.identity.lock_login(name, now + lock_for, where)
            counts[where] = (cap, attempts, now + lock_for)
    uow.commit()
    locked_until = max((until for _cap, _n, until in counts.values() if until is not None and until > now), default=None)
    if locked_until is not None:
        wait = int((locked_until - now).total_seconds()) + 1
        raise TooManyAttempts(f"too many failed logins for {username}: try again in {wait} s", retry_after=wait)
    user = uow.identity.user(username)
    ph = hasher(svc)
    try:
        if user is None or not user.active:
            ph.verify(_DUMMY, password)  # equal timing for unknown users
            raise VerificationError("unknown user")
        ph.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        for where, (cap, attempts, _until) in counts.items():
            if attempts >= cap:
                uow.identity.lock_login(name, now + lock_for, where)
        uow.commit()
        raise Unauthenticated("wrong username or password") from None
    uow.identity.forget_login_attempts(name, here)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=svc.settings.token_ttl_hours)
    uow.add(Token(token_hash=_digest(token), user_id=user.id, issued_at=now, expires_at=expires))
    uow.commit()
    return token, expires


def authenticate(svc: Services, uow: UnitOfWork, token: str | None) -> Actor:
    """The actor behind a bearer token, or Unauthenticated."""
    if not token:
        raise Unauthenticated("missing bearer token")
    rows = uow.identity.principal(_digest(token))
    if not rows or rows[0][1] is not None:
        raise Unauthenticated("unknown or revoked token")
    expires_at, _revoked, username, active = rows[0][:4]
    display = rows[0][7]
    if expires_at <= svc.clock.now():
        raise Unauthenticated("token expired")
    if not active:
        raise Unauthenticated("account disabled")
    grants = tuple(Grant(role, branch, source) for *_, role, branch, source, _name in rows if role is not None)
    if not _deputies_current(svc, uow):  # almost always: no query per request for a rare setting
        return Actor(username, grants, display_name=display)
    today = svc.clock.now().astimezone(CST).date()
    deputy = tuple(Grant(role, branch, None, principal) for principal, role, branch in uow.identity.deputy_grants(username, today))
    return Actor(username, grants + deputy, display_name=display)


def _deputies_current(svc: Services, uow: UnitOfWork) -> bool:
    """Is any deputy period (代理) not yet over? (``flags``: not a query per request.)"""
    return flags.flag(svc, "deputies", lambda: uow.identity.any_deputy_until(svc.clock.now().astimezone(CST).date()))


def revoke(svc: Services, uow: UnitOfWork, token: str) -> None:
    """Revoke a token (logout)."""
    row = uow.identity.token(_digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = svc.clock.now()
        uow.commit()


def add_user(svc: Services, uow: UnitOfWork, username: str, password: str, display_name: str | None = None,
             grants: list[Grant] | tuple[Grant, ...] = (), email: str | None = None) -> User:
    """Create a user with roles; staged (the caller commits)."""
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
        raise ValidationFailed("username: 1–64 letters, digits, - or _", field="username",
                               message_zh="账号为1–64位字母、数字、- 或 _")
    if len(password) < 8:
        raise ValidationFailed("password must have at least 8 characters", field="password", message_zh="密码至少8个字符")
    if uow.identity.user(username) is not None:
        raise ValidationFailed(f"user {username} exists", field="username", message_zh="该账号已存在")
    for g in grants:
        if g.role not in ROLE_LABELS or g.role == "system":
            raise ValidationFailed(f"unknown role {g.role}", field="role", message_zh="没有这个角色")
        if g.branch is not None and uow.identity.branch(g.branch) is None:
            raise ValidationFailed(f"unknown branch {g.branch}", field="branch", message_zh="没有这个支部")
    if email is not None and not EMAIL.fullmatch(email):
        raise ValidationFailed(f"not an e-mail address: {email}", field="email", message_zh="电子邮箱格式不正确")
    homes = {g.branch for g in grants if g.branch is not None and g.role in BRANCH_MEMBERSHIP}
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=hasher(svc).hash(password), branch=homes.pop() if len(homes) == 1 else None)
    uow.add(user)
    uow.flush()
    for g in grants:
        uow.add(RoleGrant(user_id=user.id, role=g.role, branch=g.branch))
    uow.flush()
    return user


def set_active(svc: Services, uow: UnitOfWork, username: str, active: bool) -> User:
    """Enable or disable an account; disabling revokes its tokens and sends its open personal branch duties
    back to the branch committee (``org.return_personal_tasks``; other personal tasks become stranded)."""
    from . import org  # org builds on this module

    user = uow.identity.user(username)
    if user is None:
        raise NotFound(f"no user {username}", field="username")
    if user.active and not active:
        org.return_personal_tasks(svc, uow, Actor.system(), user, "account disabled")
    user.active = active
    if not active:
        uow.identity.revoke_tokens_of(user.id, svc.clock.now())
    uow.commit()
    return user


# -- account administration (admins) ----------------------------------------------------------------


def profile(uow: UnitOfWork, actor: Actor) -> dict:
    """Who is logged in, as a page header shows it: Chinese name, roles with their branch."""
    display = actor.display_name  # read with the session's token; else looked up
    if display is None:
        user = uow.identity.user(actor.name)
        display = user.display_name if user else actor.name
    return {"username": actor.name, "display_name": display,
            "grants": [{"role": g.role, "role_label": ROLE_LABELS.get(g.role, g.role), "branch": g.branch}
                       for g in actor.grants]}


def list_users(svc: Services, uow: UnitOfWork, actor: Actor) -> list[dict]:
    """Every account with its roles, whether it is active and whether a login lock holds it (admins)."""
    actor.require(MANAGE_USERS, "only an admin manages accounts")
    locks = uow.identity.login_locks(svc.clock.now())
    return [{"username": u.username, "display_name": u.display_name, "email": u.email, "active": u.active,
             "grants": [{"role": g.role, "role_label": ROLE_LABELS.get(g.role, g.role), "branch": g.branch}
                        for g in u.grants],
             "locked_until": locks.get(u.username)} for u in uow.identity.users()]


def create_user(svc: Services, uow: UnitOfWork, actor: Actor, username: str, password: str,
                display_name: str | None = None, grants=(), email: str | None = None) -> User:
    """Add an account (admins); committed."""
    actor.require(MANAGE_USERS, "only an admin manages accounts")
    user = add_user(svc, uow, username, password, display_name, grants, email)
    uow.commit()
    return user


def reset_password(svc: Services, uow: UnitOfWork, actor: Actor, username: str, password: str) -> User:
    """Set a new password (admins), revoke the account's tokens and lift any login lock."""
    actor.require(MANAGE_USERS, "only an admin manages accounts")
    user = uow.identity.user(username)
    if user is None:
        raise NotFound(f"no user {username}", field="username")
    if len(password) < 8:
        raise ValidationFailed("password must have at least 8 characters", field="password",
                               message_zh="密码至少8个字符")
    user.password_hash = hasher(svc).hash(password)
    uow.identity.revoke_tokens_of(user.id, svc.clock.now())
    uow.identity.forget_login_attempts(username)  # every address
    uow.commit()
    return user


def change_active(svc: Services, uow: UnitOfWork, actor: Actor, username: str, active: bool) -> User:
    """Enable or disable an account (admins)."""
    actor.require(MANAGE_USERS, "only an admin manages accounts")
    return set_active(svc, uow, username, active)


def unlock(svc: Services, uow: UnitOfWork, actor: Actor, username: str) -> None:
    """Lift a login lock (admins): the count of failed logins starts again."""
    actor.require(MANAGE_USERS, "only an admin manages accounts")
    uow.identity.forget_login_attempts(username[:64])  # every address
    uow.commit()


# -- 代理 deputies -------------------------------------------------------------------------------------


def name_deputy(svc: Services, uow: UnitOfWork, actor: Actor, deputy: object, starts_on: object, ends_on: object):
    """代理: while I am away (China dates, both included), ``deputy`` also receives and may act on my work;
    what they do is recorded as done for me. Committed; returns the period."""
    import uuid
    from datetime import date

    from ..store.models import Deputy

    person = uow.identity.active_user(deputy) if isinstance(deputy, str) else None
    if person is None or person.username == actor.name:
        raise ValidationFailed(f"no other active user {deputy!r}", field="deputy", message_zh="请选择另一位在岗用户")
    try:
        start, end = date.fromisoformat(str(starts_on)), date.fromisoformat(str(ends_on))
    except ValueError:
        raise ValidationFailed("dates as YYYY-MM-DD", field="starts_on", message_zh="请填写有效日期（年-月-日）") from None
    today = svc.clock.now().astimezone(CST).date()
    if end < start or end < today or (end - start).days > 366:
        raise ValidationFailed("a period of at most a year that has not ended", field="ends_on",
                               message_zh="结束日期须不早于开始日期和今天，且不超过一年")
    row = Deputy(id=str(uuid.uuid4()), username=actor.name, deputy=person.username, starts_on=start, ends_on=end,
                 created_at=svc.clock.now())
    uow.add(row)
    uow.commit()
    flags.forget(svc, "deputies")  # this worker sees it at once
    return row


def deputies(uow: UnitOfWork, actor: Actor) -> list[dict]:
    """The deputy periods I have named."""
    return [{"id": d.id, "deputy": d.deputy, "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat()}
            for d in uow.identity.deputies_of(actor.name)]
