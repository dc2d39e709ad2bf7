"""Timers are no longer claimed in a transaction of their own: drop the claim column and its index.

A sweep now fires an instance's due timers in the transaction that locks them, so no claim id is ever
written. Rows an older release left in status ``firing`` are still picked up by status alone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_claim')
        batch_op.drop_column('claim')


def downgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_timers_claim', ['claim'], unique=False)
