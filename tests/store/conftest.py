"""Fixtures: the same tests on a SQLite file and, when one answers, on PostgreSQL.

Each PostgreSQL test gets its own schema (``search_path`` set through the
URL's ``options``), dropped afterwards, so runs never collide. Set
``RESISTLAB_TEST_PG_URL`` to use another server; when none answers, the
PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from resistlab.campaign.model import (
    Campaign,
    CellLine,
    DoseResponseLink,
    Drug,
    MediumChange,
    Passage,
)
from resistlab.store import Store, export_json

PG_URL = os.environ.get(
    "RESISTLAB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: needs the PostgreSQL server of RESISTLAB_TEST_PG_URL"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark the PostgreSQL variants here, not with pytest.param at import: this
    # conftest is imported before its pytest_configure has registered the marker.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker("postgresql")


def _libpq(url: str) -> str:
    """The psycopg (libpq) form of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def pg_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        with psycopg.connect(_libpq(PG_URL), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as err:  # any failure means: skip, and say why
        shown = make_url(PG_URL).render_as_string(hide_password=True)
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"PostgreSQL at {shown} does not answer ({first_line}); set RESISTLAB_TEST_PG_URL"
    return None


class PgSchemas:
    """Create uniquely named schemas and drop them at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def new_url(self) -> str:
        name = f"rl_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(PG_URL), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"')
        self.names.append(name)
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.names:
            return
        with psycopg.connect(_libpq(PG_URL), autocommit=True) as connection:
            connection.execute("SET lock_timeout = '10s'")
            for name in self.names:
                connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        problem = pg_problem()
        if problem:
            pytest.skip(problem)
    return str(request.param)


@pytest.fixture
def new_url(backend: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases of the test's backend."""
    schemas = PgSchemas()
    counter = iter(range(1_000_000))

    def make() -> str:
        if backend == "postgresql":
            return schemas.new_url()
        return f"sqlite:///{tmp_path / f'db{next(counter)}.sqlite'}"

    try:
        yield make
    finally:
        schemas.drop_all()


@pytest.fixture
def url(new_url: Callable[[], str]) -> str:
    """A fresh, empty database (SQLite file or PostgreSQL schema)."""
    return new_url()


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    with Store(url) as opened:
        yield opened


@pytest.fixture
def pg_url() -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL schemas (skips when the server does not answer)."""
    problem = pg_problem()
    if problem:
        pytest.skip(problem)
    schemas = PgSchemas()
    try:
        yield schemas.new_url
    finally:
        schemas.drop_all()


# -- a realistic campaign -------------------------------------------------------------------

D0 = date(2026, 1, 5)
PARENTAL = CellLine(
    "MDA-MB-231",
    species="Homo sapiens",
    tissue="breast",
    cellosaurus="CVCL_0062",
    str_checked=date(2025, 11, 20),
    mycoplasma_checked=date(2025, 12, 15),
    notes="ATCC HTB-26",
)
DEFACTINIB = Drug(
    "Defactinib",
    synonyms=("VS-6063", "PF-04554878"),
    targets=("PTK2", "PTK2B"),
    molecular_weight=510.5,
    stock_concentration=0.01,
)
CAMPAIGN = Campaign(
    "DefR-1",
    "MDA-MB-231",
    "Defactinib",
    parental_ic50=2.1e-6,
    start_dose=2.0e-7,
    factor=1.5,
    target_dose=1.5e-5,
    started=D0,
    notes="continuous exposure",
)


def day(n: int) -> date:
    """Day `n` of the campaign."""
    return date.fromordinal(D0.toordinal() + n)


def populate(store: Store, *, discard: bool = True) -> None:
    """Fill `store` with one campaign that uses every repository function."""
    store.add_cell_line(PARENTAL)
    store.add_drug(DEFACTINIB)
    store.add_drug(Drug("Ruxolitinib", targets=("JAK1", "JAK2"), solvent=None))
    store.create_campaign(CAMPAIGN)
    store.log_passage("DefR-1", Passage(0, day(-7), 0.0, cells_counted=4.0e6, split_ratio=4))
    store.log_medium_change("DefR-1", MediumChange(day(2), 200, note="fresh drug"), unit="nM")
    store.log_passage(
        "DefR-1",
        Passage(0, day(7), 200, cells_counted=2.5e6, confluence=80, viability=91.5, split_ratio=3),
        unit="nM",
    )
    store.freeze_vials("DefR-1", 2, day(7), box="LN2-3", positions=["A1", "A2"], cells=1e6)
    store.start_step("DefR-1", 0.3, day(8), unit="uM")
    store.log_medium_change("DefR-1", MediumChange(day(10), 3e-7))
    store.log_passage(
        "DefR-1",
        Passage(0, day(15), 3e-7, cells_counted=1.1e6, morphology="stressed", note="rounding"),
    )
    store.freeze_vials("DefR-1", ["V-s2-a", "V-s2-b"], day(15), box="LN2-3", viability=88)
    store.thaw_vial("DefR-1-s1-p2-1", day(16), note="backup culture")
    if discard:
        store.discard_vial("V-s2-b", day(17), note="cracked")
    store.link_dose_response(
        "DefR-1",
        DoseResponseLink(
            day(20), "DefR-1-s2", 4.2, ic50_low=3.1, ic50_high=5.6, source="fit.csv, row 3"
        ),
        unit="uM",
    )
    store.record_check("DefR-1-s2", mycoplasma_checked=day(21))
    store.set_phase("DefR-1", "escalation")


def snapshot(store: Store, tmp_path: Path) -> bytes:
    """The whole database as bytes (its JSON export), to show nothing changed."""
    path = tmp_path / f"snapshot-{uuid.uuid4().hex}.json"
    export_json(store.engine, path)
    data = path.read_bytes()
    path.unlink()
    return data
