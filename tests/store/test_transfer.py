"""Export / import round trips and backups."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date

import pytest
from sqlalchemy import text

from resistlab.errors import FileFormatError, InputError
from resistlab.store import (
    EXPORT_FORMAT,
    SCHEMA_REVISION,
    Store,
    backup,
    current_revision,
    export_json,
    import_json,
    upgrade,
)
from resistlab.store._engine import make_engine

from .conftest import DEFACTINIB, populate, snapshot


def test_export_format(store, tmp_path):
    populate(store)
    path = export_json(store.engine, tmp_path / "out" / "lab.json")
    document = json.loads(path.read_text())
    assert document["format"] == EXPORT_FORMAT
    assert document["version"] == 1
    assert document["schema_revision"] == SCHEMA_REVISION
    tables = document["tables"]
    assert [row["name"] for row in tables["cell_lines"]] == ["MDA-MB-231", "DefR-1-s1", "DefR-1-s2"]
    assert tables["cell_lines"][0]["str_checked"] == "2025-11-20"
    assert [row["synonym"] for row in tables["drug_synonyms"]] == ["VS-6063", "PF-04554878"]
    assert [row["kind"] for row in tables["cryo_events"]].count("thaw") == 1
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind


def test_round_trip_is_identical(new_url, tmp_path):
    source, target = new_url(), new_url()
    with Store(source) as store:
        populate(store)
        before = store.load_campaign("DefR-1")
    first = export_json(source, tmp_path / "first.json")
    import_json(first, target)
    second = export_json(target, tmp_path / "second.json")
    assert second.read_bytes() == first.read_bytes()
    with Store(target) as store:
        assert store.load_campaign("DefR-1") == before


def test_writes_after_import_continue_the_ids(new_url, tmp_path):
    # New rows get ids after the imported ones (PostgreSQL's sequences are moved on).
    source, target = new_url(), new_url()
    with Store(source) as store:
        populate(store)
    import_json(export_json(source, tmp_path / "lab.json"), target)
    with Store(target) as store:
        store.freeze_vials("DefR-1", 1, date(2026, 2, 1))
        store.start_step("DefR-1", 4.5e-7, date(2026, 2, 2))
        record = store.load_campaign("DefR-1")
    assert record.steps[-1].cell_line == "DefR-1-s3"
    assert len(record.cryostocks) == 4


@pytest.mark.postgresql
def test_sqlite_to_postgresql_and_back_is_identical(tmp_path, pg_url):
    sqlite_url = f"sqlite:///{tmp_path / 'lab.db'}"
    with Store(sqlite_url) as store:
        populate(store)
    first = export_json(sqlite_url, tmp_path / "first.json")
    pg = pg_url()
    import_json(first, pg)
    second = export_json(pg, tmp_path / "second.json")
    assert second.read_bytes() == first.read_bytes()


def test_import_refuses_a_database_with_data(new_url, tmp_path):
    source, target = new_url(), new_url()
    with Store(source) as store:
        populate(store)
    exported = export_json(source, tmp_path / "lab.json")
    with Store(target) as store:
        store.add_drug(DEFACTINIB)
        before = snapshot(store, tmp_path)
        with pytest.raises(InputError, match="import needs an empty database; table drugs holds 1"):
            import_json(exported, target)
        assert snapshot(store, tmp_path) == before


def test_a_bad_export_changes_nothing(new_url, tmp_path):
    source, target = new_url(), new_url()
    with Store(source) as store:
        populate(store)
    document = json.loads(export_json(source, tmp_path / "lab.json").read_text())
    document["tables"]["passages"][1]["day"] = "12/01/2026"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    upgrade(target)
    with pytest.raises(FileFormatError, match=r"broken.json, table passages, row 2: day: "):
        import_json(broken, target)
    with Store(target) as store:
        assert store.list_campaigns() == ()
    assert current_revision(target) == SCHEMA_REVISION


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot be read as JSON"),
        ('{"format": "other"}', "not a ResistLab store export"),
        ('{"format": "resistlab-store", "version": 7}', "export version 7"),
        (
            '{"format": "resistlab-store", "version": 1, "schema_revision": "zz", "tables": {}}',
            "schema revision 'zz' is unknown",
        ),
        (
            '{"format": "resistlab-store", "version": 1, "schema_revision": "0002", '
            '"tables": {"spells": []}}',
            "tables not in schema 0002: spells",
        ),
        (
            '{"format": "resistlab-store", "version": 1, "schema_revision": "0002", '
            '"tables": {"drugs": [{"id": 1, "name": "x", "colour": "red"}]}}',
            r"table drugs, row 1: not a row of drugs \(unknown columns \['colour'\]\)",
        ),
    ],
)
def test_malformed_exports_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    url = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(FileFormatError, match=message):
        import_json(path, url)
    assert current_revision(url) is None


def test_an_export_of_revision_0001_imports_and_is_migrated(new_url, tmp_path):
    old, target = new_url(), new_url()
    upgrade(old, revision="0001")
    engine = make_engine(old)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO cell_lines (id, name, notes) VALUES (1, 'A', '')"))
            connection.execute(text("INSERT INTO drugs (id, name) VALUES (1, 'D')"))
            connection.execute(
                text(
                    "INSERT INTO campaigns (id, name, cell_line_id, drug_id, parental_ic50, "
                    "start_dose, factor, target_dose, started, phase, notes) VALUES "
                    "(1, 'C', 1, 1, 1e-6, 1e-7, 2.0, 5e-6, :d, 'escalation', '')"
                ),
                {"d": date(2026, 2, 1)},
            )
            connection.execute(
                text(
                    "INSERT INTO cryostocks (vial_id, campaign_id, cell_line_id, dose_step, "
                    "passage, frozen, box, position) VALUES ('v', 1, 1, 0, 0, :d, '', '')"
                ),
                {"d": date(2026, 2, 3)},
            )
    finally:
        engine.dispose()
    exported = export_json(old, tmp_path / "old.json")
    assert json.loads(exported.read_text())["schema_revision"] == "0001"
    import_json(exported, target)
    assert current_revision(target) == SCHEMA_REVISION
    with Store(target) as store:
        assert [event.kind for event in store.vial_history("v")] == ["freeze"]


def test_sqlite_backup_opens_and_loads(tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    with Store(url) as store:
        populate(store)
        before = store.load_campaign("DefR-1")
        # A backup while the store holds open connections (WAL, uncheckpointed).
        first = backup(store.engine, tmp_path / "backups")
        second = backup(url, tmp_path / "backups")
    assert re.fullmatch(r"lab-\d{8}T\d{6}Z(-1)?\.db", first.name)
    assert first != second
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == sorted(
        [first.name, second.name]
    )
    with sqlite3.connect(first) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    with Store(f"sqlite:///{first}", migrate=False) as restored:
        assert restored.load_campaign("DefR-1") == before


@pytest.mark.postgresql
def test_postgresql_backup_is_a_json_export_that_restores(pg_url, tmp_path):
    source, target = pg_url(), pg_url()
    with Store(source) as store:
        populate(store)
        before = store.load_campaign("DefR-1")
    path = backup(source, tmp_path)
    assert re.fullmatch(r"resistlab-\d{8}T\d{6}Z\.json", path.name)
    import_json(path, target)
    with Store(target) as store:
        assert store.load_campaign("DefR-1") == before


def test_in_memory_database_cannot_be_backed_up(tmp_path):
    with Store("sqlite://") as store, pytest.raises(InputError, match="in-memory"):
        backup(store.engine, tmp_path)


def test_import_puts_parents_before_children(new_url, tmp_path):
    source, target = new_url(), new_url()
    with Store(source) as store:
        populate(store)
    first = export_json(source, tmp_path / "lab.json")
    document = json.loads(first.read_text())
    document["tables"]["cell_lines"].reverse()  # children first: FKs would refuse that order
    shuffled = tmp_path / "shuffled.json"
    shuffled.write_text(json.dumps(document))
    import_json(shuffled, target)
    assert export_json(target, tmp_path / "again.json").read_bytes() == first.read_bytes()
