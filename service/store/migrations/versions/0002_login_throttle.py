"""Login throttling: consecutive failed logins per username and the lock they earned.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:11:35.018897
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import service.store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', service.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
