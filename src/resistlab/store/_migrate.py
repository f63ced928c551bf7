"""Schema migrations with Alembic, configured in code (no alembic.ini)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL

from resistlab.errors import ResistLabError
from resistlab.store._engine import SQLITE_BEGIN, is_sqlite, make_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

__all__ = ["SCHEMA_REVISION", "SchemaError", "current_revision", "downgrade", "upgrade"]

#: The newest schema revision this version of ResistLab writes.
SCHEMA_REVISION = "0002"

MIGRATIONS = Path(__file__).resolve().parent / "_migrations"

# Any constant: one PostgreSQL advisory lock serializes concurrent migrations.
_PG_MIGRATION_LOCK = 0x5265_7369_7374


class SchemaError(ResistLabError):
    """A database whose schema this version of ResistLab cannot use."""


def alembic_config() -> Config:
    """Return an Alembic `Config` pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config


@cache
def script_directory() -> ScriptDirectory:
    """Return (once) the Alembic script directory of the packaged migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def revisions() -> tuple[str, ...]:
    """Return every known revision, oldest first.

    Examples
    --------
    >>> revisions()
    ('0001', '0002')
    """
    script = script_directory()
    return tuple(rev.revision for rev in reversed(list(script.walk_revisions())))


def revision_of(connection: Connection) -> str | None:
    """Return the revision stamped in the database, None when it has none."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        msg = f"the database has {len(rows)} schema heads ({', '.join(rows)}); expected one"
        raise SchemaError(msg)
    return rows[0] if rows else None


def migrate(connection: Connection, revision: str, *, direction: str = "upgrade") -> None:
    """Run Alembic's upgrade or downgrade to `revision` on an open transaction."""
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    current = revision_of(connection)
    if current is not None and current not in revisions():
        msg = (
            f"the database is at schema revision {current!r}, which this ResistLab does not "
            f"know (it knows {', '.join(revisions())}); upgrade ResistLab"
        )
        raise SchemaError(msg)
    config = alembic_config()
    config.attributes["connection"] = connection
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _run(url: str | URL | Engine, revision: str, direction: str) -> None:
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        begin_engine = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        with begin_engine.begin() as connection:
            migrate(connection, revision, direction=direction)
    finally:
        if engine is not url:
            engine.dispose()


def upgrade(url: str | URL | Engine, *, revision: str = "head") -> None:
    """Create or update the schema of the database at `url`.

    Runs in one transaction (DDL is transactional on both SQLite and
    PostgreSQL), so a failed migration leaves the database as it was.
    Concurrent callers are serialized (``BEGIN IMMEDIATE`` on SQLite, an
    advisory lock on PostgreSQL).

    Parameters
    ----------
    url : str, URL or Engine
        Database to migrate.
    revision : str
        Target revision, ``"head"`` (the newest, `SCHEMA_REVISION`) by default.

    Raises
    ------
    SchemaError
        If the database carries a revision this ResistLab does not know.

    Examples
    --------
    >>> upgrade("sqlite://")  # an in-memory database, gone when the call returns
    """
    _run(url, revision, "upgrade")


def downgrade(url: str | URL | Engine, *, revision: str) -> None:
    """Take the schema of the database at `url` back to `revision`.

    Downgrading drops what later revisions added (see each revision's
    docstring); ``"base"`` drops every table.

    Parameters
    ----------
    url : str, URL or Engine
        Database to migrate.
    revision : str
        Target revision, e.g. ``"0001"`` or ``"base"``.
    """
    _run(url, revision, "downgrade")


def current_revision(url: str | URL | Engine) -> str | None:
    """Return the schema revision of the database at `url` (None when unversioned).

    Examples
    --------
    >>> current_revision("sqlite://") is None
    True
    """
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            return revision_of(connection)
    finally:
        if engine is not url:
            engine.dispose()


def ensure_head(engine: Engine) -> None:
    """Upgrade the database to `SCHEMA_REVISION` unless it is there already."""
    with engine.connect() as connection:
        current = revision_of(connection)
    if current == SCHEMA_REVISION:
        return
    _run(engine, "head", "upgrade")


def sqlite_file(engine: Engine) -> Path | None:
    """Return the file of a SQLite engine, None for memory or another backend."""
    if not is_sqlite(engine):
        return None
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        return None
    return Path(database)
