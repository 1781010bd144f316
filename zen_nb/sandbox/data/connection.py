"""The sandbox's SQLite database, through the standard library: one writer, many readers.

Writes go through one connection, one transaction at a time (``BEGIN IMMEDIATE``, serialised
by a lock): SQLite writes one transaction at a time anyway. A file database runs in WAL mode,
where readers never wait for the writer, so each thread reads through a connection of its
own: a flow GET does not queue behind a long write. ``:memory:`` has no second connection to
the same data, so there reads share the writer's connection and lock.

``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a crash of the
process (``kill -9``); only a power loss could cost the last few.

Every call here may block, so the server calls the data layer from worker threads, with one
exception: :meth:`Store.snapshot_nowait`, a read that never waits (busy timeout 0, no lock
waited for). It raises :class:`WouldWait` where a read would have to wait, so the event loop
can answer a point read (a token, a flow by id) in one step and leave only the rare read that
would wait to a worker thread. Under load, each hop to a worker thread costs a turn in the
queue for the interpreter's lock: a point read served on the loop answers as fast as
``/health``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

from .database_file import prepare as prepare_file
from .schema import UnusableDatabase, claim, create_or_migrate

BUSY_TIMEOUT_MS = 10_000
_WAITING_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# Run inside every write transaction of the current context, before its commit (see
# Store.transaction). The idempotency middleware sets it for the request it runs, so that the
# request's key records "its write committed" in the very transaction of that write: a crash
# between the write and the storing of the answer can then not pass for a request never run.
BEFORE_COMMIT: ContextVar[Callable[[sqlite3.Connection], None] | None] = ContextVar("before_commit", default=None)


class WouldWait(Exception):
    """A read that must not wait would have had to: the database is locked for the moment."""


def utc_now() -> str:
    """The current time as the API writes it: UTC ISO 8601, milliseconds, ``Z``."""
    return stamp(datetime.now(UTC))


def stamp(moment: datetime) -> str:
    """A moment as the API writes it (UTC, milliseconds, ``Z``): such strings sort in time order."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _connect(path: str, *, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


class Store:
    """The sandbox's database: one writing connection, and reading connections per thread."""

    def __init__(self, path: str | Path) -> None:
        """Open ``path`` (or ``":memory:"``); :class:`UnusableDatabase` says why and what to do if it cannot be.

        A file is first made ready by :func:`database_file.prepare`: created private (0600) when
        missing, else read without writing to check that it is a sandbox database.
        """
        self.path = str(path)
        self.in_memory = self.path == ":memory:"
        if not self.in_memory:
            prepare_file(self.path)  # made private (0600) if new, refused if not the sandbox's
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        try:
            self._writer = _connect(self.path)
        except sqlite3.DatabaseError as error:  # e.g. "unable to open database file"
            raise UnusableDatabase(
                f"cannot open {self.path} ({error}); move the file away or pass another --db"
            ) from None
        try:
            if not self.in_memory:
                # Marked before the switch to WAL writes the header, so that a first start cut short
                # before its tables were made is known as the sandbox's on the next (schema.identify).
                claim(self._writer)
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
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error.

        What :data:`BEFORE_COMMIT` holds in the caller's context runs inside it, just before the
        commit: a note that must be durable exactly when this transaction's writes are.
        """
        with self._lock:
            self._check_open()
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                note = BEFORE_COMMIT.get()
                if note is not None:
                    note(self._writer)
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

    @contextmanager
    def snapshot_nowait(self) -> Iterator[sqlite3.Connection]:
        """A read transaction like :meth:`snapshot` that never waits: :class:`WouldWait` instead.

        On a file database it reads through this thread's connection with a busy timeout of 0:
        in WAL mode a reader waits for nothing but a rare lock (a connection in exclusive
        mode, the WAL's recovery), and then this raises at once. On ``:memory:``, where reads
        take the writer's lock, it raises if a write holds that lock.
        """
        if self.in_memory:
            if not self._lock.acquire(blocking=False):
                raise WouldWait
            try:
                with self.snapshot() as db:
                    yield db
            finally:
                self._lock.release()
            return
        reader = self._reader(waits=False)
        try:
            reader.execute("BEGIN DEFERRED")
            try:
                yield reader
            finally:
                reader.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode in _WAITING_CODES:
                raise WouldWait from error
            raise

    def _reader(self, waits: bool = True) -> sqlite3.Connection:
        self._check_open()
        name = "reader" if waits else "nowait_reader"
        reader = getattr(self._local, name, None)
        if reader is None:
            reader = _connect(self.path, read_only=True, busy_timeout_ms=BUSY_TIMEOUT_MS if waits else 0)
            setattr(self._local, name, reader)
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
