"""Schema migrations: an empty database, the previous revision, and the models."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from resistlab.store import (
    SCHEMA_REVISION,
    CryoEvent,
    SchemaError,
    Store,
    current_revision,
    database_url,
    downgrade,
    upgrade,
)
from resistlab.store._engine import make_engine
from resistlab.store._migrate import script_directory
from resistlab.store._models import Base

from .conftest import populate

TABLES_0001 = {
    "cell_lines",
    "drugs",
    "drug_synonyms",
    "drug_targets",
    "campaigns",
    "dose_steps",
    "passages",
    "medium_changes",
    "cryostocks",
    "dose_response_links",
}
TABLES_HEAD = TABLES_0001 | {"cryo_events"}


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_schema_revision_is_the_newest_script():
    assert script_directory().get_current_head() == SCHEMA_REVISION


def test_upgrade_creates_the_schema_in_an_empty_database(url):
    assert current_revision(url) is None
    upgrade(url)
    assert current_revision(url) == SCHEMA_REVISION
    assert table_names(url) == TABLES_HEAD
    upgrade(url)  # a second run is a no-op
    assert current_revision(url) == SCHEMA_REVISION


def test_models_and_migrations_agree(url):
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrade_from_0001_keeps_data_and_backfills_vial_history(url):
    upgrade(url, revision="0001")
    assert table_names(url) == TABLES_0001
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cell_lines (id, name, parent_id, notes) VALUES "
                    "(1, 'HCT116', NULL, ''), (2, 'CR-1-s1', 1, '')"
                )
            )
            connection.execute(text("INSERT INTO drugs (id, name) VALUES (1, 'Defactinib')"))
            connection.execute(
                text(
                    "INSERT INTO campaigns (id, name, cell_line_id, drug_id, parental_ic50, "
                    "start_dose, factor, target_dose, started, phase, notes) VALUES "
                    "(1, 'CR-1', 1, 1, 1e-6, 1e-7, 2.0, 5e-6, :d, 'escalation', '')"
                ),
                {"d": date(2026, 2, 1)},
            )
            connection.execute(
                text(
                    "INSERT INTO dose_steps (campaign_id, step, dose, cell_line_id, started) "
                    "VALUES (1, 1, 1e-7, 2, :d)"
                ),
                {"d": date(2026, 2, 1)},
            )
            connection.execute(
                text(
                    "INSERT INTO cryostocks (vial_id, campaign_id, cell_line_id, dose_step, "
                    "passage, frozen, box, position, thawed) VALUES "
                    "('v1', 1, 2, 1, 3, :f, 'B1', 'A1', :t), "
                    "('v2', 1, 2, 1, 3, :f, 'B1', 'A2', NULL)"
                ),
                {"f": date(2026, 2, 20), "t": date(2026, 3, 2)},
            )
    finally:
        engine.dispose()

    upgrade(url)

    assert current_revision(url) == SCHEMA_REVISION
    with Store(url) as store:
        record = store.load_campaign("CR-1")
        assert [line.name for line in record.cell_lines] == ["HCT116", "CR-1-s1"]
        assert [vial.vial_id for vial in record.cryostocks] == ["v1", "v2"]
        assert store.vial_history("v1") == (
            CryoEvent("v1", "freeze", date(2026, 2, 20)),
            CryoEvent("v1", "thaw", date(2026, 3, 2)),
        )
        assert store.vial_history("v2") == (CryoEvent("v2", "freeze", date(2026, 2, 20)),)
        # The upgraded database takes new writes.
        store.thaw_vial("v2", date(2026, 3, 9))


def test_downgrade_to_0001_and_upgrade_again_keeps_the_data(url):
    with Store(url) as store:
        populate(store, discard=False)
        before = store.load_campaign("DefR-1")
    downgrade(url, revision="0001")
    assert current_revision(url) == "0001"
    assert table_names(url) == TABLES_0001
    upgrade(url)
    with Store(url) as store:
        assert store.load_campaign("DefR-1") == before
        # History of a thawed vial is rebuilt from its dates.
        assert [event.kind for event in store.vial_history("DefR-1-s1-p2-1")] == [
            "freeze",
            "thaw",
        ]


def test_a_failed_migration_changes_nothing(url):
    upgrade(url, revision="0001")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE cryo_events (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
    with pytest.raises(Exception, match="cryo_events"):
        upgrade(url)
    assert current_revision(url) == "0001"
    assert table_names(url) == TABLES_0001 | {"cryo_events"}


def test_store_without_migrate_refuses_an_old_schema(url):
    upgrade(url, revision="0001")
    with pytest.raises(SchemaError, match="revision '0001'"):
        Store(url, migrate=False)
    with Store(url) as store:  # migrate=True upgrades it
        assert store.list_campaigns() == ()
    assert current_revision(url) == SCHEMA_REVISION
    with Store(url, migrate=False) as store:
        assert store.list_campaigns() == ()


def test_a_newer_unknown_revision_is_refused(url):
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaError, match=r"'9999'.*upgrade ResistLab"):
        Store(url)


def test_database_url_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RESISTLAB_DB_URL", "postgresql+psycopg://lab@db/resistlab")
    assert database_url() == "postgresql+psycopg://lab@db/resistlab"
    monkeypatch.delenv("RESISTLAB_DB_URL")
    monkeypatch.chdir(tmp_path)
    assert database_url() == f"sqlite:///{tmp_path / 'resistlab.db'}"
    with Store() as store:
        assert store.url == f"sqlite:///{tmp_path / 'resistlab.db'}"
    assert (tmp_path / "resistlab.db").exists()


def test_sqlite_has_foreign_keys_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    with Store(url) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_unsupported_backend_is_refused():
    from resistlab.errors import InputError

    with pytest.raises(InputError, match="backend 'mysql' is not supported"):
        Store("mysql://lab@db/resistlab")


def test_a_sqlite_file_in_a_missing_folder_is_an_input_error(tmp_path):
    from resistlab.errors import InputError

    with pytest.raises(InputError, match="does not exist"):
        Store(f"sqlite:///{tmp_path / 'nowhere' / 'lab.db'}")
