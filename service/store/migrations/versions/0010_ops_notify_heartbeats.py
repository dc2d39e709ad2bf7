"""Operations (issue 19): per-person notification choices (channels, new-task notices, the mobile number
group robots @-mention) and scheduler heartbeats (``/readyz``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 00:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from service.store.models import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notify_prefs',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('channels', sa.JSON(), nullable=True),
        sa.Column('new_task_channels', sa.JSON(), nullable=True),
        sa.Column('mobile', sa.String(length=32), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_table(
        'heartbeats',
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeats_role'), ['role'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heartbeats_role'))
    op.drop_table('heartbeats')
    op.drop_table('notify_prefs')
