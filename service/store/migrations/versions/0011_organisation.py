"""Organisation as data (issue 16): party groups (党小组), each person's branch and group, and the member
points ledger (积分制).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 01:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

from service.store.models import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'party_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('leader', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['branch'], ['branches.code'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('branch', 'name', name='uq_party_group_name'),
    )
    with op.batch_alter_table('party_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_groups_branch'), ['branch'], unique=False)
    op.create_table(
        'member_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('branch', sa.String(length=32), nullable=True),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=128), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'username', name='uq_member_point_source'),
    )
    with op.batch_alter_table('member_points', schema=None) as batch_op:
        batch_op.create_index('ix_member_points_user', ['username', 'period'], unique=False)
        batch_op.create_index('ix_member_points_branch', ['branch', 'period'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('branch', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_branch'), ['branch'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key('fk_users_branch', 'branches', ['branch'], ['code'])
        batch_op.create_foreign_key('fk_users_group_id', 'party_groups', ['group_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_group_id', type_='foreignkey')
        batch_op.drop_constraint('fk_users_branch', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_group_id'))
        batch_op.drop_index(batch_op.f('ix_users_branch'))
        batch_op.drop_column('group_id')
        batch_op.drop_column('branch')
    with op.batch_alter_table('member_points', schema=None) as batch_op:
        batch_op.drop_index('ix_member_points_branch')
        batch_op.drop_index('ix_member_points_user')
    op.drop_table('member_points')
    with op.batch_alter_table('party_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_groups_branch'))
    op.drop_table('party_groups')
