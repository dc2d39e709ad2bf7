"""Personal tasks: an inbox row may name the one person who acts on it.

The role ranges of the inbox (``ix_inbox_scope``, ``ix_inbox_role``) take ``assignee`` before the sort
columns, so an inbox page and its count stay index ranges: a role's range holds the unassigned rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_inbox_assignee', ['status', 'assignee', 'due_sort', 'created_at', 'id'],
                              unique=False)
        batch_op.drop_index('ix_inbox_scope')
        batch_op.drop_index('ix_inbox_role')
        batch_op.create_index('ix_inbox_scope', ['status', 'role', 'branch', 'assignee', 'due_sort', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_inbox_role', ['status', 'role', 'assignee', 'due_sort', 'created_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_scope')
        batch_op.drop_index('ix_inbox_role')
        batch_op.create_index('ix_inbox_scope', ['status', 'role', 'branch', 'due_sort', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_inbox_role', ['status', 'role', 'due_sort', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_inbox_assignee')
        batch_op.drop_column('assignee')
