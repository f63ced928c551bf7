"""Whole-database export and import (versioned JSON), and consistent backups."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.sql import sqltypes

from resistlab._atomic import atomic_path
from resistlab.errors import FileFormatError, InputError, where
from resistlab.store._engine import SQLITE_BEGIN, make_engine
from resistlab.store._migrate import (
    SCHEMA_REVISION,
    migrate,
    revision_of,
    revisions,
    sqlite_file,
)
from resistlab.store._models import Base

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "backup", "export_json", "import_json"]

#: ``format`` field of an export.
EXPORT_FORMAT = "resistlab-store"
#: ``version`` of the export layout (not of the schema: that is ``schema_revision``).
EXPORT_VERSION = 1

_SKIP = {"alembic_version"}


@contextlib.contextmanager
def _engine(url: str | URL | Engine) -> Iterator[Engine]:
    if isinstance(url, Engine):
        yield url
        return
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _tables(connection: Connection) -> list[Table]:
    """ResistLab's tables as the database has them, parents before children."""
    if revision_of(connection) == SCHEMA_REVISION:
        return list(Base.metadata.sorted_tables)  # the models are the schema at head
    metadata = MetaData()
    metadata.reflect(connection, only=lambda name, _: name in Base.metadata.tables)
    return [table for table in metadata.sorted_tables if table.name not in _SKIP]


def _to_json(value: object, column_type: Any) -> object:
    if value is None:
        return None
    if isinstance(column_type, sqltypes.Date):
        return value.isoformat()  # type: ignore[attr-defined]
    if isinstance(column_type, sqltypes.Float):
        return float(value)  # type: ignore[arg-type]
    if isinstance(column_type, sqltypes.Integer):
        return int(value)  # type: ignore[call-overload]
    return value


def _from_json(value: object, column_type: Any, context: str) -> object:
    if value is None:
        return None
    try:
        if isinstance(column_type, sqltypes.Date):
            return date.fromisoformat(value)  # type: ignore[arg-type]
        if isinstance(column_type, sqltypes.Float) and isinstance(value, int | float):
            return float(value)
    except (TypeError, ValueError) as err:
        msg = f"{context}{value!r} is not an ISO date"
        raise FileFormatError(msg) from err
    return value


def _dump(connection: Connection) -> dict[str, Any]:
    tables: dict[str, list[dict[str, object]]] = {}
    for table in _tables(connection):
        key = list(table.primary_key.columns) or list(table.columns)
        rows = connection.execute(select(table).order_by(*key)).mappings()
        tables[table.name] = [
            {column.name: _to_json(row[column.name], column.type) for column in table.columns}
            for row in rows
        ]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "schema_revision": revision_of(connection),
        "tables": tables,
    }


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        temporary.write_bytes(payload)


def export_json(url: str | URL | Engine, path: str | os.PathLike[str]) -> Path:
    """Write the whole database at `url` to a JSON file.

    The file is ``{"format": "resistlab-store", "version": 1,
    "schema_revision": ..., "tables": {table: [row, ...]}}``: every table,
    rows in primary-key order with their ids, dates ISO, keys sorted, so the
    same database always gives the same bytes. It is read in one transaction
    (a consistent snapshot) and written to a temporary file that is then
    renamed, so `path` is never half-written.

    Parameters
    ----------
    url : str, URL or Engine
        Database to export.
    path : path-like
        JSON file to write (replaced if it exists).

    Returns
    -------
    Path
        `path`.

    Examples
    --------
    >>> import tempfile, json
    >>> from resistlab.store import Store
    >>> from resistlab.campaign.model import Drug
    >>> with Store("sqlite://") as store:
    ...     _ = store.add_drug(Drug("Defactinib"))
    ...     out = export_json(store.engine, Path(tempfile.mkdtemp()) / "lab.json")
    >>> json.loads(out.read_text())["tables"]["drugs"][0]["name"]
    'Defactinib'
    """
    target = Path(path)
    with _engine(url) as engine:
        snapshot = engine.execution_options(
            **(
                {"isolation_level": "REPEATABLE READ"}
                if engine.dialect.name == "postgresql"
                else {}
            )
        )
        with snapshot.connect() as connection, connection.begin():
            document = _dump(connection)
    if document["schema_revision"] is None:
        msg = f"{engine.url.render_as_string(hide_password=True)}: not a ResistLab database"
        raise InputError(msg)
    payload = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
    _write_atomically(target, (payload + "\n").encode("utf-8"))
    return target


def _ordered_rows(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put rows that others refer to (cell line parents) before those rows."""
    self_refs = [
        (fk.parent.name, fk.column.name)
        for fk in table.foreign_keys
        if fk.column.table.name == table.name
    ]
    if not self_refs:
        return rows
    child, key = self_refs[0]
    known = {row.get(key) for row in rows}
    placed: set[object] = set()
    ordered: list[dict[str, Any]] = []
    pending = rows
    while pending:
        waiting = []
        for row in pending:
            parent = row.get(child)
            if parent is None or parent in placed or parent not in known:
                ordered.append(row)
                placed.add(row.get(key))
            else:
                waiting.append(row)
        if len(waiting) == len(pending):  # a cycle: insert as is, the database refuses it
            ordered.extend(waiting)
            break
        pending = waiting
    return ordered


def import_json(path: str | os.PathLike[str], url: str | URL | Engine) -> None:
    """Load a JSON export into an empty database at `url`.

    The schema is first created at the export's revision, the rows are
    inserted with their ids, then the schema is upgraded to the newest
    revision (so an export from an older ResistLab is read, and its data
    migrated). Everything happens in one transaction: a bad file leaves the
    database as it was.

    Parameters
    ----------
    path : path-like
        A file written by `export_json`.
    url : str, URL or Engine
        An empty database (no ResistLab tables, or empty ones).

    Raises
    ------
    FileFormatError
        If the file is not a ResistLab export, its version or revision is
        unknown, or a row does not fit its table.
    InputError
        If the database already holds data.
    """
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        msg = f"{where(source)}cannot be read as JSON: {err}"
        raise FileFormatError(msg) from err
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        msg = f"{where(source)}not a ResistLab store export (format != {EXPORT_FORMAT!r})"
        raise FileFormatError(msg)
    if document.get("version") != EXPORT_VERSION:
        msg = (
            f"{where(source)}export version {document.get('version')!r}; "
            f"this ResistLab reads version {EXPORT_VERSION}"
        )
        raise FileFormatError(msg)
    revision = document.get("schema_revision")
    if revision not in revisions():
        msg = (
            f"{where(source)}schema revision {revision!r} is unknown "
            f"(known: {', '.join(revisions())})"
        )
        raise FileFormatError(msg)
    data = document.get("tables")
    if not isinstance(data, dict):
        msg = f"{where(source)}'tables' must be an object of table name -> rows"
        raise FileFormatError(msg)

    with _engine(url) as engine:
        writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        with writer.begin() as connection:
            current = revision_of(connection)
            if current is not None:
                for table in _tables(connection):
                    count = connection.scalar(select(func.count()).select_from(table))
                    if count:
                        msg = (
                            f"{engine.url.render_as_string(hide_password=True)}: import needs "
                            f"an empty database; table {table.name} holds {count} rows"
                        )
                        raise InputError(msg)
                if current != revision:
                    migrate(connection, "base", direction="downgrade")
            migrate(connection, revision)
            tables = {table.name: table for table in _tables(connection)}
            unknown = sorted(set(data) - set(tables))
            if unknown:
                msg = f"{where(source)}tables not in schema {revision}: {', '.join(unknown)}"
                raise FileFormatError(msg)
            for name, table in tables.items():
                rows = data.get(name, [])
                if not isinstance(rows, list):
                    msg = f"{where(source)}table {name}: rows must be a list"
                    raise FileFormatError(msg)
                prepared = []
                columns = {column.name: column for column in table.columns}
                for number, row in enumerate(rows, start=1):
                    context = f"{source}, table {name}, row {number}: "
                    if not isinstance(row, dict) or set(row) - set(columns):
                        extra = sorted(set(row) - set(columns)) if isinstance(row, dict) else []
                        msg = f"{context}not a row of {name} (unknown columns {extra})"
                        raise FileFormatError(msg)
                    prepared.append(
                        {
                            key: _from_json(value, columns[key].type, f"{context}{key}: ")
                            for key, value in row.items()
                        }
                    )
                if prepared:
                    connection.execute(table.insert(), _ordered_rows(table, prepared))
            if engine.dialect.name == "postgresql":
                _reset_sequences(connection, list(tables.values()))
            migrate(connection, "head")


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Move PostgreSQL's id sequences past the imported ids."""
    for table in tables:
        if "id" not in table.columns or list(table.primary_key.columns) != [table.c.id]:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name},
        )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _free_name(directory: Path, stem: str, suffix: str) -> Path:
    candidate = directory / f"{stem}{suffix}"
    counter = 1
    while candidate.exists():
        candidate = directory / f"{stem}-{counter}{suffix}"
        counter += 1
    return candidate


def backup(url: str | URL | Engine, directory: str | os.PathLike[str]) -> Path:
    """Write a consistent, timestamped copy of the database at `url` into `directory`.

    SQLite: a copy made with SQLite's online backup API (`sqlite3.Connection.backup`),
    safe while others write, in a single self-contained file
    ``<name>-<UTC time>.db`` that opens as a database (``sqlite:///<file>``).
    PostgreSQL: the JSON export (`export_json`) as ``resistlab-<UTC time>.json``,
    read in one repeatable-read snapshot, because ``pg_dump`` may not be
    installed; restore it with `import_json` into an empty database.
    The copy is written under a temporary name and renamed when complete.

    Parameters
    ----------
    url : str, URL or Engine
        Database to back up.
    directory : path-like
        Folder for the backup (created if missing).

    Returns
    -------
    Path
        The backup file.

    Raises
    ------
    InputError
        For an in-memory SQLite database (nothing to copy from another process).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    with _engine(url) as engine:
        if engine.dialect.name == "postgresql":
            return export_json(engine, _free_name(folder, f"resistlab-{_stamp()}", ".json"))
        database = sqlite_file(engine)
        if database is None:
            msg = "backup: an in-memory SQLite database cannot be backed up; use export_json"
            raise InputError(msg)
        if not database.exists():
            msg = f"backup: {database} does not exist"
            raise InputError(msg)
        target = _free_name(folder, f"{database.stem}-{_stamp()}", ".db")
        with (
            atomic_path(target) as temporary,
            contextlib.closing(sqlite3.connect(database)) as src,
            contextlib.closing(sqlite3.connect(temporary)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.commit()
        return target
