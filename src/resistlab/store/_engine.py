"""Engines for the two supported backends, and retrying one write transaction.

SQLite: foreign keys ON, WAL journal, a busy timeout, and transactions that
begin with ``BEGIN IMMEDIATE`` when they write (so two writers queue instead
of deadlocking on a lock upgrade). PostgreSQL: ``postgresql+psycopg``.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from resistlab.errors import InputError

__all__ = ["database_url"]

T = TypeVar("T")

#: Environment variable that names the database.
ENV_VAR = "RESISTLAB_DB_URL"

#: Execution option read by the SQLite "begin" hook: "DEFERRED" or "IMMEDIATE".
SQLITE_BEGIN = "resistlab_sqlite_begin"

#: SQLSTATEs after which PostgreSQL asks the client to run the transaction again.
_PG_RETRY_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def database_url() -> str:
    """Return the database URL: ``RESISTLAB_DB_URL``, else ``resistlab.db`` here.

    Returns
    -------
    str
        A SQLAlchemy URL, e.g. ``sqlite:////home/me/study/resistlab.db`` or
        ``postgresql+psycopg://lab@db.example.org/resistlab``.

    Examples
    --------
    >>> database_url().split(":")[0] in {"sqlite", "postgresql+psycopg", "postgresql"}
    True
    """
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    return f"sqlite:///{Path.cwd() / 'resistlab.db'}"


def normalize_url(url: str | URL) -> URL:
    """Parse `url`, choose psycopg for PostgreSQL, reject other backends."""
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy.exc.ArgumentError and friends
        msg = f"database URL {str(url)!r} cannot be parsed: {err}"
        raise InputError(msg) from err
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend not in {"sqlite", "postgresql"}:
        msg = (
            f"database URL {parsed.render_as_string(hide_password=True)!r}: backend "
            f"{backend!r} is not supported; use sqlite:///file.db or postgresql+psycopg://..."
        )
        raise InputError(msg)
    return parsed


def is_sqlite(engine: Engine) -> bool:
    """Return True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


def sqlite_memory(url: URL) -> bool:
    """Return True when a SQLite URL names an in-memory database."""
    database = url.database or ""
    return database in {"", ":memory:"} or url.query.get("mode") == "memory"


def make_engine(url: str | URL, *, timeout: float = 30.0) -> Engine:
    """Create an engine configured for ResistLab's transactions.

    Parameters
    ----------
    url : str or URL
        SQLAlchemy URL; ``postgresql://`` means ``postgresql+psycopg://``.
    timeout : float
        Seconds a SQLite connection waits for another writer's lock before
        it reports the database busy (the caller then retries).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": timeout}}
    if not sqlite_memory(parsed):
        folder = Path(parsed.database or "").expanduser().resolve().parent
        if not folder.is_dir():
            msg = f"database URL {str(parsed)!r}: folder {folder} does not exist"
            raise InputError(msg)
    if sqlite_memory(parsed):
        # One shared connection, or every checkout would see a new empty database.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(parsed, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Take transaction control from the sqlite3 module: the "begin" hook
    # below emits BEGIN itself (the SQLAlchemy recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def is_retryable(err: DBAPIError) -> bool:
    """Return True for a lock or serialization conflict worth running again."""
    original = err.orig
    if isinstance(original, sqlite3.OperationalError):
        text = str(original).lower()
        return "locked" in text or "busy" in text
    return getattr(original, "sqlstate", None) in _PG_RETRY_STATES


def run_with_retry(work: Callable[[], T], *, attempts: int = 10, first_delay: float = 0.02) -> T:
    """Run `work` (one whole transaction) again after a retryable conflict.

    The delay doubles after every attempt, with jitter, so two writers that
    collided do not collide again in lock step.
    """
    delay = first_delay
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as err:
            if attempt == attempts - 1 or not is_retryable(err):
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 2.0)
    msg = "unreachable"  # pragma: no cover
    raise AssertionError(msg)  # pragma: no cover
