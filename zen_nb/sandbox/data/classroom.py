"""A training class: its trainees (each a tenant of its own), their join codes, and their progress.

A trainee is a row of ``class_trainees`` beside a tenant seeded like the demo tenant. The token
is kept in clear there (the class hands it out on every join; the database file is 0600, as the
roster CSV is); the tenant itself keeps only its digest, as every tenant does. A revoked code
moves to ``revoked_join_codes``, so that a join with it is told "revoked", not "unknown".

What the exercise checks found is ``exercise_status``, one row per tenant and exercise: how
many checks ran, the last verdict, and when the exercise first passed (kept after a later
failure: the board shows who got there).

Resetting a trainee deletes every row of its tenant, and only of its tenant, then seeds it
again: the same tenant id and token, the objects of a new tenant.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..ids import new_id, new_token, token_digest
from ..join_codes import new_code
from ..seed import insert_tenant, seed_tenant_objects
from ..trainee_names import check_name
from .connection import stamp, utc_now
from .constraints import NotFound

TRAINEE_PLAN = "team"

# A tenant's rows, children first (the foreign keys), by the column that names the tenant.
_TENANT_ROWS = (
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
    "tenant_activity",
)
_TRAINEE_COLUMNS = "name, position, tenant_id, token, join_code, joined_at, created_at"


@dataclass(frozen=True)
class Trainee:
    """One trainee of the class. The token and the join code are secrets: no repr shows them."""

    name: str
    position: int
    tenant_id: str
    token: str = field(repr=False)
    join_code: str | None = field(repr=False)  # stored form (8 symbols); None once revoked
    joined_at: str | None
    created_at: str

    @property
    def joined(self) -> bool:
        """Whether the trainee has joined (with a code) at least once."""
        return self.joined_at is not None


@dataclass(frozen=True)
class StatusRow:
    """What the checks of one exercise found on one tenant."""

    tenant_id: str
    exercise: str
    checks: int
    last_checked_at: str
    last_passed: bool
    last_message: str
    passed_at: str | None  # the first time it passed; kept after a later failure


@dataclass(frozen=True)
class TraineeProgress:
    """A trainee and its exercises' rows (by exercise name; an exercise never checked is absent)."""

    trainee: Trainee
    exercises: dict[str, StatusRow]


def _trainee(row: sqlite3.Row) -> Trainee:
    return Trainee(
        row["name"],
        row["position"],
        row["tenant_id"],
        row["token"],
        row["join_code"],
        row["joined_at"],
        row["created_at"],
    )


def _status(row: sqlite3.Row) -> StatusRow:
    return StatusRow(
        row["tenant_id"],
        row["exercise"],
        row["checks"],
        row["last_checked_at"],
        bool(row["last_passed"]),
        row["last_message"],
        row["passed_at"],
    )


def _unused_code(db: sqlite3.Connection) -> str:
    """A new code that no trainee has and none had (a revoked code is never handed out again)."""
    while True:
        code = new_code()
        taken = db.execute(
            "SELECT 1 FROM class_trainees WHERE join_code = ?"
            " UNION ALL SELECT 1 FROM revoked_join_codes WHERE code = ?",
            (code, code),
        ).fetchone()
        if taken is None:
            return code


def add_trainees(db: sqlite3.Connection, names: Sequence[str]) -> list[Trainee]:
    """Add the trainees not yet in the class (names compared regardless of case); return the new ones.

    Each gets a tenant seeded like the demo tenant, a token and a join code. A name that breaks
    the rule is a ValueError (nothing is added then: the caller's transaction rolls back).
    """
    known = {name.lower() for name in trainee_names(db)}
    position = db.execute("SELECT COALESCE(MAX(position), 0) FROM class_trainees").fetchone()[0]
    added = []
    for name in names:
        check_name(name)
        if name.lower() in known:
            continue
        known.add(name.lower())
        position += 1
        tenant_id = new_id("tenant", 16)
        token = new_token()
        insert_tenant(db, tenant_id, f"Trainee {name}", TRAINEE_PLAN, token, seed=True)
        created_at = utc_now()
        code = _unused_code(db)
        db.execute(
            f"INSERT INTO class_trainees ({_TRAINEE_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?)",  # noqa: S608
            (name, position, tenant_id, token, code, created_at),
        )
        added.append(Trainee(name, position, tenant_id, token, code, None, created_at))
    return added


def trainee_names(db: sqlite3.Connection) -> list[str]:
    """The trainees' names, in roster order."""
    return [row[0] for row in db.execute("SELECT name FROM class_trainees ORDER BY position")]


def count_trainees(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COUNT(*) FROM class_trainees").fetchone()[0]


def list_trainees(db: sqlite3.Connection) -> list[Trainee]:
    """Every trainee, in roster order."""
    rows = db.execute(f"SELECT {_TRAINEE_COLUMNS} FROM class_trainees ORDER BY position")  # noqa: S608
    return [_trainee(row) for row in rows]


def trainee_named(db: sqlite3.Connection, name: str) -> Trainee | None:
    """The trainee of this name (regardless of case: names are ASCII, which NOCASE folds), or None."""
    row = db.execute(
        f"SELECT {_TRAINEE_COLUMNS} FROM class_trainees WHERE name = ? COLLATE NOCASE",  # noqa: S608
        (name,),
    ).fetchone()
    return _trainee(row) if row is not None else None


def require_trainee(db: sqlite3.Connection, name: str) -> Trainee:
    """The trainee of this name; :class:`NotFound` ("trainee") otherwise."""
    trainee = trainee_named(db, name)
    if trainee is None:
        raise NotFound("trainee", name, field="trainee")
    return trainee


def trainee_by_code(db: sqlite3.Connection, code: str) -> Trainee | None:
    """The trainee whose (stored-form) join code this is, or None."""
    row = db.execute(
        f"SELECT {_TRAINEE_COLUMNS} FROM class_trainees WHERE join_code = ?",  # noqa: S608
        (code,),
    ).fetchone()
    return _trainee(row) if row is not None else None


def revoked_code_owner(db: sqlite3.Connection, code: str) -> str | None:
    """The trainee whose code this was before the trainer revoked it, or None."""
    row = db.execute("SELECT trainee FROM revoked_join_codes WHERE code = ?", (code,)).fetchone()
    return row[0] if row is not None else None


def mark_joined(db: sqlite3.Connection, name: str, at: str | None = None) -> None:
    """Note that the trainee joined; the first join's time is kept (a second kernel joins again)."""
    db.execute(
        "UPDATE class_trainees SET joined_at = COALESCE(joined_at, ?) WHERE name = ?",
        (at or utc_now(), name),
    )


def revoke_code(db: sqlite3.Connection, name: str) -> bool:
    """Revoke the trainee's join code (it is remembered as revoked), and replace the token it handed
    out; False when it had no code.

    A code is revoked because it may be in the wrong hands, and whoever joined with it holds the
    token: so the token goes too, and a kernel that joined with the old code gets 401 until the
    trainee joins with a new one. Tenant, objects and progress stay.
    """
    trainee = require_trainee(db, name)
    if trainee.join_code is None:
        return False
    db.execute(
        "INSERT OR REPLACE INTO revoked_join_codes (code, trainee, revoked_at) VALUES (?, ?, ?)",
        (trainee.join_code, trainee.name, utc_now()),
    )
    db.execute("UPDATE class_trainees SET join_code = NULL WHERE name = ?", (trainee.name,))
    _replace_token(db, trainee)
    return True


def _replace_token(db: sqlite3.Connection, trainee: Trainee) -> None:
    """A new API token for the trainee's tenant; the answers stored for the old one's idempotency keys go."""
    token = new_token()
    db.execute("UPDATE tenants SET token_sha256 = ? WHERE id = ?", (token_digest(token), trainee.tenant_id))
    db.execute("UPDATE class_trainees SET token = ? WHERE name = ?", (token, trainee.name))
    db.execute("DELETE FROM idempotency_keys WHERE token_sha256 = ?", (token_digest(trainee.token),))


def new_join_code(db: sqlite3.Connection, name: str) -> str:
    """Give the trainee a new join code (stored form) and return it; the old one, if any, is revoked."""
    trainee = require_trainee(db, name)
    revoke_code(db, trainee.name)
    code = _unused_code(db)
    db.execute("UPDATE class_trainees SET join_code = ? WHERE name = ?", (code, trainee.name))
    return code


def reset_tenant_objects(db: sqlite3.Connection, tenant_id: str, token_sha256: str) -> None:
    """Delete every row of one tenant (its objects, events, attempts, queue, outcome models,
    activity, and the idempotency keys of its token), then seed it again. The tenant row, and
    so its id and token, stay; no other tenant's row is touched."""
    for table in _TENANT_ROWS:
        db.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,))  # noqa: S608 - fixed names
    db.execute("DELETE FROM idempotency_keys WHERE token_sha256 = ?", (token_sha256,))
    seed_tenant_objects(db, tenant_id)


def reset_trainee(db: sqlite3.Connection, name: str, keep_progress: bool = False) -> Trainee:
    """Bring one trainee's tenant back to the seed; its progress goes too unless ``keep_progress``."""
    trainee = require_trainee(db, name)
    reset_tenant_objects(db, trainee.tenant_id, token_digest(trainee.token))
    if not keep_progress:
        db.execute("DELETE FROM exercise_status WHERE tenant_id = ?", (trainee.tenant_id,))
    return trainee


def record_check(
    db: sqlite3.Connection,
    tenant_id: str,
    exercise: str,
    passed: bool,
    message: str,
    at: str | datetime | None = None,
) -> StatusRow:
    """Count one check of an exercise on a tenant and keep its verdict; return the row as it now is.

    ``passed_at`` is set by the first check that passes and kept after (a later failure does
    not take a tick off the board). ``at`` defaults to now.
    """
    when = stamp(at) if isinstance(at, datetime) else (at or utc_now())
    row = db.execute(
        "INSERT INTO exercise_status"
        " (tenant_id, exercise, checks, last_checked_at, last_passed, last_message, passed_at)"
        " VALUES (?, ?, 1, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, exercise) DO UPDATE SET"
        " checks = checks + 1, last_checked_at = excluded.last_checked_at,"
        " last_passed = excluded.last_passed, last_message = excluded.last_message,"
        " passed_at = COALESCE(exercise_status.passed_at, excluded.passed_at)"
        " RETURNING *",
        (tenant_id, exercise, when, int(bool(passed)), message, when if passed else None),
    ).fetchone()
    return _status(row)


def status_rows(db: sqlite3.Connection, tenant_id: str) -> dict[str, StatusRow]:
    """One tenant's rows, by exercise."""
    rows = db.execute("SELECT * FROM exercise_status WHERE tenant_id = ?", (tenant_id,))
    return {row["exercise"]: _status(row) for row in rows}


def progress_rows(db: sqlite3.Connection) -> list[TraineeProgress]:
    """Every trainee (roster order) with its exercises' rows: two queries, whatever the class's size."""
    by_tenant: dict[str, dict[str, StatusRow]] = {}
    rows = db.execute("SELECT s.* FROM exercise_status s JOIN class_trainees c ON c.tenant_id = s.tenant_id")
    for row in rows:
        by_tenant.setdefault(row["tenant_id"], {})[row["exercise"]] = _status(row)
    return [TraineeProgress(trainee, by_tenant.get(trainee.tenant_id, {})) for trainee in list_trainees(db)]
