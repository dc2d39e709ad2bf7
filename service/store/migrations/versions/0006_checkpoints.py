"""Signed checkpoints of the audit chains (Ed25519 over a Merkle root of every instance's chain head).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from service.store.models import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'checkpoints',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('line', sa.JSON(), nullable=False),
        sa.Column('leaves', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )


def downgrade() -> None:
    op.drop_table('checkpoints')
