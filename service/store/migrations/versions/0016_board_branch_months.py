"""The overview's heat map: each branch's month of duties (``board_branch_months``, the rollup's counts summed
over the duty elements and every role), kept with the rollup, filled from the inbox rows there are.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.store.board_rollup import COUNTS, TOTAL_KEY, recount, totals

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'board_branch_months',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('branch', sa.String(length=32), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(*TOTAL_KEY),
        sqlite_with_rowid=False,
    )
    rows = [dict(zip(TOTAL_KEY, key), **dict(zip(COUNTS, counts)))
            for key, counts in sorted(totals(recount(op.get_bind())).items())]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table('board_branch_months')
