"""The overview (督导看板): duty counts per element, China month, branch and role kept as rows
(``board_duty_months``, maintained with every write to an inbox row), filled from the inbox rows there are;
an index of open user tasks by due time (``ix_inbox_overdue``) for its overdue work.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.board_rollup import COUNTS, KEY, recount

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'board_duty_months',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('branch', sa.String(length=32), nullable=False),
        sa.Column('element', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(*KEY),
        sqlite_with_rowid=False,
    )
    rows = [dict(zip(KEY, key), **dict(zip(COUNTS, counts))) for key, counts in sorted(recount(op.get_bind()).items())]
    if rows:
        op.bulk_insert(table, rows)
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_overdue', ['status', 'kind', 'due_sort'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_overdue')
    op.drop_table('board_duty_months')
