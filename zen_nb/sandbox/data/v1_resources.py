"""The v1 API's reads of flows, targets and planes: a tenant's, across its planes, newest first.

The v1 paths carry no plane (``/v1/tenants/{t}/delivery-flows``), so an object is found by its
id among all the tenant's planes, and a list walks them all (or one, ``cluster_id``) by the
insertion counter, descending. Writes go through the recipe form's data functions
(``flows.py``, ``targets.py``): one flow is one row, whichever form wrote it.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def _page(
    db: sqlite3.Connection, table: str, tenant_id: str, before: int, limit: int, filters: dict[str, Any]
) -> list[sqlite3.Row]:
    sql = f"SELECT * FROM {table} WHERE tenant_id = ? AND seq < ?"  # noqa: S608 - fixed table names
    params: list[Any] = [tenant_id, before]
    for column, value in filters.items():
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    return db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*params, limit + 1)).fetchall()


def list_flows(
    db: sqlite3.Connection,
    tenant_id: str,
    before: int,
    limit: int,
    *,
    plane_id: str | None = None,
    status: str | None = None,
    source: str | None = None,
) -> list[sqlite3.Row]:
    """``limit + 1`` of the tenant's flows below position ``before``, newest first, filtered."""
    return _page(db, "flows", tenant_id, before, limit, {"plane_id": plane_id, "status": status, "source": source})


def list_targets(
    db: sqlite3.Connection,
    tenant_id: str,
    before: int,
    limit: int,
    *,
    plane_id: str | None = None,
    type: str | None = None,  # noqa: A002 - the API's field
) -> list[sqlite3.Row]:
    """``limit + 1`` of the tenant's targets below position ``before``, newest first, filtered."""
    return _page(db, "targets", tenant_id, before, limit, {"plane_id": plane_id, "type": type})


def find_flow(db: sqlite3.Connection, tenant_id: str, flow_id: str) -> sqlite3.Row | None:
    """The tenant's flow of this id, on whichever plane (flow ids are unique)."""
    return db.execute("SELECT * FROM flows WHERE tenant_id = ? AND id = ?", (tenant_id, flow_id)).fetchone()


def find_target(
    db: sqlite3.Connection, tenant_id: str, target_id: str, plane_id: str | None = None
) -> sqlite3.Row | None:
    """The tenant's target of this id (on the plane, if given); the oldest if two planes have one."""
    return db.execute(
        "SELECT * FROM targets WHERE tenant_id = ? AND id = ? AND (? IS NULL OR plane_id = ?) ORDER BY seq LIMIT 1",
        (tenant_id, target_id, plane_id, plane_id),
    ).fetchone()


def planes_with_ingester(db: sqlite3.Connection, tenant_id: str, ingester_id: str) -> list[str]:
    """The tenant's planes that have an ingester of this id, oldest plane first."""
    rows = db.execute(
        "SELECT i.plane_id FROM ingesters i JOIN planes p ON p.tenant_id = i.tenant_id AND p.id = i.plane_id"
        " WHERE i.tenant_id = ? AND i.id = ? ORDER BY p.seq",
        (tenant_id, ingester_id),
    ).fetchall()
    return [row[0] for row in rows]


def planes_with_target(db: sqlite3.Connection, tenant_id: str, target_id: str) -> set[str]:
    """The tenant's planes that have a target of this id."""
    rows = db.execute("SELECT plane_id FROM targets WHERE tenant_id = ? AND id = ?", (tenant_id, target_id))
    return {row[0] for row in rows}


def first_plane(db: sqlite3.Connection, tenant_id: str) -> str | None:
    """The tenant's first plane in creation order (where a v1 destination goes by default), or None."""
    row = db.execute("SELECT id FROM planes WHERE tenant_id = ? ORDER BY seq LIMIT 1", (tenant_id,)).fetchone()
    return row[0] if row is not None else None
