"""Reads on the event loop never wait: :meth:`Store.snapshot_nowait` and :func:`read_now`.

Where a read would have to wait for a lock, ``snapshot_nowait`` raises :class:`WouldWait` at
once (rather than after the 10 s busy timeout), and ``read_now`` gives the read to a worker
thread, where it waits and then answers. The locks are real: the writer holding the file in
exclusive locking mode (one of a WAL reader's few waits), and the writer's lock on ``:memory:``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import anyio.to_thread
import pytest

from zen_nb.sandbox.data import Store, WouldWait
from zen_nb.sandbox.data.tenants import tenant_exists
from zen_nb.sandbox.reads import read_now
from zen_nb.sandbox.seed import seed_database

AT_ONCE = 1.0  # far below the 10 s busy timeout, far above a point read on a busy machine


@pytest.fixture
def file_store(tmp_path):
    store = Store(tmp_path / "reads.sqlite3")
    with store.transaction() as db:
        seed_database(db)
    yield store
    store.close()


@contextmanager
def file_held_exclusively(store: Store) -> Iterator[None]:
    """The store's writer holds the whole file: in exclusive locking mode, after a write, no other
    connection can read until it leaves that mode. (It must be the only connection open when it
    enters it, so this is taken before any reader of the test exists.)"""
    writer = store._writer  # the one connection open: another could not take the file
    writer.execute("PRAGMA locking_mode = EXCLUSIVE")
    with store.transaction() as db:
        db.execute("UPDATE tenants SET name = name")
    try:
        yield
    finally:
        writer.execute("PRAGMA locking_mode = NORMAL")
        with store.transaction() as db:  # the next access gives the file back
            db.execute("SELECT 1").fetchone()


def test_a_file_read_reads_beside_a_write_without_waiting(file_store):
    with file_store.transaction():
        with file_store.snapshot_nowait() as db:
            assert tenant_exists(db, "tenant_demo")


def test_a_file_read_that_would_wait_raises_at_once(file_store):
    with file_held_exclusively(file_store):
        started = time.perf_counter()
        with pytest.raises(WouldWait):
            with file_store.snapshot_nowait() as db:
                tenant_exists(db, "tenant_demo")
        assert time.perf_counter() - started < AT_ONCE
    with file_store.snapshot_nowait() as db:  # the connection is usable again at once
        assert tenant_exists(db, "tenant_demo")


def test_a_memory_read_raises_at_once_while_a_write_holds_the_lock():
    store = Store(":memory:")
    try:
        with store.transaction() as db:
            seed_database(db)
        taken, release = threading.Event(), threading.Event()

        def write() -> None:
            with store.transaction():
                taken.set()
                release.wait(10)

        writer = threading.Thread(target=write)
        writer.start()
        assert taken.wait(10)
        with pytest.raises(WouldWait):
            with store.snapshot_nowait():
                pass
        release.set()
        writer.join(10)
        with store.snapshot_nowait() as db:
            assert tenant_exists(db, "tenant_demo")
    finally:
        store.close()


def test_read_now_gives_a_read_that_would_wait_to_a_worker_thread(file_store):
    threads: list[str] = []

    def read(db: sqlite3.Connection) -> bool:
        threads.append(threading.current_thread().name)
        return tenant_exists(db, "tenant_demo")

    held = file_held_exclusively(file_store)
    held.__enter__()

    async def main() -> bool:
        async def release_soon() -> None:
            await anyio.sleep(0.5)
            await anyio.to_thread.run_sync(held.__exit__, None, None, None)  # the waiting read goes through

        async with anyio.create_task_group() as group:
            group.start_soon(release_soon)
            return await read_now(file_store, read)

    assert anyio.run(main) is True
    loop_thread = threading.current_thread().name
    assert threads[0] == loop_thread  # tried on the loop first
    assert threads[-1] != loop_thread  # and answered on a worker thread


def test_read_now_reads_on_the_loop_when_nothing_waits(file_store):
    threads: list[str] = []

    def read(db: sqlite3.Connection) -> bool:
        threads.append(threading.current_thread().name)
        return tenant_exists(db, "tenant_demo")

    assert anyio.run(read_now, file_store, read) is True
    assert threads == [threading.current_thread().name]


def test_errors_of_the_read_itself_are_not_taken_for_waiting(file_store):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        with file_store.snapshot_nowait() as db:
            db.execute("SELECT * FROM no_such_table")
