"""SQLAlchemy models: the tables branchflow keeps. No business rules here."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every database (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")


        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None


        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


#: sort key of tasks without a due date
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of all branchflow tables."""


class Branch(Base):
    """A party branch (党支部)."""

    __tablename__ = "branches"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class PartyGroup(Base):
    """A party group (党小组) of one branch, with its leader (组长)."""

    __tablename__ = "party_groups"
    __table_args__ = (UniqueConstraint("branch", "name", name="uq_party_group_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch: Mapped[str] = mapped_column(ForeignKey("branches.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: the leader's username (a member of the group)
    leader: Mapped[str | None] = mapped_column(String(64), nullable=True)


class MemberPoint(Base):
    """One entry of a member's points ledger (积分制): any process may add one; the total is their sum."""

    __tablename__ = "member_points"
    __table_args__ = (UniqueConstraint("source", "username", name="uq_member_point_source"),
                      Index("ix_member_points_user", "username", "period"),
                      Index("ix_member_points_branch", "branch", "period"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: the period the points are for: 2026-03 (a month), 2026Q1 (a quarter)
    period: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    #: what added them, unique per person (``duty_score/<instance>``): adding again is a no-op
    source: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(Base):
    """A person who logs in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the branch the person belongs to as a party member (None: company staff outside any branch)
    branch: Mapped[str | None] = mapped_column(ForeignKey("branches.code"), nullable=True, index=True)
    #: the party group (党小组) within that branch
    group_id: Mapped[int | None] = mapped_column(ForeignKey("party_groups.id"), nullable=True, index=True)
    grants: Mapped[list["RoleGrant"]] = relationship(back_populates="user", lazy="selectin")


class RoleGrant(Base):
    """A role a user holds, company-wide (branch NULL) or within one branch."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "branch", "source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    branch: Mapped[str | None] = mapped_column(ForeignKey("branches.code"), nullable=True)
    # the instance a grant exists for (an inspection team's inspector role): it ends with that instance
    source: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    user: Mapped[User] = relationship(back_populates="grants")


class Deputy(Base):
    """代理: while ``username`` is away (``starts_on``–``ends_on``, China dates), ``deputy`` also receives and
    may act on their work."""

    __tablename__ = "deputies"
    __table_args__ = (Index("ix_deputies_deputy", "deputy", "ends_on"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    deputy: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CarbonCopy(Base):
    """抄送: a person copied in on an instance (at a task, or at any time); they may read it and mark it read."""

    __tablename__ = "cc_items"
    __table_args__ = (UniqueConstraint("instance_id", "username", "task_id", name="uq_cc_once"),
                      Index("ix_cc_user", "username", "read_at", "created_at"),
                      Index("ix_cc_instance", "instance_id", "username"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    sent_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginThrottle(Base):
    """Consecutive failed logins of a username (known or not) from one client address, and the lock they
    earned."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the client address the failures came from; ``*`` counts every address together
    address: Mapped[str] = mapped_column(String(64), primary_key=True, default="*")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Token(Base):
    """A bearer token, stored as its sha256 only."""

    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Spec(Base):
    """A BPMN + forms bundle, content-addressed; instances pin one."""

    __tablename__ = "specs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Instance(Base):
    """A running or finished process instance; ``version`` equals its number of events."""

    __tablename__ = "instances"
    # ticket lists and counts: one process, one branch, by status, newest first; with the last change and the
    # id it also covers the overview's counts of instances open at each week's end (no row read for them)
    __table_args__ = (Index("ix_instances_listing", "process_id", "branch", "status", "created_at", "updated_at", "id"),)
    # Column order is storage order on SQLite: the small columns lead, the process data and the workflow
    # state (tens of kilobytes, on overflow pages) come last, so reading a row's status, times or summary
    # never walks the state's pages (migration 0014)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64))  # looked up by ix_instances_listing, which leads with it
    spec_sha: Mapped[str] = mapped_column(ForeignKey("specs.sha256"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)
    branch: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    parent_wait: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # hash of the newest event: the chain head, so appending never reads the event table
    head: Mapped[str] = mapped_column(String(64), default="0" * 64)
    #: the domain's own uniqueness (one rating per branch and quarter, one round per quarter): a second
    #: start with the same key fails on the unique index, however many workers race
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the process data after the last step (stored in the column "summary"): what lists and boards read
    data: Mapped[dict] = mapped_column("summary", JSON, default=dict)
    #: the serialized workflow (SpiffWorkflow's JSON)
    state: Mapped[str] = mapped_column(Text)
    # optimistic locking by SQLAlchemy: UPDATE ... WHERE version = <old>; we assign the new
    # version ourselves (= the seq of the instance's newest event)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class InboxTask(Base):
    """One row per human task (open or closed) or escalation notice; the inbox reads only this."""

    __tablename__ = "inbox_tasks"
    # The inbox reads one index range per grant, already in page order (see UnitOfWork.inbox).
    __table_args__ = (
        # role ranges hold the unassigned rows (assignee IS NULL is an equality the index serves)
        Index("ix_inbox_scope", "status", "role", "branch", "assignee", "due_sort", "created_at", "id"),
        Index("ix_inbox_role", "status", "role", "assignee", "due_sort", "created_at", "id"),
        Index("ix_inbox_instance", "instance_id", "status"),
        Index("ix_inbox_assignee", "status", "assignee", "due_sort", "created_at", "id"),
        # the overview (督导看板) counts a year of duties by branch, element and role: read from this index
        # alone, never from the wide rows
        Index("ix_inbox_board", "kind", "element", "status", "branch", "role", "due_at", "created_at", "closed_at",
              "escalation_level"),
        # open user tasks past their due time (the overview's overdue work, its tickets and secretaries)
        Index("ix_inbox_overdue", "status", "kind", "due_sort"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    process_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="user")
    element: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    branch: Mapped[str | None] = mapped_column(String(32), nullable=True)
    form: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # due_at with "no due date" as the far future: an index on it yields the inbox order (undated last)
    due_sort: Mapped[datetime] = mapped_column(UTCDateTime(), default=lambda: NO_DUE_DATE)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    ref_task_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: a personal task: only this person acts on it (and it is in their inbox whatever their roles)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: 委派 / 加签: the person who stays responsible while the task is with someone else (None: nobody else)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: data submitted and waiting: a delegate's work for the owner to confirm, or the owner's submission
    #: waiting for an after-signer's approval
    draft: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: how many countersignatures (加签) were asked on this task: completing it looks for them only then
    signers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    @validates("due_at")
    def _keep_due_sort(self, _key, value):
        self.due_sort = value if value is not None else NO_DUE_DATE
        return value


class _DutyFigures:
    """The counts the overview's rollup keeps per key: inbox rows open, done, done on time, done late, ever
    escalated (``board_rollup.COUNTS``)."""

    open_rows: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)


class DutyMonth(_DutyFigures, Base):
    """Counts of the user-task inbox rows of a branch, China month (of the due time, else of the opening),
    element and role: open, done, done on time, done late, ever escalated. Kept by the store with every
    write to an inbox row (``board_rollup``), so the overview reads months of counts, not years of rows."""

    __tablename__ = "board_duty_months"
    # read by month range: the key leads with it, and on SQLite the rows live in the key's b-tree
    __table_args__ = {"sqlite_with_rowid": False}
    #: ``2026-03``
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    branch: Mapped[str] = mapped_column(String(32), primary_key=True)
    element: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class BranchMonth(_DutyFigures, Base):
    """A branch's month of duties (the elements ``domain.duties.DUTY_KINDS`` names): ``DutyMonth``'s counts
    summed over those elements and every role, kept with it, so the overview's heat map reads a row per
    branch and month."""

    __tablename__ = "board_branch_months"
    __table_args__ = {"sqlite_with_rowid": False}
    #: ``2026-03``
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    branch: Mapped[str] = mapped_column(String(32), primary_key=True)


class Timer(Base):
    """A pending timer event of an instance; due times are indexed so sweeps read only due rows."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"), Index("ix_timers_instance", "instance_id", "status"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"))
    element: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=0)
    attached_to: Mapped[str | None] = mapped_column(String(36), nullable=True)
    rule: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Event(Base):
    """Append-only, hash-chained audit event of an instance."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    element: Mapped[str | None] = mapped_column(String(64), nullable=True)
    element_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CalendarSchedule(Base):
    """Every year schedule ever in force, content-addressed: events name the ones their deadlines used."""

    __tablename__ = "calendar_schedules"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarYear(Base):
    """An official working-day schedule loaded by an admin (the one in force for its year)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(64))


class Outbox(Base):
    """A message for a person (reminder, escalation) waiting for the notifier."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recipient: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claim: Mapped[str | None] = mapped_column(String(36), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Checklist(Base):
    """A version of the peer-inspection checklist (互查量化清单); rounds pin the version they used."""

    __tablename__ = "checklists"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[list] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """An uploaded file (rectification evidence); the bytes live on disk under their sha256."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    branch: Mapped[str | None] = mapped_column(String(32), nullable=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    """A write sent with an ``Idempotency-Key`` header: committed with the write itself, then completed with
    the answer, which a repeat of the same request gets again instead of a second write."""

    __tablename__ = "idempotency_keys"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Checkpoint(Base):
    """A signed tree head over every instance's chain head (``flows.checkpoints``): its witness line, as
    handed to the witnesses, and the leaves it covers (for inclusion proofs in exports)."""

    __tablename__ = "checkpoints"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    line: Mapped[dict] = mapped_column(JSON)
    leaves: Mapped[list] = mapped_column(JSON)
