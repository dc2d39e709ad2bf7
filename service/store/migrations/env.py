"""Alembic environment: runs on the connection branchflow hands it (see service/store/migrate.py)."""
from __future__ import annotations

from alembic import context

from service.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `branchflow db upgrade` (service.store.migrate)")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
