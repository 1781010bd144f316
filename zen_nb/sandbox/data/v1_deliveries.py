"""Deliveries as the v1 API shows them: the tenant's attempts across planes, newest first, each
with its v1 status, computed in SQL.

The v1 status of an attempt (contract section 8): ``succeeded`` is ``delivered``, ``pending`` is
``pending``; a ``failed`` attempt is ``retrying`` while its delivery (flow, event, target) has a
later attempt or a queued one (an automatic retry scheduled, a manual retry waiting, or one held
by a paused flow), and ``failed`` when nothing will follow it: the DLQ view (``status=failed``).
Both tests are index seeks (``attempts_numbered``, ``deliveries_by_delivery``), and the walk is
the keyset on ``attempts_by_tenant`` (or ``attempts_by_plane`` with a plane), so a page costs the
same on a history of 100,000 attempts as on ten.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .attempts import filters_sql, keyset_after

# Whether the attempt ``a`` has a later attempt of its delivery; whether its delivery has one queued.
_LATER = (
    "EXISTS (SELECT 1 FROM attempts l WHERE l.flow_id = a.flow_id AND l.event_id = a.event_id"
    " AND l.target_id = a.target_id AND l.attempt_number > a.attempt_number)"
)
_QUEUED = (
    "EXISTS (SELECT 1 FROM deliveries d WHERE d.flow_id = a.flow_id AND d.event_id = a.event_id"
    " AND d.target_id = a.target_id)"
)
_FOLLOWED = f"({_LATER} OR {_QUEUED})"
# What a retry by hand retries (an event's, or the batch's): a failed attempt that is its delivery's
# latest. One whose automatic retry is queued qualifies: a retry now overtakes it.
RETRYABLE = f"a.status = 'failed' AND NOT {_LATER}"
V1_STATUS = (
    "CASE a.status WHEN 'succeeded' THEN 'delivered' WHEN 'pending' THEN 'pending'"
    f" ELSE CASE WHEN {_FOLLOWED} THEN 'retrying' ELSE 'failed' END END"
)
# A v1 status as a condition on the stored row (so that a filter never computes the CASE for every row).
_STATUS_FILTERS = {
    "delivered": "a.status = 'succeeded'",
    "pending": "a.status = 'pending'",
    "retrying": f"a.status = 'failed' AND {_FOLLOWED}",
    "failed": f"a.status = 'failed' AND NOT {_FOLLOWED}",
}
V1_STATUSES = tuple(_STATUS_FILTERS)
FIRST_PAGE = 2**63 - 1  # the position of a first page (``pagination.MAX_POSITION``: past every row)
_COLUMNS = (
    "a.seq, a.id, a.plane_id, a.flow_id, a.event_id, a.target_id, a.attempt_number, a.trigger,"
    f" a.status AS stored_status, a.response_status, a.error_code, a.latency_ms, a.created_at, {V1_STATUS} AS v1_status"
)


def list_deliveries(
    db: sqlite3.Connection,
    tenant_id: str,
    before: int,
    limit: int,
    **filters: str | None,
) -> list[sqlite3.Row]:
    """A page of the tenant's attempts, newest first (by ``created_at``, then ``seq``): ``limit + 1``
    rows after the row at position ``before`` in that order (``FIRST_PAGE``: the first page),
    filtered (see :func:`deliveries_query`)."""
    sql, params = deliveries_query(tenant_id, before, limit, **filters)
    return db.execute(sql, params).fetchall()


def deliveries_query(
    tenant_id: str,
    before: int,
    limit: int,
    *,
    plane_id: str | None = None,
    flow_id: str | None = None,
    event_id: str | None = None,
    target_id: str | None = None,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> tuple[str, list[Any]]:
    """The SQL and parameters of a page of :func:`list_deliveries` (a test reads its query plan);
    ``since`` (inclusive) and ``until`` (exclusive) are stored-form stamps."""
    where, params = filters_sql(
        "a.", plane_id=plane_id, flow_id=flow_id, event_id=event_id, target_id=target_id, since=since, until=until
    )
    if status is not None:
        where += f" AND {_STATUS_FILTERS[status]}"
    below, below_params = keyset_after("a.", tenant_id, before if before < FIRST_PAGE else 0, newest_first=True)
    sql = f"SELECT {_COLUMNS} FROM attempts a WHERE a.tenant_id = ?{below}{where}"  # noqa: S608 - fixed text
    params = [tenant_id, *below_params, *params]
    return sql + " ORDER BY a.created_at DESC, a.seq DESC LIMIT ?", [*params, limit + 1]


def get_delivery(db: sqlite3.Connection, tenant_id: str, attempt_id: str) -> sqlite3.Row | None:
    """One of the tenant's attempts, with its v1 status; None if it has none of this id."""
    return db.execute(
        f"SELECT {_COLUMNS} FROM attempts a WHERE a.tenant_id = ? AND a.id = ?",  # noqa: S608 - fixed text
        (tenant_id, attempt_id),
    ).fetchone()


def attempts_by_id(
    db: sqlite3.Connection, tenant_id: str, attempt_ids: list[str], plane_id: str | None = None
) -> dict[str, sqlite3.Row]:
    """The tenant's attempts among ``attempt_ids`` (absent ids left out; with ``plane_id``, only that
    plane's), each with its v1 status and ``retryable`` (see :data:`RETRYABLE`)."""
    if not attempt_ids:
        return {}
    marks = ",".join("?" * len(attempt_ids))
    where, params = filters_sql("a.", plane_id=plane_id)
    rows = db.execute(
        f"SELECT {_COLUMNS}, a.tenant_id, {RETRYABLE} AS retryable FROM attempts a"  # noqa: S608 - fixed text
        f" WHERE a.tenant_id = ? AND a.id IN ({marks}){where}",
        (tenant_id, *attempt_ids, *params),
    ).fetchall()
    return {row["id"]: row for row in rows}


def retryable_of_event(db: sqlite3.Connection, tenant_id: str, event_id: str) -> list[sqlite3.Row]:
    """The event's attempts that a retry of the event retries (:data:`RETRYABLE`), oldest first:
    one per delivery (flow, target) whose latest attempt failed."""
    return db.execute(
        f"SELECT {_COLUMNS}, a.tenant_id FROM attempts a WHERE a.tenant_id = ? AND a.event_id = ?"  # noqa: S608
        f" AND {RETRYABLE} ORDER BY a.seq",
        (tenant_id, event_id),
    ).fetchall()


def event_exists(db: sqlite3.Connection, tenant_id: str, event_id: str) -> bool:
    """Whether the tenant ingested an event of this id."""
    row = db.execute("SELECT 1 FROM events WHERE tenant_id = ? AND id = ?", (tenant_id, event_id)).fetchone()
    return row is not None
