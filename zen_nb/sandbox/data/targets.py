"""Targets, the destinations of flows: one row each, unique by id and by name per plane.

A target's ``config`` is a JSON object kept as text; its status is stored (``provisioning`` for a
new target, ``active``, ``disabled``) and read through :func:`target_status`, which shows a new
target ``active`` once :data:`PROVISIONING_SECONDS` have passed, as the vendor's targets become
usable a moment after creation. Nothing has to wake up to flip it: the clock does.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from .connection import utc_now
from .constraints import NotFound, unique_name
from .updates import update_named_row

# The columns a PATCH may change (the route checks the rules; the type never changes).
UPDATABLE = ("name", "url", "description", "config", "status")
# How long a new target reads as ``provisioning`` before it is ``active``.
PROVISIONING_SECONDS = 1.0
PROVISIONING, ACTIVE, DISABLED = "provisioning", "active", "disabled"


def target_status(row: sqlite3.Row, now: datetime | None = None) -> str:
    """The status a target shows now: its stored one, except that provisioning ends after the window."""
    stored = row["status"]
    if stored != PROVISIONING:
        return stored
    created = datetime.strptime(row["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    elapsed = ((now or datetime.now(UTC)) - created).total_seconds()
    return ACTIVE if elapsed >= PROVISIONING_SECONDS else PROVISIONING


def target_config(row: sqlite3.Row) -> dict[str, Any]:
    """The target's ``config`` object (``{}`` when it has none)."""
    return json.loads(row["config"])


def insert_target(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    target_id: str,
    *,
    name: str,
    type: str,  # noqa: A002 - the contract's field
    url: str | None,
    description: str | None,
    config: dict[str, Any] | None = None,
    status: str = PROVISIONING,
) -> sqlite3.Row:
    """Add a target and return its row; :class:`NameTaken` if the plane has one of that name.

    A new target is ``provisioning`` (see :func:`target_status`); the seed's are ``active`` at once.
    """
    now = utc_now()
    with unique_name("targets", "target", name, plane_id):
        db.execute(
            "INSERT INTO targets (tenant_id, plane_id, id, name, type, url, description, config, status,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (tenant_id, plane_id, target_id, name, type, url, description, json.dumps(config or {}), status, now, now),
        )
    return require_target(db, tenant_id, plane_id, target_id)


def get_target(db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str) -> sqlite3.Row | None:
    return db.execute(
        "SELECT * FROM targets WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, target_id)
    ).fetchone()


def require_target(
    db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str, field: str | None = None
) -> sqlite3.Row:
    """The target's row, or :class:`NotFound`."""
    row = get_target(db, tenant_id, plane_id, target_id)
    if row is None:
        raise NotFound("target", target_id, plane_id, field)
    return row


def list_targets(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    after: int,
    limit: int,
    type: str | None = None,  # noqa: A002
) -> list[sqlite3.Row]:
    """A page of the plane's targets (``limit + 1`` rows after position ``after``), optionally of one type."""
    sql = "SELECT * FROM targets WHERE tenant_id = ? AND plane_id = ? AND seq > ?"
    params: list[Any] = [tenant_id, plane_id, after]
    if type is not None:
        sql += " AND type = ?"
        params.append(type)
    return db.execute(sql + " ORDER BY seq LIMIT ?", (*params, limit + 1)).fetchall()


def count_targets(db: sqlite3.Connection, tenant_id: str, plane_id: str, type: str | None = None) -> int:  # noqa: A002
    """How many of the plane's targets (of ``type``, when given) there are, across all pages."""
    sql = "SELECT COUNT(*) FROM targets WHERE tenant_id = ? AND plane_id = ?"
    params: list[Any] = [tenant_id, plane_id]
    if type is not None:
        sql += " AND type = ?"
        params.append(type)
    return db.execute(sql, params).fetchone()[0]


def update_target(db: sqlite3.Connection, row: sqlite3.Row, changes: dict[str, Any]) -> sqlite3.Row:
    """Apply ``changes`` (a subset of :data:`UPDATABLE`; ``config`` an object) to the target of ``row``.

    Returns the new row. No change leaves ``updated_at`` as it was."""
    if "config" in changes:
        changes = {**changes, "config": json.dumps(changes["config"] or {})}
    if changes:
        update_named_row(db, "targets", "target", row, changes, UPDATABLE)
    return require_target(db, row["tenant_id"], row["plane_id"], row["id"])


def flows_using_target(db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str, limit: int) -> list[str]:
    """The names of (up to ``limit``) flows that deliver to the target, oldest first."""
    rows = db.execute(
        "SELECT DISTINCT f.name, f.seq FROM flow_targets ft JOIN flows f ON f.id = ft.flow_id"
        " WHERE ft.tenant_id = ? AND ft.plane_id = ? AND ft.target_id = ? ORDER BY f.seq LIMIT ?",
        (tenant_id, plane_id, target_id, limit),
    ).fetchall()
    return [row["name"] for row in rows]


def delete_target(db: sqlite3.Connection, row: sqlite3.Row) -> None:
    """Delete the target (its outcome model goes with it); the caller checked that no flow uses it."""
    db.execute("DELETE FROM targets WHERE seq = ?", (row["seq"],))
