"""Unit of work: one transaction, with the repositories the use cases need."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, bindparam, case, delete, exists, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy import inspect

from ..domain.errors import Conflict
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
    NO_DUE_DATE,
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


#: what a caller hears when another transaction changed the rows first
_MOVED_ON = "the process moved on meanwhile (stale version); reload and retry"
_INSERTS: dict = {}


def _insert_of(table):
    """The INSERT statement of ``table``, built once."""
    if table not in _INSERTS:
        _INSERTS[table] = table.insert()
    return _INSERTS[table]


def _insert_ignoring(dialect: str, model, keys: list[str]):
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for ``model`` on SQLite or PostgreSQL."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing(index_elements=keys)


_DROP_GRANTS_OF = delete(RoleGrant.__table__).where(RoleGrant.__table__.c.source == bindparam("source"))
_UPDATES: dict = {}


def _update_of(table, keys: tuple[str, ...]):
    """``UPDATE table SET keys = :keys WHERE id = :row_id``, built once per table and column set (an
    expanding ``IN`` would be re-rendered on every execution; this one is compiled once, run per row)."""
    if (table, keys) not in _UPDATES:
        _UPDATES[table, keys] = (update(table).where(table.c.id == bindparam("row_id"))
                                 .values({k: bindparam(k) for k in keys}))
    return _UPDATES[table, keys]


_SAVES: dict = {}


def _save_of(keys: tuple[str, ...]):
    """``UPDATE instances SET keys WHERE id = :row_id AND version = :loaded_version``, built once per column set."""
    if keys not in _SAVES:
        table = Instance.__table__
        _SAVES[keys] = _update_of(table, keys).where(table.c.version == bindparam("loaded_version"))
    return _SAVES[keys]


def _holder_exists(role, branch):
    """EXISTS an active user with a grant of ``role`` on ``branch`` or company-wide (columns or literals)."""
    return (exists().where(RoleGrant.user_id == User.id, User.active.is_(True), RoleGrant.role == role,
                           or_(RoleGrant.branch.is_(None), RoleGrant.branch == branch)))


def _disjoint_scopes(grants: tuple[Grant, ...]) -> list[tuple[str, str | None]]:
    """(role, branch) ranges that cover the grants without overlap: a company-wide grant of a role
    makes branch grants of the same role redundant."""
    wide = {g.role for g in grants if g.branch is None}
    return sorted({(g.role, None if g.role in wide else g.branch) for g in grants}, key=lambda s: (s[0], s[1] or ""))


class UnitOfWork:
    """``with uow:`` opens a transaction; ``commit()`` ends it; leaving without commit rolls back."""

    def __init__(self, factory: sessionmaker):
        self._factory = factory
        self.session: Session | None = None
        self._after_commit: list = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        # close() rolls back anything uncommitted without expiring what was loaded,
        # so views can still read the rows they returned
        self.session.close()
        self.session = None
        self._after_commit.clear()

    def commit(self) -> None:
        """Commit, then run what ``after_commit`` registered; a unique-key race becomes a Conflict."""
        try:
            self.session.commit()
        except (IntegrityError, StaleDataError) as exc:
            self.session.rollback()
            self._after_commit.clear()
            raise Conflict(_MOVED_ON) from exc
        done, self._after_commit = self._after_commit, []
        for action in done:
            action()

    def after_commit(self, action) -> None:
        """Run ``action()`` once the current transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)

    def flush(self) -> None:
        """Send pending changes without committing."""
        try:
            self.session.flush()
        except (IntegrityError, StaleDataError) as exc:
            raise Conflict(_MOVED_ON) from exc

    def add(self, obj) -> None:
        """Stage a new row."""
        self.session.add(obj)

    def delete(self, obj) -> None:
        """Stage the removal of a row."""
        self.session.delete(obj)

    def insert(self, *objs) -> None:
        """INSERT new rows now, as Core statements, without tracking them in the session.

        For the append-only rows of the hot path (events, inbox rows, timers): the ORM unit of work
        costs more than the statements themselves. The objects are built as mapped instances first, so
        their defaults and validators apply; a unique-key clash is a Conflict like a stale version."""
        for obj in objs:  # unset columns are left out, so their column defaults apply
            values = obj.__dict__
            self.insert_row(type(obj), {c.key: values[c.key] for c in obj.__table__.columns if c.key in values})

    def insert_row(self, model, values: dict) -> None:
        """INSERT one row of ``model`` from column values now (no mapped object: for append-only rows whose
        values are complete, such as events)."""
        try:
            self.session.connection().execute(_insert_of(model.__table__), values)
        except IntegrityError as exc:
            raise Conflict(_MOVED_ON) from exc

    def update_rows(self, model, ids, **values) -> None:
        """UPDATE rows ``ids`` of ``model`` now (one statement, one parameter set per row); objects of those
        rows already loaded in this unit of work take the new values as their committed state."""
        if not ids:
            return
        if model is InboxTask and "due_at" in values:  # what the due_at validator does for mapped objects
            values["due_sort"] = values["due_at"] if values["due_at"] is not None else NO_DUE_DATE
        self.session.connection().execute(_update_of(model.__table__, tuple(sorted(values))),
                                          [dict(values, row_id=row_id) for row_id in ids])
        for row_id in ids:
            obj = self.session.identity_map.get(identity_key(model, row_id))
            if obj is not None:
                for key, value in values.items():
                    set_committed_value(obj, key, value)

    def save_instance(self, inst: Instance) -> None:
        """Write the changed columns of a loaded instance now, as one Core UPDATE checked against the
        version it was loaded at (a concurrent change is a Conflict), and mark the object clean."""
        state = inspect(inst)
        changed = {key: getattr(inst, key) for key in state.committed_state}
        if not changed:
            return
        loaded_version = state.committed_state.get("version", inst.version)
        result = self.session.connection().execute(_save_of(tuple(sorted(changed))),
                                                   dict(changed, row_id=inst.id, loaded_version=loaded_version))
        if result.rowcount != 1:
            raise Conflict(_MOVED_ON)
        # what the ORM does after its own UPDATE: the current values become the committed state, and the
        # object leaves the session's modified set, so the commit does not flush it again
        state._commit_all(state.dict, self.session.identity_map)

    # -- users --------------------------------------------------------------------------

    def user_by_name(self, username: str) -> User | None:
        """The user called ``username``."""
        return self.session.scalar(select(User).where(User.username == username))

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

    def branches(self) -> list[Branch]:
        """All branches, by code."""
        return list(self.session.scalars(select(Branch).order_by(Branch.code)))

    def branch(self, code: str) -> Branch | None:
        """The branch ``code``."""
        return self.session.get(Branch, code)

    def users_with(self, role: str, branch: str | None) -> list[User]:
        """Users whose grants cover ``role`` on ``branch``."""
        cond = RoleGrant.role == role
        cond = and_(cond, or_(RoleGrant.branch.is_(None), RoleGrant.branch == branch)) if branch else and_(
            cond, RoleGrant.branch.is_(None))
        return list(self.session.scalars(select(User).join(RoleGrant).where(cond, User.active.is_(True)).distinct()))

    def grant(self, username: str, role: str, branch: str | None, source: str) -> None:
        """Give ``username`` the role ``role`` on ``branch`` for as long as instance ``source`` runs."""
        user = self.user_by_name(username)
        self.add(RoleGrant(user_id=user.id, role=role, branch=branch, source=source))

    def drop_grants_of(self, source: str) -> None:
        """Remove the grants that existed for instance ``source``."""
        self.session.connection().execute(_DROP_GRANTS_OF, {"source": source})

    def home_branches(self, username: str) -> set[str]:
        """Branches a user belongs to: those of their own branch-scoped grants (not ones lent by an instance)."""
        return set(self.session.scalars(
            select(RoleGrant.branch).join(User).where(User.username == username, RoleGrant.branch.is_not(None),
                                                      RoleGrant.source.is_(None))))

    # -- idempotency keys ---------------------------------------------------------------

    def idempotency_key(self, username: str, key: str) -> IdempotencyKey | None:
        """The stored request ``key`` of ``username``, as committed now."""
        return self.session.get(IdempotencyKey, (username, key), populate_existing=True)

    def reserve_idempotency_key(self, row: IdempotencyKey) -> None:
        """Insert the key row now, in this transaction: it commits with the write it guards, and a request
        racing with the same key waits on its unique index and then fails with a Conflict."""
        self.add(row)
        self.flush()

    def drop_idempotency_keys_before(self, cutoff: datetime) -> int:
        """Forget keys older than ``cutoff``; how many."""
        return self.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount

    # -- checklists and attachments -----------------------------------------------------

    def checklist(self, version: int | None = None) -> Checklist | None:
        """Checklist ``version``, or the newest."""
        if version is not None:
            return self.session.get(Checklist, version)
        return self.session.scalar(select(Checklist).order_by(Checklist.version.desc()).limit(1))

    def checklists(self) -> list[Checklist]:
        """Every checklist version, newest first."""
        return list(self.session.scalars(select(Checklist).order_by(Checklist.version.desc())))

    def attachment(self, attachment_id: str) -> Attachment | None:
        """The attachment ``attachment_id``."""
        return self.session.get(Attachment, attachment_id)

    # -- specs and instances ------------------------------------------------------------

    def spec(self, sha: str) -> Spec | None:
        """The pinned spec ``sha``."""
        return self.session.get(Spec, sha)

    def keep_spec(self, spec: Spec) -> None:
        """Store a spec under its content address unless it is there (a concurrent insert of the same
        address is not an error: the content is the same by construction)."""
        values = {c.key: getattr(spec, c.key) for c in Spec.__table__.columns}
        self.session.connection().execute(_insert_ignoring(self.session.bind.dialect.name, Spec, ["sha256"]), values)

    def instance(self, instance_id: str, for_update: bool = False) -> Instance | None:
        """The instance ``instance_id`` (row-locked on PostgreSQL when ``for_update``)."""
        stmt = select(Instance).where(Instance.id == instance_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalar(stmt)

    def instances(self, *, process: str | None = None, branch: str | None = None, status: str | None = None,
                  branches: list[str] | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Instance], int]:
        """A page of instances (newest first) and the total count."""
        conds = []
        if process:
            conds.append(Instance.process_id == process)
        if branch:
            conds.append(Instance.branch == branch)
        if status:
            conds.append(Instance.status == status)
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        total = self.session.scalar(select(func.count()).select_from(Instance).where(*conds))
        rows = self.session.scalars(
            select(Instance).where(*conds).order_by(Instance.created_at.desc(), Instance.id).limit(limit).offset(offset))
        return list(rows), total

    def children_of(self, parent_id: str, process: str | None = None) -> list[Instance]:
        """Child instances of ``parent_id`` (of ``process``), oldest first."""
        conds = [Instance.parent_id == parent_id]
        if process:
            conds.append(Instance.process_id == process)
        return self._oldest_first(conds)

    def instances_of(self, process: str, branch: str | None = None) -> list[Instance]:
        """Every instance of ``process`` (of ``branch``), oldest first: for the small quarterly processes."""
        conds = [Instance.process_id == process]
        if branch:
            conds.append(Instance.branch == branch)
        return self._oldest_first(conds)

    def _oldest_first(self, conds: list) -> list[Instance]:
        return list(self.session.scalars(select(Instance).where(*conds).order_by(Instance.created_at, Instance.id)))

    def tickets(self, process: str, *, branches: list[str] | None, branch: str | None, status: str | None,
                source: str | None, now: datetime, limit: int, offset: int) -> tuple[list[tuple[Instance, bool]], dict]:
        """Instances of ``process`` as tickets, newest first, each with its overdue flag, and the counts
        (total, open, overdue) of the filtered set. Overdue = running with an open task past its due time."""
        overdue = exists().where(InboxTask.instance_id == Instance.id, InboxTask.status == "open",
                                 InboxTask.kind == "user", InboxTask.due_sort < now)
        conds = [Instance.process_id == process]
        if branches is not None:
            conds.append(Instance.branch.in_(branches))
        if branch:
            conds.append(Instance.branch == branch)
        if source:
            conds.append(Instance.summary["source"].as_string() == source)
        base = list(conds)
        if status == "open":
            conds.append(Instance.status == "running")
        elif status == "closed":
            conds.append(Instance.status == "completed")
        elif status == "overdue":
            conds += [Instance.status == "running", overdue]
        running = Instance.status == "running"
        counts = self.session.execute(
            select(func.count(), func.count().filter(running), func.count().filter(and_(running, overdue)))
            .select_from(Instance).where(*base)).one()
        rows = self.session.execute(
            select(Instance, and_(running, overdue)).where(*conds)
            .order_by(Instance.created_at.desc(), Instance.id).limit(limit).offset(offset)).all()
        everything, open_, overdue_ = counts
        total = {None: everything, "open": open_, "closed": everything - open_, "overdue": overdue_}[status]
        return [(r[0], bool(r[1])) for r in rows], {"total": total, "all": everything, "open": open_,
                                                     "overdue": overdue_}

    def child_for_wait(self, parent_id: str, wait_task: str) -> Instance | None:
        """The child started for message wait ``wait_task`` of ``parent_id``."""
        return self.session.scalar(
            select(Instance).where(Instance.parent_id == parent_id, Instance.parent_wait == wait_task))

    # -- inbox --------------------------------------------------------------------------

    def task(self, task_id: str) -> InboxTask | None:
        """The inbox row ``task_id``."""
        return self.session.get(InboxTask, task_id)

    def task_with_instance(self, task_id: str) -> tuple[InboxTask, Instance] | None:
        """The inbox row ``task_id`` and its instance, in one query."""
        row = self.session.execute(_TASK_WITH_INSTANCE, {"task_id": task_id}).first()
        return (row[0], row[1]) if row is not None else None

    def sync_marks(self, instance_id: str) -> tuple[dict, list]:
        """An instance's pending timers (id → (due_at, provisional)) and open inbox rows
        (id, kind, ref_task_id, due_at, provisional), as stored now, in one query."""
        timers, tasks = {}, []
        for row in self.session.connection().execute(_SYNC_MARKS, {"instance_id": instance_id}):
            if row.tbl == "timer":
                timers[row.id] = (row.due_at, row.provisional)
            else:
                tasks.append(row)
        return timers, tasks

    def open_tasks_of(self, instance_id: str) -> list[InboxTask]:
        """Open inbox rows of an instance."""
        return list(self.session.scalars(_OPEN_TASKS_OF, {"instance_id": instance_id}))

    def inbox(self, grants: tuple[Grant, ...], *, username: str | None = None, process: str | None = None,
              branch: str | None = None, overdue_at: datetime | None = None, limit: int = 50,
              offset: int = 0) -> tuple[list[InboxTask], int]:
        """Open tasks the grants cover and nobody else was assigned, plus the tasks assigned to ``username``,
        earliest due first (no due date last), with the total.

        Each grant (and the personal tasks) is one range of an index already sorted in page order, so a
        page costs ``offset + limit`` rows per range and the total one index count per range, however many
        open tasks the database holds (an OR over grants would scan and sort them all)."""
        scopes: list = _disjoint_scopes(grants)
        if username is not None:
            scopes.append(("", username))  # the personal range
        if not scopes:
            return [], 0
        order = (InboxTask.due_sort, InboxTask.created_at, InboxTask.id)

        def where(role: str, scope_branch: str | None) -> list:
            if role == "":  # tasks assigned to this person
                conds = [InboxTask.status == "open", InboxTask.assignee == scope_branch]
            else:
                conds = [InboxTask.status == "open", InboxTask.role == role, InboxTask.assignee.is_(None)]
            if role and scope_branch is not None:
                conds.append(InboxTask.branch == scope_branch)
            if branch:
                conds.append(InboxTask.branch == branch)
            if process:
                conds.append(InboxTask.process_id == process)
            if overdue_at is not None:
                conds.append(InboxTask.due_sort < overdue_at)
            return conds

        counts = [select(func.count()).select_from(InboxTask).where(*where(r, b)).scalar_subquery() for r, b in scopes]
        total = sum(self.session.execute(select(*counts)).one())
        parts = [select(InboxTask.id, *order).where(*where(r, b)).order_by(*order).limit(offset + limit).subquery()
                 for r, b in scopes]
        ids = union_all(*[select(p) for p in parts]).subquery()
        rows = self.session.scalars(
            select(InboxTask).join(ids, ids.c.id == InboxTask.id)
            .order_by(ids.c.due_sort, ids.c.created_at, ids.c.id).limit(limit).offset(offset))
        return list(rows), total

    def has_active_holder(self, role: str, branch: str | None) -> bool:
        """Does an active user hold ``role`` on ``branch`` (or company-wide)?"""
        return bool(self.session.scalar(select(_holder_exists(literal(role), literal(branch, String)))))

    def active_user(self, username: str) -> User | None:
        """The user ``username`` if the account is active."""
        return self.session.scalar(select(User).where(User.username == username, User.active.is_(True)))

    def stranded(self, limit: int = 500) -> list[tuple[InboxTask, Instance]]:
        """Open tasks no active person can act on: unassigned with no active holder of their role and branch,
        or assigned to a disabled or unknown account; oldest due first."""
        assignee_active = exists().where(User.username == InboxTask.assignee, User.active.is_(True))
        cond = or_(and_(InboxTask.assignee.is_(None), ~_holder_exists(InboxTask.role, InboxTask.branch)),
                   and_(InboxTask.assignee.is_not(None), ~assignee_active))
        return [(t, i) for t, i in self.session.execute(
            select(InboxTask, Instance).join(Instance, Instance.id == InboxTask.instance_id)
            .where(InboxTask.status == "open", cond).order_by(InboxTask.due_sort, InboxTask.id).limit(limit))]

    # -- timers -------------------------------------------------------------------------

    def due_timers_of(self, instance_id: str, now: datetime) -> list[Timer]:
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

    def lock_instance_of_task(self, task_id: str) -> None:
        """Lock the instance row of inbox row ``task_id`` before a write touches any of its rows (PostgreSQL;
        SQLite's ``BEGIN IMMEDIATE`` already serialises writers). Every writer locking the instance first is
        what keeps web steps and timer sweeps from deadlocking each other."""
        if self.session.bind.dialect.name == "postgresql":
            self.session.connection().execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})

    def park_failed_timers(self, ids: list[str], error: str) -> list[str]:
        """Mark timers ``ids`` failed with ``error``, only those still pending (a row another transaction has
        fired or cancelled meanwhile keeps its status); the ids it marked."""
        if not ids:
            return []
        result = self.session.execute(
            update(Timer).where(Timer.id.in_(ids), Timer.status.in_(("pending", "firing")))
            .values(status="failed", error=error[:2000]).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def timers_with_status(self, status: str, limit: int = 200) -> list[tuple[Timer, Instance]]:
        """Timers of ``status`` with their instances, earliest due first."""
        return [(t, i) for t, i in self.session.execute(
            select(Timer, Instance).join(Instance, Instance.id == Timer.instance_id)
            .where(Timer.status == status).order_by(Timer.due_at, Timer.id).limit(limit))]

    def requeue_timers(self, ids: list[str]) -> list[str]:
        """Put failed timers ``ids`` back to pending (the next sweep fires them); the ids it re-queued."""
        if not ids:
            return []
        result = self.session.execute(
            update(Timer).where(Timer.id.in_(ids), Timer.status == "failed")
            .values(status="pending", error=None).returning(Timer.id)
            .execution_options(synchronize_session=False))
        return sorted(result.scalars())

    def _lock_free_ids(self, stmt) -> list:
        """Run an id query for a claim; on PostgreSQL rows another worker is claiming are skipped
        (``FOR UPDATE SKIP LOCKED``), on SQLite the transaction's write lock serialises claims."""
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def provisional_timer_instances(self) -> list[str]:
        """Instances with a pending timer computed on a fallback calendar year."""
        return list(self.session.scalars(
            select(Timer.instance_id).where(Timer.status == "pending", Timer.provisional.is_(True)).distinct()))

    # -- events -------------------------------------------------------------------------

    def events(self, instance_id: str, upto: int | None = None) -> list[Event]:
        """Events of an instance in sequence order (up to ``upto`` inclusive)."""
        stmt = select(Event).where(Event.instance_id == instance_id)
        if upto is not None:
            stmt = stmt.where(Event.seq <= upto)
        return list(self.session.scalars(stmt.order_by(Event.seq)))

    def all_instance_ids(self) -> list[str]:
        """Every instance id, oldest first."""
        return list(self.session.scalars(select(Instance.id).order_by(Instance.created_at, Instance.id)))

    # -- checkpoints ----------------------------------------------------------------------

    def chain_heads(self) -> list[tuple[str, int, str]]:
        """(instance id, version, chain head) of every instance, by id: the leaves of a checkpoint."""
        return [tuple(r) for r in self.session.execute(
            select(Instance.id, Instance.version, Instance.head).order_by(Instance.id))]

    def event_hashes(self, instance_id: str, after: int, upto: int) -> list[tuple[int, str]]:
        """(seq, hash) of the events of ``instance_id`` after ``after`` up to ``upto``."""
        return [tuple(r) for r in self.session.execute(
            select(Event.seq, Event.hash).where(Event.instance_id == instance_id, Event.seq > after,
                                                Event.seq <= upto).order_by(Event.seq))]

    def event_hash_map(self) -> dict[tuple[str, int], str]:
        """Every event's hash by (instance, seq): what a witnessed checkpoint is compared with."""
        return {(i, q): h for i, q, h in self.session.execute(select(Event.instance_id, Event.seq, Event.hash))}

    def last_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint."""
        return self.session.scalar(select(Checkpoint).order_by(Checkpoint.seq.desc()).limit(1))

    def checkpoints(self, after: int = 0, limit: int = 1000) -> list[Checkpoint]:
        """Checkpoints after ``after``, oldest first."""
        return list(self.session.scalars(select(Checkpoint).where(Checkpoint.seq > after)
                                         .order_by(Checkpoint.seq).limit(limit)))

    # -- calendar and outbox ------------------------------------------------------------

    def calendar_years(self) -> list[CalendarYear]:
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

    def calendar_year(self, year: int) -> CalendarYear | None:
        """The loaded schedule of ``year``."""
        return self.session.get(CalendarYear, year)

    def claim_outbox(self, now: datetime, channels: list[str], claim: str, limit: int,
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

    def outbox_row(self, row_id: int) -> Outbox | None:
        """The outbox message ``row_id``."""
        return self.session.get(Outbox, row_id)

    def outbox(self, *, status: str | None = None, limit: int = 100) -> list[Outbox]:
        """Outbox messages (optionally of one status), oldest first."""
        stmt = select(Outbox)
        if status:
            stmt = stmt.where(Outbox.status == status)
        return list(self.session.scalars(stmt.order_by(Outbox.id).limit(limit)))
