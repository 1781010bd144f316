"""The sandbox's database schema, and the migrations that bring an older database up to it.

A new database is made the way an old one is upgraded: version 1's tables, then every
migration in order, in one transaction. So a migrated database and a new one are the same
(``tests/test_data_layer.py`` compares them), and adding a column is one new migration here.

Uniqueness (names per plane, idempotency keys, attempt numbers) and references (a flow's
source and targets) are constraints of the schema, so that concurrent requests cannot slip
past a check: ``constraints.py`` turns their violations into the API's errors.
"""

from __future__ import annotations

import re
import sqlite3

SCHEMA_V1 = """
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

# Version 2: ingested events, delivery attempts, and the queue of deliveries still to make.
MIGRATION_V2 = """
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

# Version 3: delivery settings and outcome models are stored (a restart keeps them); a replayed
# idempotent answer keeps its headers (Location); an attempt's number is unique per delivery.
MIGRATION_V3 = """
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE target_outcomes (
    tenant_id TEXT NOT NULL,
    plane_id  TEXT NOT NULL,
    target_id TEXT NOT NULL,
    model     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, plane_id, target_id),
    FOREIGN KEY (tenant_id, plane_id, target_id)
        REFERENCES targets(tenant_id, plane_id, id) ON DELETE CASCADE
);
ALTER TABLE idempotency_keys ADD COLUMN headers TEXT;
DROP INDEX attempts_by_flow;
CREATE UNIQUE INDEX attempts_numbered ON attempts (flow_id, event_id, target_id, attempt_number);
"""

# Version 4: a training class. Its trainees (each a tenant of its own, with the token the roster
# hands out and a join code; a revoked code is remembered so that it is told apart from a wrong
# one), what each tenant's exercise checks found, and the activity the checks read (a 409 on a
# flow's name, a pause, a resume: what the state of the objects alone cannot tell).
MIGRATION_V4 = """
CREATE TABLE class_trainees (
    name       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL UNIQUE,
    tenant_id  TEXT NOT NULL UNIQUE REFERENCES tenants(id) ON DELETE CASCADE,
    token      TEXT NOT NULL,
    join_code  TEXT UNIQUE,
    joined_at  TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE revoked_join_codes (
    code       TEXT PRIMARY KEY,
    trainee    TEXT NOT NULL,
    revoked_at TEXT NOT NULL
);
CREATE TABLE exercise_status (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    exercise        TEXT NOT NULL,
    checks          INTEGER NOT NULL,
    last_checked_at TEXT NOT NULL,
    last_passed     INTEGER NOT NULL,
    last_message    TEXT NOT NULL,
    passed_at       TEXT,
    PRIMARY KEY (tenant_id, exercise)
);
CREATE TABLE tenant_activity (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    count     INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject)
);
"""

# Version 5: the vendor's recipe family and v1 API. A target has a free-form ``config`` (JSON text)
# and a stored status: ``provisioning`` (a new target, shown ``active`` once its provisioning window
# has passed: ``targets.target_status``), ``active`` or ``disabled``; the targets a database already
# has were usable, so they are ``active``. A flow may carry its own retry policy (NULL: the
# sandbox's schedule). The v1 API lists a tenant's attempts across planes, newest first, and reads
# each failed one's status from its delivery's queued retry: two indexes keep both point reads.
MIGRATION_V5 = """
ALTER TABLE targets ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE targets ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('provisioning', 'active', 'disabled'));
ALTER TABLE flows ADD COLUMN retry_max_attempts INTEGER;
ALTER TABLE flows ADD COLUMN retry_backoff_seconds REAL;
CREATE INDEX attempts_by_tenant ON attempts (tenant_id, seq);
CREATE INDEX deliveries_by_delivery ON deliveries (flow_id, event_id, target_id);
"""

# Version 6: the attempt lists are ordered by ``createdAt`` (then creation order), not by creation
# order alone: a simulated history written after live traffic lies earlier in time, and a list
# "oldest first" must give it first, so that a load split into time windows and a sequential load
# give the same rows in the same order. The keyset indexes walk that order.
MIGRATION_V6 = """
DROP INDEX attempts_by_plane;
CREATE INDEX attempts_by_plane ON attempts (tenant_id, plane_id, created_at, seq);
DROP INDEX attempts_by_tenant;
CREATE INDEX attempts_by_tenant ON attempts (tenant_id, created_at, seq);
"""

# version -> the statements that turn the version before it into this one
MIGRATIONS = {2: MIGRATION_V2, 3: MIGRATION_V3, 4: MIGRATION_V4, 5: MIGRATION_V5, 6: MIGRATION_V6}
SCHEMA_VERSION = max(MIGRATIONS)

# In the header of every database the sandbox writes (``PRAGMA application_id``), as SQLite asks of
# applications whose file format is a database, so that a tool (``file``) and zen_nb can tell it.
APPLICATION_ID = int.from_bytes(b"ZenM", "big")
V1_TABLES = frozenset(re.findall(r"CREATE TABLE (\w+)", SCHEMA_V1))

# Deleting in this order respects the foreign keys (a reset empties them all).
DATA_TABLES = (
    "tenant_activity",
    "exercise_status",
    "revoked_join_codes",
    "class_trainees",
    "deliveries",
    "attempts",
    "events",
    "target_outcomes",
    "flow_targets",
    "flows",
    "targets",
    "ingesters",
    "adapters",
    "planes",
    "tenants",
    "idempotency_keys",
    "settings",
)


class UnusableDatabase(RuntimeError):
    """The file is not a sandbox database this zen_nb can open; the message says what to do."""


class SchemaTooNew(UnusableDatabase):
    """The database was written by a newer zen_nb than this one."""


def _run(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def stored_version(db: sqlite3.Connection) -> int | None:
    """The schema version a database says it has, or None for an empty database."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise UnusableDatabase("it has a meta table but no schema version: it is not a zen_nb sandbox database")
    return int(row[0])


def _tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def claim(db: sqlite3.Connection) -> None:
    """Write :data:`APPLICATION_ID` into the header of a database that is (or is becoming) the sandbox's."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def identify(db: sqlite3.Connection, path: str) -> int | None:
    """The schema version of an existing database, read without writing; refused if it is not the sandbox's.

    It is the sandbox's if it has the ``meta`` table with a schema version and the tables of
    version 1, and no other application's id in its header (``PRAGMA application_id``; zen_nb
    writes :data:`APPLICATION_ID` there, databases made before it have 0). One with our id and
    no table at all is a first start cut short: new (None). Anything else is refused with
    :class:`UnusableDatabase`, a newer version with :class:`SchemaTooNew`, so that nothing is
    written to another application's file: not our tables, not the switch to WAL.
    """
    fix = "move the file away or pass another --db (db= in Python): a new file's name, or :memory:"
    application_id = db.execute("PRAGMA application_id").fetchone()[0]
    tables = _tables(db)
    if application_id == APPLICATION_ID and not tables:
        return None
    if application_id not in (0, APPLICATION_ID):
        raise UnusableDatabase(
            f"{path} is the SQLite database of another application (application id {application_id:#x} "
            f"in its header), so the sandbox leaves it alone; {fix}"
        )
    if "meta" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        what = f"its tables are {shown}" if tables else "it has no tables"
        raise UnusableDatabase(
            f"{path} is a SQLite database but not the sandbox's ({what}; no zen_nb meta table), "
            f"so the sandbox leaves it alone; {fix}"
        )
    try:
        version = stored_version(db)
    except UnusableDatabase as error:
        raise UnusableDatabase(f"cannot use {path}: {error}; {fix}") from None
    assert version is not None
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(_too_new(path, version))
    missing = sorted(V1_TABLES - set(tables))
    if missing:
        raise UnusableDatabase(
            f"{path} has a meta table but not the sandbox's tables (no {', '.join(missing)}): it is not a zen_nb "
            f"sandbox database; {fix}"
        )
    return version


def _too_new(path: str, version: int) -> str:
    return (
        f"the sandbox database {path} has schema version {version}, newer than this zen_nb's "
        f"{SCHEMA_VERSION}: upgrade zen_nb, move the file away, or pass another --db"
    )


def create_or_migrate(db: sqlite3.Connection, path: str) -> bool:
    """Bring the database to :data:`SCHEMA_VERSION` inside the caller's transaction.

    Returns whether the database was new (and so needs its seed). A database of a newer
    version is refused with the fix, not opened: this zen_nb would not understand it.
    """
    try:
        version = stored_version(db)
    except UnusableDatabase as error:
        raise UnusableDatabase(f"cannot use {path}: {error}; move the file away or pass another --db") from None
    is_new = version is None
    if is_new:
        _run(db, SCHEMA_V1)
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        version = 1
    assert version is not None
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(_too_new(path, version))
    for target in range(version + 1, SCHEMA_VERSION + 1):
        _run(db, MIGRATIONS[target])
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    claim(db)
    return is_new


def clear_rows(db: sqlite3.Connection) -> None:
    """Delete every row (the schema stays): the first half of a reset, inside its transaction."""
    for table in DATA_TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
