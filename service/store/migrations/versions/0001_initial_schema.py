"""Initial schema: every table of issues 2–5 and 4 (peer inspection, tickets, ratings, attachments),
and the triggers that keep ``events`` append-only.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 05:46:47.802443
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import service.store.models
from service.store.db import append_only_ddl


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=True),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('branches',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('calendar_schedules',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('loaded_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('checklists',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim', sa.String(length=36), nullable=True),
    sa.Column('claimed_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status', ['status', 'id'], unique=False)

    op.create_table('specs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('forms', sa.JSON(), nullable=False),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('specs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_specs_process_id'), ['process_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('instances',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('spec_sha', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('branch', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('parent_wait', sa.String(length=36), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['spec_sha'], ['specs.sha256'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_branch'), ['branch'], unique=False)
        batch_op.create_index('ix_instances_listing', ['process_id', 'branch', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_instances_status'), ['status'], unique=False)

    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['branch'], ['branches.code'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'role', 'branch', 'source')
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)

    op.create_table('tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('element', sa.String(length=64), nullable=True),
    sa.Column('element_name', sa.String(length=200), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', 'seq')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_instance_id'), ['instance_id'], unique=False)

    op.create_table('inbox_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('element', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('branch', sa.String(length=32), nullable=True),
    sa.Column('form', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_sort', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('ref_task_id', sa.String(length=36), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_instance', ['instance_id', 'status'], unique=False)
        batch_op.create_index('ix_inbox_role', ['status', 'role', 'due_sort', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_inbox_scope', ['status', 'role', 'branch', 'due_sort', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_tasks_ref_task_id'), ['ref_task_id'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('element', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('attached_to', sa.String(length=36), nullable=True),
    sa.Column('rule', sa.String(length=16), nullable=True),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('due_at', service.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claim', sa.String(length=36), nullable=True),
    sa.Column('fired_at', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_claim', ['claim'], unique=False)
        batch_op.create_index('ix_timers_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_timers_instance', ['instance_id', 'status'], unique=False)
    for statement in append_only_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS branchflow_events_append_only() CASCADE")
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_instance')
        batch_op.drop_index('ix_timers_due')
        batch_op.drop_index('ix_timers_claim')

    op.drop_table('timers')
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_tasks_ref_task_id'))
        batch_op.drop_index('ix_inbox_scope')
        batch_op.drop_index('ix_inbox_role')
        batch_op.drop_index('ix_inbox_instance')

    op.drop_table('inbox_tasks')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_instance_id'))

    op.drop_table('events')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_user_id'))

    op.drop_table('tokens')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_grants_source'))

    op.drop_table('role_grants')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instances_status'))
        batch_op.drop_index(batch_op.f('ix_instances_process_id'))
        batch_op.drop_index(batch_op.f('ix_instances_parent_id'))
        batch_op.drop_index('ix_instances_listing')
        batch_op.drop_index(batch_op.f('ix_instances_branch'))

    op.drop_table('instances')
    op.drop_table('users')
    with op.batch_alter_table('specs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_specs_process_id'))

    op.drop_table('specs')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status')

    op.drop_table('outbox')
    op.drop_table('checklists')
    op.drop_table('calendar_years')
    op.drop_table('calendar_schedules')
    op.drop_table('branches')
    op.drop_table('attachments')
