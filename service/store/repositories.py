"""The repositories a unit of work exposes: one class per area, each running its statements in the
unit of work's transaction (``uow.instances.get(id)``, ``uow.timers.due_of(id, now)``, …)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, bindparam, case, delete, exists, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.roles import Grant
from .models import (
    Attachment,
    Branch,
    Checklist,
    Checkpoint,
    CalendarSchedule,
    CalendarYear,
    Event,
    IdempotencyKey,
    InboxTask,
    Instance,
    LoginThrottle,
    Outbox,
    RoleGrant,
    Spec,
    Timer,
    Token,
    User,
)


# Hot-path statements are built once with bind parameters: building a SELECT costs more than running
# it on SQLite, and these run on every task completion.
_PRINCIPAL = (select(Token.expires_at, Token.revoked_at, User.username, User.active, RoleGrant.role, RoleGrant.branch,
                     RoleGrant.source)
              .join(User, User.id == Token.user_id)
              .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
              .where(Token.token_hash == bindparam("token_hash"))
              .order_by(RoleGrant.id))
_TASK_WITH_INSTANCE = (select(InboxTask, Instance).join(Instance, Instance.id == InboxTask.instance_id)
                       .where(InboxTask.id == bindparam("task_id")))
_LOCK_INSTANCE_OF_TASK = (select(Instance.id).where(Instance.id == select(InboxTask.instance_id).where(
    InboxTask.id == bindparam("task_id")).scalar_subquery()).with_for_update())
_OPEN_TASKS_OF = select(InboxTask).where(InboxTask.instance_id == bindparam("instance_id"), InboxTask.status == "open")
# pending timers and open inbox rows of an instance in one round trip, for the sync after every step
_SYNC_MARKS = union_all(
    select(literal("timer").label("tbl"), Timer.id, literal(None, String).label("kind"),
           literal(None, String).label("ref_task_id"), Timer.due_at, Timer.provisional)
    .where(Timer.instance_id == bindparam("instance_id"), Timer.status == "pending"),
    select(literal("task").label("tbl"), InboxTask.id, InboxTask.kind, InboxTask.ref_task_id, InboxTask.due_at,
           InboxTask.provisional)
    .where(InboxTask.instance_id == bindparam("instance_id"), InboxTask.status == "open"))


_DROP_GRANTS_OF = delete(RoleGrant.__table__).where(RoleGrant.__table__.c.source == bindparam("source"))
_UPDATES: dict = {}


def _insert_ignoring(dialect: str, model, keys: list[str]):
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for ``model`` on SQLite or PostgreSQL."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing(index_elements=keys)


def holder_exists(role, branch):
    """EXISTS an active user with a grant of ``role`` on ``branch`` or company-wide (columns or literals)."""
    return (exists().where(RoleGrant.user_id == User.id, User.active.is_(True), RoleGrant.role == role,
                           or_(RoleGrant.branch.is_(None), RoleGrant.branch == branch)))


class Repository:
    """One area's queries and writes, inside the unit of work's transaction."""

    def __init__(self, uow):
        self._uow = uow

    @property
    def session(self):
        """The unit of work's session (its current transaction)."""
        return self._uow.session

    def _lock_free_ids(self, stmt) -> list:
        """Run an id query for a claim; on PostgreSQL rows another worker is claiming are skipped
        (``FOR UPDATE SKIP LOCKED``), on SQLite the transaction's write lock serialises claims."""
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))


class Identity(Repository):
    """People, their roles and tokens, branches, login throttling."""

    def user(self, username: str) -> User | None:
        """The user called ``username``."""
        return self.session.scalar(select(User).where(User.username == username))

    def active_user(self, username: str) -> User | None:
        """The user ``username`` if the account is active."""
        return self.session.scalar(select(User).where(User.username == username, User.active.is_(True)))

    def count_login_attempt(self, username: str, now: datetime) -> tuple[int, datetime | None]:
        """Count one login attempt of ``username`` atomically (one UPSERT: parallel attempts each get their own
        number, however many workers run them) and return (attempts in a row, locked until). A lock that has
        run out starts the count again at 1."""
        table = LoginThrottle.__table__
        expired = and_(table.c.locked_until.is_not(None), table.c.locked_until <= now)
        dialect = postgresql if self.session.bind.dialect.name == "postgresql" else sqlite
        stmt = (dialect.insert(table).values(username=username, failures=1, locked_until=None)
                .on_conflict_do_update(index_elements=["username"], set_={
                    "failures": case((expired, 1), else_=table.c.failures + 1),
                    "locked_until": case((expired, None), else_=table.c.locked_until)})
                .returning(table.c.failures, table.c.locked_until))
        failures, locked_until = self.session.execute(stmt).one()
        return failures, locked_until

    def lock_login(self, username: str, until: datetime) -> None:
        """Lock ``username`` until ``until`` (an earlier lock is not shortened)."""
        table = LoginThrottle.__table__
        self.session.execute(update(table).where(table.c.username == username,
                                                 or_(table.c.locked_until.is_(None), table.c.locked_until < until))
                             .values(locked_until=until))

    def forget_login_attempts(self, username: str) -> None:
        """A successful login: the count starts again."""
        self.session.execute(delete(LoginThrottle.__table__).where(LoginThrottle.__table__.c.username == username))

    def token(self, token_hash: str) -> Token | None:
        """The token row of ``token_hash``."""
        return self.session.get(Token, token_hash)

    def revoke_tokens_of(self, user_id: int, at: datetime) -> None:
        """Revoke every live token of a user."""
        self.session.execute(update(Token).where(Token.user_id == user_id, Token.revoked_at.is_(None))
                             .values(revoked_at=at).execution_options(synchronize_session=False))

    def principal(self, token_hash: str) -> list[tuple]:
        """One query for a bearer token: rows of (expires_at, revoked_at, username, active, role, branch, source)."""
        # Core execution: this runs on every request, and the ORM layer would triple its cost
        return [tuple(r) for r in self.session.connection().execute(_PRINCIPAL, {"token_hash": token_hash})]

    def grants_of(self, user: User) -> tuple[Grant, ...]:
        """The user's roles as domain grants."""
        return tuple(Grant(g.role, g.branch, g.source) for g in user.grants)

    def users_with(self, role: str, branch: str | None) -> list[User]:
        """Users whose grants cover ``role`` on ``branch``."""
        cond = RoleGrant.role == role
        cond = and_(cond, or_(RoleGrant.branch.is_(None), RoleGrant.branch == branch)) if branch else and_(
            cond, RoleGrant.branch.is_(None))
        return list(self.session.scalars(select(User).join(RoleGrant).where(cond, User.active.is_(True)).distinct()))

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
        """Forget keys older than ``cutoff``; how many."""
        return self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount


class Checklists(Repository):
    """Versions of the peer-inspection checklist."""

    def get(self, version: int | None = None) -> Checklist | None:
        """Checklist ``version``, or the newest."""
        if version is not None:
            return self.session.get(Checklist, version)
        return self.session.scalar(select(Checklist).order_by(Checklist.version.desc()).limit(1))

    def all(self) -> list[Checklist]:
        """Every checklist version, newest first."""
        return list(self.session.scalars(select(Checklist).order_by(Checklist.version.desc())))


class Attachments(Repository):
    """Uploaded evidence files (their rows; the bytes live on disk)."""

    def get(self, attachment_id: str) -> Attachment | None:
        """The attachment ``attachment_id``."""
        return self.session.get(Attachment, attachment_id)


class Instances(Repository):
    """Pinned specs, instances, their children and the rows a step projects."""

    def spec(self, sha: str) -> Spec | None:
        """The pinned spec ``sha``."""
        return self.session.get(Spec, sha)

    def keep_spec(self, spec: Spec) -> None:
        """Store a spec under its content address unless it is there (a concurrent insert of the same
        address is not an error: the content is the same by construction)."""
        values = {c.key: getattr(spec, c.key) for c in Spec.__table__.columns}
        self.session.connection().execute(_insert_ignoring(self.session.bind.dialect.name, Spec, ["sha256"]), values)

    def get(self, instance_id: str, for_update: bool = False) -> Instance | None:
        """The instance ``instance_id`` (row-locked on PostgreSQL when ``for_update``)."""
        stmt = select(Instance).where(Instance.id == instance_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def children_of(self, parent_id: str, process: str | None = None) -> list[Instance]:
        """Child instances of ``parent_id`` (of ``process``), oldest first."""
        conds = [Instance.parent_id == parent_id]
        if process:
            conds.append(Instance.process_id == process)
        return self._oldest_first(conds)

    def of_process(self, process: str, branch: str | None = None) -> list[Instance]:
        """Every instance of ``process`` (of ``branch``), oldest first: for the small quarterly processes."""
        conds = [Instance.process_id == process]
        if branch:
            conds.append(Instance.branch == branch)
        return self._oldest_first(conds)

    def _oldest_first(self, conds: list) -> list[Instance]:
        return list(self.session.scalars(select(Instance).where(*conds).order_by(Instance.created_at, Instance.id)))

    def child_for_wait(self, parent_id: str, wait_task: str) -> Instance | None:
        """The child started for message wait ``wait_task`` of ``parent_id``."""
        return self.session.scalar(
            select(Instance).where(Instance.parent_id == parent_id, Instance.parent_wait == wait_task))

    def all_ids(self) -> list[str]:
        """Every instance id, oldest first."""
        return list(self.session.scalars(select(Instance.id).order_by(Instance.created_at, Instance.id)))

    def chain_heads(self) -> list[tuple[str, int, str]]:
        """(instance id, version, chain head) of every instance, by id: the leaves of a checkpoint."""
        return [tuple(r) for r in self.session.execute(
            select(Instance.id, Instance.version, Instance.head).order_by(Instance.id))]

    def rows_to_project(self, instance_id: str) -> tuple[dict, list]:
        """An instance's pending timers (id → (due_at, provisional)) and open inbox rows
        (id, kind, ref_task_id, due_at, provisional), as stored now, in one query."""
        timers, tasks = {}, []
        for row in self.session.connection().execute(_SYNC_MARKS, {"instance_id": instance_id}):
            if row.tbl == "timer":
                timers[row.id] = (row.due_at, row.provisional)
            else:
                tasks.append(row)
        return timers, tasks


class Inbox(Repository):
    """Open and closed human tasks (inbox rows) of instances."""

    def get(self, task_id: str) -> InboxTask | None:
        """The inbox row ``task_id``."""
        return self.session.get(InboxTask, task_id)

    def with_instance(self, task_id: str) -> tuple[InboxTask, Instance] | None:
        """The inbox row ``task_id`` and its instance, in one query."""
        row = self.session.execute(_TASK_WITH_INSTANCE, {"task_id": task_id}).first()
        return (row[0], row[1]) if row is not None else None

    def lock_instance_of(self, task_id: str) -> None:
        """Lock the instance row of inbox row ``task_id`` before a write touches any of its rows (PostgreSQL;
        SQLite's ``BEGIN IMMEDIATE`` already serialises writers). Every writer locking the instance first is
        what keeps web steps and timer sweeps from deadlocking each other."""
        if self.session.bind.dialect.name == "postgresql":
            self.session.connection().execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})

    def open_of(self, instance_id: str) -> list[InboxTask]:
        """Open inbox rows of an instance."""
        return list(self.session.scalars(_OPEN_TASKS_OF, {"instance_id": instance_id}))


class Timers(Repository):
    """Timer rows: what is due, what failed, what a sweep takes."""

    def due_of(self, instance_id: str, now: datetime) -> list[Timer]:
        """Timers of an instance due at ``now`` that have not fired (pending, or left "firing" by a sweep of
        an older release)."""
        return list(self.session.scalars(
            select(Timer).where(Timer.instance_id == instance_id, Timer.status.in_(("pending", "firing")),
                                Timer.due_at <= now).order_by(Timer.due_at, Timer.id)))

    def next_due_instance(self, now: datetime, exclude: set[str] = frozenset()) -> str | None:
        """The running-or-not instance of the earliest due unfired timer, its *instance* row locked for this
        transaction; instances another transaction holds are skipped (PostgreSQL ``FOR UPDATE OF instances
        SKIP LOCKED``; SQLite's write lock serialises everything).

        The instance row is the one lock every write to an instance takes first (``lock_instance_of_task``,
        ``instance(for_update=True)``): taking timer rows before it would deadlock against a completion
        that holds the instance (its event's foreign key) and waits for the same timer rows."""
        stmt = (select(Instance.id).join(Timer, Timer.instance_id == Instance.id)
                .where(Timer.status.in_(("pending", "firing")), Timer.due_at <= now))
        if exclude:
            stmt = stmt.where(Timer.instance_id.not_in(exclude))
        stmt = stmt.order_by(Timer.due_at).limit(1)
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Instance)
        return self.session.scalar(stmt)

    def park_failed(self, ids: list[str], error: str) -> list[str]:
        """Mark timers ``ids`` failed with ``error``, only those still pending (a row another transaction has
        fired or cancelled meanwhile keeps its status); the ids it marked."""
        if not ids:
            return []
        result = self.session.execute(
            update(Timer).where(Timer.id.in_(ids), Timer.status.in_(("pending", "firing")))
            .values(status="failed", error=error[:2000]).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def with_status(self, status: str, limit: int = 200) -> list[tuple[Timer, Instance]]:
        """Timers of ``status`` with their instances, earliest due first."""
        return [(t, i) for t, i in self.session.execute(
            select(Timer, Instance).join(Instance, Instance.id == Timer.instance_id)
            .where(Timer.status == status).order_by(Timer.due_at, Timer.id).limit(limit))]

    def requeue(self, ids: list[str]) -> list[str]:
        """Put failed timers ``ids`` back to pending (the next sweep fires them); the ids it re-queued."""
        if not ids:
            return []
        result = self.session.execute(
            update(Timer).where(Timer.id.in_(ids), Timer.status == "failed")
            .values(status="pending", error=None).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def provisional_instances(self) -> list[str]:
        """Instances with a pending timer computed on a fallback calendar year."""
        return list(self.session.scalars(
            select(Timer.instance_id).where(Timer.status == "pending", Timer.provisional.is_(True)).distinct()))


class Events(Repository):
    """The append-only, hash-chained events of instances."""

    def of(self, instance_id: str, upto: int | None = None) -> list[Event]:
        """Events of an instance in sequence order (up to ``upto`` inclusive)."""
        stmt = select(Event).where(Event.instance_id == instance_id)
        if upto is not None:
            stmt = stmt.where(Event.seq <= upto)
        return list(self.session.scalars(stmt.order_by(Event.seq)))

    def hashes(self, instance_id: str, after: int, upto: int) -> list[tuple[int, str]]:
        """(seq, hash) of the events of ``instance_id`` after ``after`` up to ``upto``."""
        return [tuple(r) for r in self.session.execute(
            select(Event.seq, Event.hash).where(Event.instance_id == instance_id, Event.seq > after,
                                                Event.seq <= upto).order_by(Event.seq))]

    def hash_map(self) -> dict[tuple[str, int], str]:
        """Every event's hash by (instance, seq): what a witnessed checkpoint is compared with."""
        return {(i, q): h for i, q, h in self.session.execute(select(Event.instance_id, Event.seq, Event.hash))}


class Checkpoints(Repository):
    """Signed checkpoints of the audit chains."""

    def last(self) -> Checkpoint | None:
        """The newest checkpoint."""
        return self.session.scalar(select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))

    def after(self, after: int = 0, limit: int = 1000) -> list[Checkpoint]:
        """Checkpoints after ``after``, oldest first."""
        return list(self.session.scalars(select(Checkpoint).where(Checkpoint.seq > after)
                                         .order_by(Checkpoint.seq).limit(limit)))


class Calendar(Repository):
    """Loaded official calendar years and their content-addressed schedules."""

    def years(self) -> list[CalendarYear]:
        """Loaded calendar years."""
        return list(self.session.scalars(select(CalendarYear).order_by(CalendarYear.year)))

    def keep_schedule(self, sha: str, year: int, data: dict, at: datetime) -> None:
        """Store a year schedule under its content address unless it is already there."""
        if self.session.get(CalendarSchedule, sha) is None:
            self.session.add(CalendarSchedule(sha256=sha, year=year, data=data, created_at=at))

    def schedules(self, shas: list[str]) -> dict[str, dict]:
        """Stored year schedules by content address."""
        if not shas:
            return {}
        return {r.sha256: r.data for r in self.session.scalars(
            select(CalendarSchedule).where(CalendarSchedule.sha256.in_(shas)))}

    def year(self, year: int) -> CalendarYear | None:
        """The loaded schedule of ``year``."""
        return self.session.get(CalendarYear, year)


class OutboxRepository(Repository):
    """Messages waiting for delivery."""

    def claim(self, now: datetime, channels: list[str], claim: str, limit: int,
                     stale_before: datetime) -> list[tuple[Outbox, User | None]]:
        """Atomically take up to ``limit`` deliverable messages (pending and due, or stuck in sending
        since before ``stale_before``) for ``channels``; return them with their recipient's user row."""
        due = or_(and_(Outbox.status == "pending",
                       or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)),
                  and_(Outbox.status == "sending", Outbox.claimed_at < stale_before))
        ids = self._lock_free_ids(
            select(Outbox.id).where(due, Outbox.channel.in_(channels)).order_by(Outbox.id).limit(limit))
        if not ids:
            return []
        self.session.execute(update(Outbox).where(Outbox.id.in_(ids), due)
                             .values(status="sending", claim=claim, claimed_at=now)
                             .execution_options(synchronize_session=False))
        rows = self.session.execute(select(Outbox, User).outerjoin(User, User.username == Outbox.recipient)
                                    .where(Outbox.claim == claim, Outbox.status == "sending").order_by(Outbox.id))
        return [(o, u) for o, u in rows]

    def get(self, row_id: int) -> Outbox | None:
        """The outbox message ``row_id``."""
        return self.session.get(Outbox, row_id)

    def listed(self, *, status: str | None = None, limit: int = 100) -> list[Outbox]:
        """Outbox messages (optionally of one status), oldest first."""
        stmt = select(Outbox)
        if status:
            stmt = stmt.where(Outbox.status == status)
        return list(self.session.scalars(stmt.order_by(Outbox.id).limit(limit)))
