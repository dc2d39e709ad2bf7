"""The overview (督导看板, issue 22): a covering index for its duty counts by branch, element, role and month.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 00:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ['kind', 'element', 'status', 'branch', 'role', 'due_at', 'created_at', 'closed_at', 'escalation_level']


def upgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_board', COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_board')
