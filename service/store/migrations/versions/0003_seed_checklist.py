"""The seed's peer-inspection checklist (互查量化清单) as version 1, so every database has one.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from service.domain.checklist import DEFAULT_CHECKLIST
from service.store.models import Checklist

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().scalar(sa.select(sa.func.count()).select_from(Checklist.__table__)):
        return  # a database that already made its own first version keeps it
    op.bulk_insert(Checklist.__table__, [{"version": 1, "title": DEFAULT_CHECKLIST["title"],
                                          "items": DEFAULT_CHECKLIST["items"], "created_by": "system",
                                          "created_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.execute(Checklist.__table__.delete().where(Checklist.__table__.c.version == 1,
                                                  Checklist.__table__.c.created_by == "system"))
