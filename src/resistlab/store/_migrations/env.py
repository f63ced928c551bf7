"""Alembic's entry point: run the migrations on the connection it was given.

`resistlab.store.upgrade` puts an open connection (inside a transaction) in
``config.attributes["connection"]``; nothing here reads a file or a URL
except when a developer runs Alembic's own commands with
``sqlalchemy.url`` set.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from resistlab.store._models import Base


def run_migrations() -> None:
    """Run the pending revisions online (on a live connection)."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        msg = "no connection and no sqlalchemy.url: run migrations with resistlab.store.upgrade"
        raise RuntimeError(msg)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


try:
    _running = context.config is not None
except AttributeError:  # imported by a tool (e.g. doctest collection), not run by Alembic
    _running = False

if _running:
    run_migrations()
