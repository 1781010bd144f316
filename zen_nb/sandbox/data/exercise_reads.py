"""The reads the exercise checks need that the API's own reads do not give: across planes, by name.

A check looks at one tenant's rows only (every query here takes ``tenant_id``), and for the
mistakes a trainee makes: an object on the other plane, the right object under another name, a
retry of the wrong event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


def targets_named(db: sqlite3.Connection, tenant_id: str, name: str) -> list[sqlite3.Row]:
    """The tenant's targets of this name, on every plane."""
    return db.execute(
        "SELECT plane_id, id, name, type, url FROM targets WHERE tenant_id = ? AND name = ? ORDER BY plane_id, seq",
        (tenant_id, name),
    ).fetchall()


def targets_with_url(db: sqlite3.Connection, tenant_id: str, plane_id: str, url: str) -> list[sqlite3.Row]:
    """The plane's targets that deliver to ``url``, oldest first."""
    return db.execute(
        "SELECT plane_id, id, name, type, url FROM targets WHERE tenant_id = ? AND plane_id = ? AND url = ?"
        " ORDER BY seq",
        (tenant_id, plane_id, url),
    ).fetchall()


def flows_named(db: sqlite3.Connection, tenant_id: str, name: str) -> list[sqlite3.Row]:
    """The tenant's flows of this name, on every plane."""
    return db.execute(
        "SELECT plane_id, id, name, source, status FROM flows WHERE tenant_id = ? AND name = ? ORDER BY plane_id, seq",
        (tenant_id, name),
    ).fetchall()


def flows_with_targets(db: sqlite3.Connection, tenant_id: str) -> list[sqlite3.Row]:
    """Every (flow, target) pair of the tenant on every plane, in order: ``plane_id, id, name, source,
    status, target_id, type``."""
    return db.execute(
        "SELECT f.plane_id, f.id, f.name, f.source, f.status, ft.target_id, t.type FROM flows f"
        " JOIN flow_targets ft ON ft.flow_id = f.id"
        " JOIN targets t ON t.tenant_id = ft.tenant_id AND t.plane_id = ft.plane_id AND t.id = ft.target_id"
        " WHERE f.tenant_id = ? ORDER BY f.seq, ft.position",
        (tenant_id,),
    ).fetchall()


def flow_names(db: sqlite3.Connection, tenant_id: str, flow_ids: Sequence[str]) -> dict[str, str]:
    """The names of those of the tenant's flows (by id) that still exist."""
    if not flow_ids:
        return {}
    marks = ",".join("?" * len(flow_ids))
    rows = db.execute(
        f"SELECT id, name FROM flows WHERE tenant_id = ? AND id IN ({marks})",  # noqa: S608 - marks only
        (tenant_id, *flow_ids),
    ).fetchall()
    return {row["id"]: row["name"] for row in rows}


def manual_attempts(db: sqlite3.Connection, tenant_id: str) -> list[sqlite3.Row]:
    """The tenant's attempts made by hand (trigger ``manual``), oldest first: ``flow_id, event_id, status``."""
    return db.execute(
        "SELECT flow_id, event_id, status FROM attempts WHERE tenant_id = ? AND trigger = 'manual' ORDER BY seq",
        (tenant_id,),
    ).fetchall()


def undelivered_events(db: sqlite3.Connection, tenant_id: str, flow_id: str) -> list[str]:
    """The events of the flow that its own deliveries never delivered: every attempt but those made
    by hand failed (none succeeded, none still pending)."""
    rows = db.execute(
        "SELECT event_id FROM attempts WHERE tenant_id = ? AND flow_id = ? AND trigger != 'manual'"
        " GROUP BY event_id HAVING SUM(status != 'failed') = 0 ORDER BY MIN(seq)",
        (tenant_id, flow_id),
    ).fetchall()
    return [row["event_id"] for row in rows]


def deleted_flow_with_history(
    db: sqlite3.Connection, tenant_id: str, plane_id: str, source: str, target_id: str
) -> str | None:
    """The id of a deleted flow of the tenant whose attempts (from ``source`` to ``target_id``) are
    still there: the one with the most of them, or None."""
    row = db.execute(
        "SELECT a.flow_id FROM attempts a JOIN events e ON e.id = a.event_id"
        " WHERE a.tenant_id = ? AND a.plane_id = ? AND a.target_id = ? AND e.ingester_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.id = a.flow_id)"
        " GROUP BY a.flow_id ORDER BY COUNT(*) DESC, MIN(a.seq) LIMIT 1",
        (tenant_id, plane_id, target_id, source),
    ).fetchone()
    return row["flow_id"] if row is not None else None
