"""What every repository shares: the session of its unit of work, and the statements built once."""
from __future__ import annotations
from ...domain.status import TaskStatus, TimerStatus


from sqlalchemy import String, and_, bindparam, delete, exists, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from ..models import (
    InboxTask,
    Instance,
    RoleGrant,
    Timer,
    Token,
    User,
)


# Hot-path statements are built once with bind parameters: building a SELECT costs more than running
# it on SQLite, and these run on every task completion.
_PRINCIPAL = (select(Token.expires_at, Token.revoked_at, User.username, User.active, RoleGrant.role, RoleGrant.branch,
                     RoleGrant.source, User.display_name)
              .join(User, User.id == Token.user_id)
              .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
              .where(Token.token_hash == bindparam("token_hash"))
              .order_by(RoleGrant.id))
_TASK_WITH_INSTANCE = (select(InboxTask, Instance).join(Instance, Instance.id == InboxTask.instance_id)
                       .where(InboxTask.id == bindparam("task_id")))
_LOCK_INSTANCE_OF_TASK = (select(Instance.id).where(Instance.id == select(InboxTask.instance_id).where(
    InboxTask.id == bindparam("task_id")).scalar_subquery()).with_for_update())
_OPEN_TASKS_OF = select(InboxTask).where(InboxTask.instance_id == bindparam("instance_id"), InboxTask.status == TaskStatus.OPEN)
# pending timers and open inbox rows of an instance in one round trip, for the sync after every step
_SYNC_MARKS = union_all(
    select(literal("timer").label("tbl"), Timer.id, literal(None, String).label("kind"),
           literal(None, String).label("ref_task_id"), Timer.due_at, Timer.provisional)
    .where(Timer.instance_id == bindparam("instance_id"), Timer.status == TimerStatus.PENDING),
    select(literal("task").label("tbl"), InboxTask.id, InboxTask.kind, InboxTask.ref_task_id, InboxTask.due_at,
           InboxTask.provisional)
    .where(InboxTask.instance_id == bindparam("instance_id"), InboxTask.status == TaskStatus.OPEN))


_DROP_GRANTS_OF = delete(RoleGrant.__table__).where(RoleGrant.__table__.c.source == bindparam("source"))
_UPDATES: dict = {}


def _insert_ignoring(dialect: str, model, keys: list[str]):
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for ``model`` on SQLite or PostgreSQL."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing(index_elements=keys)


def covers(role, branch):
    """A grant of ``role`` company-wide or on ``branch`` (columns or values; a None branch: company-wide only)."""
    return and_(RoleGrant.role == role, or_(RoleGrant.branch.is_(None), RoleGrant.branch == branch))


def holder_exists(role, branch):
    """EXISTS an active user with a grant that ``covers`` ``role`` on ``branch``."""
    return exists().where(RoleGrant.user_id == User.id, User.active.is_(True), covers(role, branch))


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
