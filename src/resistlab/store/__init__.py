"""The lab record on a database: the only package that talks to one.

A `Store` keeps cell lines (with their lineage), drugs, campaigns and
everything a campaign logs (dose steps, passages, medium changes, cryostocks
and their freeze/thaw/discard events, dose-response re-tests), taking and
returning the frozen dataclasses of `resistlab.campaign.model`.

- SQLite by default (`database_url`: ``RESISTLAB_DB_URL``, else
  ``resistlab.db`` in the working folder), with foreign keys on and a WAL
  journal; PostgreSQL by URL (``postgresql+psycopg://user@host/db``).
- The schema is versioned by Alembic revisions shipped inside the package
  (`upgrade`, `downgrade`, `current_revision`; no alembic.ini). A `Store`
  upgrades its database to `SCHEMA_REVISION` when it opens it.
- Every write is one transaction; bad input raises
  `resistlab.errors.InputError` and changes nothing. Concurrent writers to a
  campaign are serialized (row lock on PostgreSQL, ``BEGIN IMMEDIATE`` on
  SQLite) and retried after lock conflicts, so nothing is lost.
- `export_json` / `import_json` round-trip a whole database through
  versioned JSON; `backup` writes a consistent timestamped copy.

Tables: ``cell_lines`` (``parent_id`` -> ``cell_lines``), ``drugs``,
``drug_synonyms``, ``drug_targets``, ``campaigns``, ``dose_steps``,
``passages``, ``medium_changes``, ``cryostocks``, ``cryo_events``,
``dose_response_links``.
"""

from __future__ import annotations

from resistlab.store._engine import database_url
from resistlab.store._migrate import (
    SCHEMA_REVISION,
    SchemaError,
    current_revision,
    downgrade,
    upgrade,
)
from resistlab.store._replay import replay_record
from resistlab.store._repository import CryoEvent, Store
from resistlab.store._transfer import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    backup,
    export_json,
    import_json,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "SCHEMA_REVISION",
    "CryoEvent",
    "SchemaError",
    "Store",
    "backup",
    "current_revision",
    "database_url",
    "downgrade",
    "export_json",
    "import_json",
    "replay_record",
    "upgrade",
]
