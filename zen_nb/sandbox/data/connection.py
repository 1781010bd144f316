"""The sandbox's SQLite database, through the standard library: one writer, many readers.

Writes go through one connection, one transaction at a time (``BEGIN IMMEDIATE``, serialised
by a lock): SQLite writes one transaction at a time anyway. A file database runs in WAL mode,
where readers never wait for the writer, so each thread reads through a connection of its
own: a flow GET does not queue behind a long write. ``:memory:`` has no second connection to
the same data, so there reads share the writer's connection and lock.

``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a crash of the
process (``kill -9``); only a power loss could cost the last few.

Every call here blocks: the server calls the data layer from worker threads, never from its
event loop.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .schema import UnusableDatabase, create_or_migrate

BUSY_TIMEOUT_MS = 10_000


def utc_now() -> str:
    """The current time as the API writes it: UTC ISO 8601, milliseconds, ``Z``."""
    return stamp(datetime.now(UTC))


def stamp(moment: datetime) -> str:
    """A moment as the API writes it (UTC, milliseconds, ``Z``): such strings sort in time order."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _connect(path: str, *, read_only: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


class Store:
    """The sandbox's database: one writing connection, and a reading connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.in_memory = self.path == ":memory:"
        if not self.in_memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._writer = _connect(self.path)
        try:
            if not self.in_memory:
                self._writer.execute("PRAGMA journal_mode = WAL")
                self._writer.execute("PRAGMA synchronous = NORMAL")
            with self.transaction() as db:
                self.is_new = create_or_migrate(db, self.path)
        except sqlite3.DatabaseError as error:  # e.g. "file is not a database"
            self._writer.close()
            raise UnusableDatabase(
                f"{self.path} is not a SQLite database ({error}); move the file away or pass another --db"
            ) from None
        except BaseException:
            self._writer.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        with self._lock:
            self._check_open()
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._writer.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state.

        On a file database it runs on this thread's own connection, beside any write.
        """
        if self.in_memory:
            with self._lock:
                self._check_open()
                self._writer.execute("BEGIN DEFERRED")
                try:
                    yield self._writer
                finally:
                    self._writer.execute("COMMIT")
            return
        reader = self._reader()
        reader.execute("BEGIN DEFERRED")
        try:
            yield reader
        finally:
            reader.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        self._check_open()
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = _connect(self.path, read_only=True)
            self._local.reader = reader
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _check_open(self) -> None:
        if self._closed:
            raise sqlite3.ProgrammingError("the sandbox's database is closed")

    def close(self) -> None:
        """Close every connection (a WAL checkpoint happens when the last one closes)."""
        with self._lock:
            self._closed = True
            with self._readers_lock:
                for reader in self._readers:
                    reader.close()
                self._readers.clear()
            self._writer.close()
