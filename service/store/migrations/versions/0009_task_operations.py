"""Task operations: the 抄送 (carbon copy) list, delegation and countersigning on inbox rows (who stays
responsible, the data waiting for confirmation), deputies (代理), and login throttling per username *and*
client address.

A stranger's wrong passwords from one address no longer lock the real user out everywhere: each
(username, address) pair has its own count and lock; the row with address ``*`` counts every address
together, against a higher limit, so spreading guesses over addresses does not get around it.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-22 23:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from service.store.models import UTCDateTime

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cc_items',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('instance_id', sa.String(length=36), sa.ForeignKey('instances.id'), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('sent_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('read_at', UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('instance_id', 'username', 'task_id', name='uq_cc_once'),
    )
    op.create_index('ix_cc_user', 'cc_items', ['username', 'read_at', 'created_at'])
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('signers', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'deputies',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('deputy', sa.String(length=64), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_deputies_deputy', 'deputies', ['deputy', 'ends_on'])
    op.create_index('ix_cc_instance', 'cc_items', ['instance_id', 'username'])
    op.drop_table('login_throttle')
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=64), primary_key=True),
        sa.Column('address', sa.String(length=64), primary_key=True, server_default='*'),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=64), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', UTCDateTime(timezone=True), nullable=True),
    )
    op.drop_index('ix_deputies_deputy', table_name='deputies')
    op.drop_table('deputies')
    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.drop_column('signers')
        batch_op.drop_column('draft')
        batch_op.drop_column('owner')
    op.drop_index('ix_cc_instance', table_name='cc_items')
    op.drop_index('ix_cc_user', table_name='cc_items')
    op.drop_table('cc_items')
