"""SQLite storage for the sandbox, through the standard library.

One connection, serialised by a lock: SQLite writes one transaction at a time anyway, and a
single connection makes ``:memory:`` databases work like file ones. File databases run in WAL
mode with ``synchronous=NORMAL``, which keeps every committed transaction across a crash of
the process (``kill -9``); only a power loss could cost the last few.

Uniqueness (names per plane, idempotency keys) and references (a flow's source and targets)
are constraints of the schema, so that concurrent requests cannot slip past a check.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    plan         TEXT NOT NULL CHECK (plan IN ('free', 'team', 'business_plus')),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
CREATE TABLE planes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    region     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE TABLE adapters (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT NOT NULL,
    plane_id   TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, plane_id, id),
    FOREIGN KEY (tenant_id, plane_id) REFERENCES planes(tenant_id, id) ON DELETE CASCADE
);
CREATE TABLE ingesters (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT NOT NULL,
    plane_id   TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    adapter_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, plane_id, id),
    FOREIGN KEY (tenant_id, plane_id, adapter_id)
        REFERENCES adapters(tenant_id, plane_id, id) ON DELETE CASCADE
);
CREATE TABLE targets (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    plane_id    TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('stripe', 'http', 'slack', 's3')),
    url         TEXT,
    description TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, plane_id, id),
    UNIQUE (tenant_id, plane_id, name),
    FOREIGN KEY (tenant_id, plane_id) REFERENCES planes(tenant_id, id) ON DELETE CASCADE
);
CREATE TABLE flows (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    plane_id    TEXT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, plane_id, name),
    FOREIGN KEY (tenant_id, plane_id, source)
        REFERENCES ingesters(tenant_id, plane_id, id)
);
CREATE INDEX flows_by_plane ON flows (tenant_id, plane_id, seq);
CREATE TABLE flow_targets (
    flow_id   TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    tenant_id TEXT NOT NULL,
    plane_id  TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (flow_id, position),
    FOREIGN KEY (tenant_id, plane_id, target_id)
        REFERENCES targets(tenant_id, plane_id, id)
);
CREATE INDEX flow_targets_by_target ON flow_targets (tenant_id, plane_id, target_id);
CREATE TABLE idempotency_keys (
    token_sha256 TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT,
    state        TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    status       INTEGER,
    body         BLOB,
    content_type TEXT,
    request_id   TEXT,
    created_at   REAL NOT NULL,
    PRIMARY KEY (token_sha256, key)
);
"""

# Version 2 adds ingested events, delivery attempts, and the queue of deliveries still to make.
SCHEMA_V2 = """
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    plane_id    TEXT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    ingester_id TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE attempts (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       TEXT NOT NULL,
    plane_id        TEXT NOT NULL,
    id              TEXT NOT NULL UNIQUE,
    flow_id         TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    attempt_number  INTEGER NOT NULL,
    trigger         TEXT NOT NULL CHECK (trigger IN ('initial', 'automatic', 'manual', 'resume')),
    status          TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'pending')),
    response_status INTEGER,
    error_code      TEXT,
    latency_ms      INTEGER,
    created_at      TEXT NOT NULL
);
CREATE INDEX attempts_by_plane ON attempts (tenant_id, plane_id, seq);
CREATE INDEX attempts_by_flow ON attempts (flow_id, event_id);
CREATE TABLE deliveries (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT NOT NULL,
    plane_id       TEXT NOT NULL,
    flow_id        TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    event_id       TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    attempt_number INTEGER NOT NULL,
    trigger        TEXT NOT NULL,
    due_at         REAL NOT NULL,
    held           INTEGER NOT NULL DEFAULT 0,
    attempt_id     TEXT
);
CREATE INDEX deliveries_due ON deliveries (held, due_at);
CREATE INDEX deliveries_by_flow ON deliveries (flow_id);
"""
SCHEMA += SCHEMA_V2

# Deleting in this order respects the foreign keys.
DATA_TABLES = (
    "deliveries",
    "attempts",
    "events",
    "flow_targets",
    "flows",
    "targets",
    "ingesters",
    "adapters",
    "planes",
    "tenants",
    "idempotency_keys",
)


def utc_now() -> str:
    """The current time as the API writes it: UTC ISO 8601, milliseconds, ``Z``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def clear_rows(db: sqlite3.Connection) -> None:
    """Delete every row (the schema stays): the first half of a reset, inside its transaction."""
    for table in DATA_TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


class Store:
    """The sandbox's database: one SQLite connection, one transaction at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self.is_new = self._create_schema()

    def _create_schema(self) -> bool:
        """Create the tables on an empty database; say whether it was empty."""
        with self.transaction() as db:
            exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if exists:
                row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is not None and int(row["value"]) == 1:  # version 2 only adds tables
                    for statement in SCHEMA_V2.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
                    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is None or int(row["value"]) != SCHEMA_VERSION:
                    raise RuntimeError(
                        f"the sandbox database {self.path} has schema version "
                        f"{row['value'] if row else 'unknown'}, this zen_nb needs {SCHEMA_VERSION}: "
                        "move the file away or pass another --db"
                    )
                # A request that was running when the process died can never finish, nor an attempt.
                db.execute("DELETE FROM idempotency_keys WHERE state = 'in_flight'")
                db.execute("UPDATE attempts SET status = 'failed', error_code = 'interrupted' WHERE status = 'pending'")
                return False
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def read(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run one query outside an explicit transaction and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def read_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        """Run one query and return its first row, or None."""
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def close(self) -> None:
        """Close the connection (a WAL checkpoint happens on close)."""
        with self._lock:
            self._conn.close()
