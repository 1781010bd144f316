"""The data layer on its own: migrations, the readers beside the writer, and constraint errors."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from zen_nb.sandbox.data import NameTaken, Store
from zen_nb.sandbox.data import flows as flow_rows
from zen_nb.sandbox.data.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, SchemaTooNew, UnusableDatabase
from zen_nb.sandbox.seed import DEMO_PLANE_ID, DEMO_TENANT_ID, seed_database
from zen_nb.sandbox.server import open_store


def _schema(path: Path) -> dict[str, str]:
    """Every table and index of a database file, by name, as SQLite stores its definition."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return dict(rows)


def _old_database(path: Path, version: int) -> None:
    """A database as zen_nb wrote it at schema ``version``: its tables and a seeded tenant."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA_V1)
    for step in range(2, version + 1):
        conn.executescript(MIGRATIONS[step])
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    conn.execute(
        "INSERT INTO tenants VALUES ('tenant_old', 'old', 'team', 'digest-of-an-old-token', '2026-01-01T00:00:00.000Z')"
    )
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_old_database_is_migrated_to_the_schema_of_a_new_one_and_keeps_its_rows(tmp_path, version):
    old, new = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    _old_database(old, version)
    open_store(old).close()
    open_store(new).close()
    assert _schema(old) == _schema(new)
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT name FROM tenants WHERE id = 'tenant_old'").fetchone() == ("old",)


def test_a_database_of_a_newer_zen_nb_is_refused_with_the_fix_and_left_untouched(tmp_path):
    path = tmp_path / "future.sqlite3"
    _old_database(path, SCHEMA_VERSION)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    before = _schema(path)
    with pytest.raises(SchemaTooNew, match="upgrade zen_nb, move the file away, or pass another --db"):
        Store(path)
    assert _schema(path) == before


def test_a_file_that_is_not_a_sandbox_database_is_refused_with_the_fix(tmp_path):
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("not a database at all, but a user's notes\n" * 100)
    with pytest.raises(UnusableDatabase, match="is not a SQLite database.*move the file away or pass another --db"):
        Store(notes)
    assert notes.read_text().startswith("not a database at all")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(UnusableDatabase, match="no schema version"):
        Store(other)


def _seeded(path: Path | str) -> Store:
    store = Store(path)
    with store.transaction() as db:
        seed_database(db)
    return store


def _insert_flow(db: sqlite3.Connection, flow_id: str, name: str, source: str = "ingester_stripe") -> sqlite3.Row:
    return flow_rows.insert_flow(
        db,
        DEMO_TENANT_ID,
        DEMO_PLANE_ID,
        flow_id,
        name=name,
        source=source,
        description=None,
        status="active",
        target_ids=["dest_stripe_prod_us_east_1"],
    )


def test_a_taken_name_is_name_taken_and_any_other_violation_stays_an_integrity_error():
    store = _seeded(":memory:")
    with store.transaction() as db:
        _insert_flow(db, "flow_one", "taken")
    with pytest.raises(NameTaken) as taken, store.transaction() as db:
        _insert_flow(db, "flow_two", "taken")
    assert (taken.value.kind, taken.value.name, taken.value.plane_id) == ("flow", "taken", DEMO_PLANE_ID)
    # A duplicate id or a missing source is a bug of the caller, not a name conflict.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed: flows.id"), store.transaction() as db:
        _insert_flow(db, "flow_one", "other-name")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), store.transaction() as db:
        _insert_flow(db, "flow_three", "third", source="ingester_nowhere")
    with store.snapshot() as db:
        names = [row["name"] for row in flow_rows.list_flows(db, DEMO_TENANT_ID, DEMO_PLANE_ID, 0, 10)]
    assert names == ["taken"]  # each failed transaction was rolled back whole
    store.close()


def test_on_a_file_database_a_read_does_not_wait_for_a_long_write(tmp_path):
    store = _seeded(tmp_path / "wal.sqlite3")
    writing, release = threading.Event(), threading.Event()

    def long_write() -> None:
        with store.transaction() as db:
            _insert_flow(db, "flow_slow", "written-slowly")
            writing.set()
            release.wait(10)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert writing.wait(10)
        started = time.perf_counter()
        with store.snapshot() as db:
            seen = flow_rows.get_flow(db, DEMO_TENANT_ID, DEMO_PLANE_ID, "flow_slow")
        waited = time.perf_counter() - started
    finally:
        release.set()
        writer.join(10)
    assert seen is None  # the write is not committed yet: the reader sees the state before it
    assert waited < 1.0  # and it did not wait for the writer's lock (which is held for up to 10 s)
    with store.snapshot() as db:
        assert flow_rows.get_flow(db, DEMO_TENANT_ID, DEMO_PLANE_ID, "flow_slow") is not None
    store.close()


def test_a_closed_store_refuses_reads_and_writes():
    store = _seeded(":memory:")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError), store.snapshot():
        pass
    with pytest.raises(sqlite3.ProgrammingError), store.transaction():
        pass
