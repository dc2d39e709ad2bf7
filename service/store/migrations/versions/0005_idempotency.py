"""Double submits write once: a unique domain key on instances, and stored Idempotency-Key answers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from service.store.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint('uq_instances_dedup_key', ['dedup_key'])
    op.create_table(
        'idempotency_keys',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('operation', sa.String(length=200), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('response', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('username', 'key'),
    )
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_constraint('uq_instances_dedup_key', type_='unique')
        batch_op.drop_column('dedup_key')
