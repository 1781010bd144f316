"""Delivery attempts: one row per try of one event to one target of one flow.

An attempt is made ``pending`` (by the delivery engine, or by a manual retry) and finished
``succeeded`` or ``failed``. Its number is the next of its delivery (flow, event, target),
chosen inside the inserting transaction: a manual retry that overtakes a queued automatic one
takes the next number, and the automatic one the number after it (the schema keeps them
unique). Lists are keyset pages in ``(created_at, seq)`` order: ``limit + 1`` rows after the row
at the position ``after``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from ..ids import new_id
from .connection import utc_now
from .constraints import NotFound

# One attempt row as :func:`insert_attempts` takes it (simulated traffic): tenant_id, plane_id, id,
# flow_id, event_id, target_id, attempt_number, trigger, status, response_status, error_code,
# latency_ms, created_at.
AttemptRow = tuple[str, str, str, str, str, str, int, str, str, int | None, str | None, int | None, str]


def finished_attempt(
    tenant_id: str,
    plane_id: str,
    flow_id: str,
    event_id: str,
    target_id: str,
    number: int,
    answer: tuple[bool, int | None, str | None, int],
    at: str,
) -> AttemptRow:
    """The :data:`AttemptRow` of a simulated attempt: a new id, ``initial`` for the first and
    ``automatic`` after it, and ``answer`` as an outcome model draws it (succeeded, HTTP status,
    error code, latency in ms)."""
    succeeded, status, error_code, latency_ms = answer
    trigger = "initial" if number == 1 else "automatic"
    outcome = "succeeded" if succeeded else "failed"
    return (
        tenant_id, plane_id, new_id("att"), flow_id, event_id, target_id, number, trigger, outcome, status,
        error_code, latency_ms, at,
    )  # fmt: skip


_COLUMNS = (
    "seq, id, flow_id, event_id, target_id, attempt_number, trigger, status, response_status, error_code,"
    " latency_ms, created_at"
)
# ``next_due_at``: when the delivery's next automatic attempt is due (``time.time()`` seconds), for a
# failed attempt that is its delivery's latest, while that retry waits in the queue, not held, and
# its flow is active (a paused flow's retry is held when it comes due); else NULL. (A queued manual
# retry already has its attempt, pending: then this one is not the latest.)
# Both tests are index seeks (``attempts_numbered``, ``deliveries_by_delivery``), as the v1 status's
# are (``v1_deliveries.py``), so a page of the list costs the same on any history. (``+d.held`` keeps
# SQLite from reading the queue by ``deliveries_due`` instead: every waiting delivery, for each row.)
_NEXT_DUE = (
    "CASE WHEN attempts.status = 'failed' AND NOT EXISTS (SELECT 1 FROM attempts l"
    " WHERE l.flow_id = attempts.flow_id AND l.event_id = attempts.event_id AND l.target_id = attempts.target_id"
    " AND l.attempt_number > attempts.attempt_number)"
    " THEN (SELECT MIN(d.due_at) FROM deliveries d JOIN flows f ON f.id = d.flow_id AND f.status = 'active'"
    " WHERE d.flow_id = attempts.flow_id AND d.event_id = attempts.event_id AND d.target_id = attempts.target_id"
    " AND +d.held = 0) END AS next_due_at"
)


def next_attempt_number(db: sqlite3.Connection, flow_id: str, event_id: str, target_id: str) -> int:
    """The number the delivery's next attempt takes: one more than its highest so far (1 for the first)."""
    row = db.execute(
        "SELECT MAX(attempt_number) FROM attempts WHERE flow_id = ? AND event_id = ? AND target_id = ?",
        (flow_id, event_id, target_id),
    ).fetchone()
    return (row[0] or 0) + 1


def insert_attempt(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    flow_id: str,
    event_id: str,
    target_id: str,
    trigger: str,
) -> sqlite3.Row:
    """Add a ``pending`` attempt, numbered after the delivery's last one; return its row.

    The one place that makes an attempt (simulated history aside): the number is read and used
    in the caller's write transaction, so no other writer can take it in between.
    """
    attempt_id = new_id("att")
    number = next_attempt_number(db, flow_id, event_id, target_id)
    db.execute(
        "INSERT INTO attempts (tenant_id, plane_id, id, flow_id, event_id, target_id, attempt_number, trigger,"
        " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (tenant_id, plane_id, attempt_id, flow_id, event_id, target_id, number, trigger, utc_now()),
    )
    return _by_id(db, attempt_id)


def insert_attempts(db: sqlite3.Connection, rows: Iterable[AttemptRow]) -> None:
    """Add many finished attempts at once (simulated traffic), in the order given."""
    db.executemany(
        "INSERT INTO attempts (tenant_id, plane_id, id, flow_id, event_id, target_id, attempt_number, trigger,"
        " status, response_status, error_code, latency_ms, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def finish_attempt(
    db: sqlite3.Connection,
    attempt_id: str,
    status: str,
    response_status: int | None,
    error_code: str | None,
    latency_ms: int,
) -> sqlite3.Row | None:
    """Record a pending attempt's result (``succeeded`` or ``failed``) and return its row; None if
    it is no longer pending (finished by a recovery, or gone with a reset)."""
    cursor = db.execute(
        "UPDATE attempts SET status = ?, response_status = ?, error_code = ?, latency_ms = ?"
        " WHERE id = ? AND status = 'pending'",
        (status, response_status, error_code, latency_ms, attempt_id),
    )
    return _by_id(db, attempt_id) if cursor.rowcount else None


def get_attempt(db: sqlite3.Connection, tenant_id: str, plane_id: str, attempt_id: str) -> sqlite3.Row | None:
    """The plane's attempt of this id, with ``next_due_at`` (see :data:`_NEXT_DUE`); None if there is none."""
    return db.execute(
        f"SELECT {_COLUMNS}, tenant_id, plane_id, {_NEXT_DUE} FROM attempts"  # noqa: S608 - fixed text
        " WHERE tenant_id = ? AND plane_id = ? AND id = ?",
        (tenant_id, plane_id, attempt_id),
    ).fetchone()


def require_attempt(db: sqlite3.Connection, tenant_id: str, plane_id: str, attempt_id: str) -> sqlite3.Row:
    """The attempt's row, or :class:`NotFound`."""
    row = get_attempt(db, tenant_id, plane_id, attempt_id)
    if row is None:
        raise NotFound("attempt", attempt_id, plane_id)
    return row


def list_attempts(
    db: sqlite3.Connection, tenant_id: str, plane_id: str, after: int, limit: int, **filters: str | None
) -> list[sqlite3.Row]:
    """A page of the plane's attempts, oldest first, filtered (see :func:`attempts_query`)."""
    sql, params = attempts_query(tenant_id, plane_id, after, limit, **filters)
    return db.execute(sql, params).fetchall()


def attempts_query(
    tenant_id: str,
    plane_id: str,
    after: int,
    limit: int,
    *,
    flow_id: str | None = None,
    event_id: str | None = None,
    target_id: str | None = None,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple[str, list[Any]]:
    """The SQL and parameters of a page of :func:`list_attempts` (a test reads its query plan):
    ``limit + 1`` rows after the position ``after``, in ``(created_at, seq)`` order
    (:func:`keyset_after`), each with ``next_due_at`` (see
    :data:`_NEXT_DUE`); ``since`` (inclusive) and ``until`` (exclusive) are stamps in the stored
    form, which compare in time order."""
    where, params = filters_sql(
        "", flow_id=flow_id, event_id=event_id, target_id=target_id, status=status, since=since, until=until
    )
    after_sql, after_params = keyset_after("", tenant_id, after)
    sql = f"SELECT {_COLUMNS}, {_NEXT_DUE} FROM attempts WHERE tenant_id = ? AND plane_id = ?{after_sql}{where}"  # noqa: S608
    return sql + " ORDER BY created_at, seq LIMIT ?", [tenant_id, plane_id, *after_params, *params, limit + 1]


def keyset_after(alias: str, tenant_id: str, after: int, *, newest_first: bool = False) -> tuple[str, list[Any]]:
    """The ``AND ...`` condition of a page of attempts after the row at position ``after`` (its ``seq``).

    The lists are in ``(created_at, seq)`` order (newest first: the reverse), so the page starts
    past that row's ``created_at`` and ``seq``; the cursor keeps only the ``seq``, and the row's
    ``created_at`` is read back in the same query, from the tenant's own rows. Attempts are never
    deleted, only reset with everything else: a cursor of a row that is gone is refused before
    this (:func:`position_exists`), never read as an empty page. ``after`` 0 is the first page.
    """
    if not after:
        return "", []
    side = "<" if newest_first else ">"
    moment = "(SELECT created_at FROM attempts WHERE seq = ? AND tenant_id = ?)"
    return f" AND ({alias}created_at, {alias}seq) {side} ({moment}, ?)", [after, tenant_id, after]


def position_exists(db: sqlite3.Connection, tenant_id: str, after: int) -> bool:
    """Whether a page may start after the tenant's row at position ``after`` (0: the first page)."""
    if not after:
        return True
    found = db.execute("SELECT 1 FROM attempts WHERE seq = ? AND tenant_id = ?", (after, tenant_id)).fetchone()
    return found is not None


def count_attempts(db: sqlite3.Connection, tenant_id: str, plane_id: str, **filters: str | None) -> int:
    """How many of the plane's attempts match ``filters`` (those of :func:`list_attempts`), across all pages."""
    where, params = filters_sql("", **filters)
    sql = f"SELECT COUNT(*) FROM attempts WHERE tenant_id = ? AND plane_id = ?{where}"  # noqa: S608
    return db.execute(sql, (tenant_id, plane_id, *params)).fetchone()[0]


def filters_sql(
    alias: str, *, since: str | None = None, until: str | None = None, **equal: str | None
) -> tuple[str, list[Any]]:
    """The ``AND ...`` conditions of an attempt list's filters on the columns of ``alias``
    (``"a."`` or ``""``), and their parameters: each of ``equal`` (a column) that is not None, then
    ``since`` (inclusive) and ``until`` (exclusive) on ``created_at``, stored-form stamps."""
    sql, params = "", []
    for column, value in equal.items():
        if value is not None:
            sql += f" AND {alias}{column} = ?"
            params.append(value)
    for condition, value in ((">=", since), ("<", until)):
        if value is not None:
            sql += f" AND {alias}created_at {condition} ?"
            params.append(value)
    return sql, params


def interrupted_attempts(db: sqlite3.Connection) -> list[sqlite3.Row]:
    """The pending attempts that nothing will finish: being made when the process stopped. (A manual
    retry still waiting in the queue is pending too, but its delivery will make it.)"""
    return db.execute(
        f"SELECT {_COLUMNS}, tenant_id, plane_id FROM attempts a WHERE status = 'pending'"  # noqa: S608
        " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.attempt_id = a.id) ORDER BY seq"
    ).fetchall()


def _by_id(db: sqlite3.Connection, attempt_id: str) -> sqlite3.Row:
    return db.execute(f"SELECT {_COLUMNS}, tenant_id, plane_id FROM attempts WHERE id = ?", (attempt_id,)).fetchone()  # noqa: S608
