"""SQLite: the instances table rebuilt with its small columns first and the process data (``summary``) and
the workflow state (``state``) last.

SQLite stores a row's columns in order, and a row longer than a page spills into a chain of overflow pages:
reading a column that comes after a large one walks that chain. The serialized workflow state of an instance
is tens of kilobytes (a pairing's month, 40 KB: ten pages), and it came fourth, so every listing, count and
board that read an instance's status, branch, times or summary read its state's pages too. With the state
last, those columns sit in the row's first page. PostgreSQL keeps large values out of line (TOAST) and the
order of its columns costs nothing there: it is left as it is.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

#: every column, the small ones first, then the summary, then the state
ORDER = ('id', 'process_id', 'spec_sha', 'version', 'status', 'outcome', 'branch', 'title', 'parent_id', 'parent_wait',
         'head', 'dedup_key', 'started_by', 'created_at', 'updated_at', 'summary', 'state')
#: the order before
BEFORE = ('id', 'process_id', 'spec_sha', 'state', 'version', 'status', 'outcome', 'branch', 'title', 'parent_id',
          'parent_wait', 'summary', 'head', 'started_by', 'created_at', 'updated_at', 'dedup_key')


def _reorder(order: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    # a copy of the table in the new order replaces it (service.store.migrate turns SQLite's foreign-key
    # enforcement off around migrations, as a table rebuild needs, and checks every reference afterwards)
    with op.batch_alter_table('instances', recreate='always', partial_reordering=[order]):
        pass


def upgrade() -> None:
    _reorder(ORDER)


def downgrade() -> None:
    _reorder(BEFORE)
