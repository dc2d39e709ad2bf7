"""The instances' listing index (process, branch, status, opened) also holds the last change and the id: the
overview's counts of the tickets open at each week's end are read from the index alone, and its months'
children active in a period are picked in the index before any row is read. The index on the process alone
goes: the listing index leads with the process and serves the same lookups.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BEFORE = ['process_id', 'branch', 'status', 'created_at']
AFTER = BEFORE + ['updated_at', 'id']


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_listing')
        batch_op.create_index('ix_instances_listing', AFTER, unique=False)
        batch_op.drop_index('ix_instances_process_id')


def downgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index('ix_instances_process_id', ['process_id'], unique=False)
        batch_op.drop_index('ix_instances_listing')
        batch_op.create_index('ix_instances_listing', BEFORE, unique=False)
