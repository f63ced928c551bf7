"""Two processes logging to one campaign at once lose nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from resistlab.campaign.model import Passage
from resistlab.store import Store

from .conftest import CAMPAIGN, DEFACTINIB, PARENTAL, day

PER_PROCESS = 50


def log_passages(url: str, tag: str, count: int, barrier: Any) -> None:
    """Worker: open the store, wait for the other worker, log `count` passages.

    The short pause between writes lets the other process in (SQLite's busy
    handler backs off, so a writer in a tight loop would otherwise keep the
    lock to itself and the two would merely run one after the other).
    """
    with Store(url) as store:
        barrier.wait(timeout=60)
        for i in range(count):
            store.log_passage(
                "DefR-1", Passage(0, day(7), 2e-7, cells_counted=1e6, note=f"{tag}-{i}")
            )
            time.sleep(0.002)


def started_store(url: str) -> None:
    with Store(url) as store:
        store.add_cell_line(PARENTAL)
        store.add_drug(DEFACTINIB)
        store.create_campaign(CAMPAIGN)


def test_two_processes_logging_passages_lose_nothing(url):
    started_store(url)
    context = multiprocessing.get_context("spawn")  # a clean interpreter, no inherited pool
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=log_passages, args=(url, tag, PER_PROCESS, barrier))
        for tag in ("a", "b")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]

    with Store(url) as store:
        passages = store.load_campaign("DefR-1").passages
    assert [p.number for p in passages] == list(range(1, 2 * PER_PROCESS + 1))
    tags = Counter(p.note.split("-")[0] for p in passages)
    assert tags == {"a": PER_PROCESS, "b": PER_PROCESS}
    assert len({p.note for p in passages}) == 2 * PER_PROCESS


@contextmanager
def hold_write_lock(url: str):
    """Hold the lock a passage write needs, from another connection, until exit."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("COMMIT")
        finally:
            connection.close()
        return
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as connection:
        connection.execute("SELECT id FROM campaigns WHERE name = 'DefR-1' FOR UPDATE")
        yield
        connection.commit()


def test_a_writer_waits_for_the_lock_and_then_succeeds(url):
    started_store(url)
    with Store(url) as store:
        done = threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            try:
                store.log_passage("DefR-1", Passage(0, day(7), 2e-7))
            except BaseException as err:  # reported below
                errors.append(err)
            done.set()

        with hold_write_lock(url):
            thread = threading.Thread(target=write)
            thread.start()
            assert not done.wait(0.4), "the write did not wait for the lock"
        thread.join(timeout=30)
        assert errors == []
        assert done.is_set()
        assert [p.number for p in store.load_campaign("DefR-1").passages] == [1]


def test_sqlite_busy_is_retried(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    started_store(url)
    # A 20 ms lock timeout: the first attempts fail with "database is locked" and are retried.
    with Store(url, timeout=0.02) as store:
        holder = sqlite3.connect(
            tmp_path / "busy.db", isolation_level=None, check_same_thread=False
        )
        try:
            holder.execute("BEGIN IMMEDIATE")
            release = threading.Timer(0.3, holder.execute, args=("COMMIT",))
            release.start()
            started = time.perf_counter()
            passage = store.log_passage("DefR-1", Passage(0, day(7), 2e-7))
            waited = time.perf_counter() - started
            release.join()
        finally:
            holder.close()
    assert passage.number == 1
    assert waited >= 0.25


def test_retry_gives_up_on_other_errors():
    from sqlalchemy.exc import OperationalError

    from resistlab.store._engine import run_with_retry

    calls = []

    def fail() -> None:
        calls.append(1)
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x"))

    with pytest.raises(OperationalError):
        run_with_retry(fail)
    assert len(calls) == 1
