"""The read-only part of a tenant: its planes, their adapters and ingesters (the flows' sources).

The sandbox creates them only when it seeds a tenant (``seed.py``); the API reads them.
Lists are keyset pages: rows after the position ``after`` (a row's ``seq``), ``limit + 1`` of
them so that the caller knows whether there is more.
"""

from __future__ import annotations

import sqlite3

from .connection import utc_now


def insert_plane(db: sqlite3.Connection, tenant_id: str, plane_id: str, name: str, region: str) -> None:
    db.execute(
        "INSERT INTO planes (tenant_id, id, name, region, created_at) VALUES (?, ?, ?, ?, ?)",
        (tenant_id, plane_id, name, region, utc_now()),
    )


def insert_adapter(db: sqlite3.Connection, tenant_id: str, plane_id: str, adapter_id: str, kind: str) -> None:
    db.execute(
        "INSERT INTO adapters (tenant_id, plane_id, id, kind, created_at) VALUES (?, ?, ?, ?, ?)",
        (tenant_id, plane_id, adapter_id, kind, utc_now()),
    )


def insert_ingester(
    db: sqlite3.Connection, tenant_id: str, plane_id: str, ingester_id: str, name: str, adapter_id: str, kind: str
) -> None:
    db.execute(
        "INSERT INTO ingesters (tenant_id, plane_id, id, name, adapter_id, type, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tenant_id, plane_id, ingester_id, name, adapter_id, kind, utc_now()),
    )


def get_plane(db: sqlite3.Connection, tenant_id: str, plane_id: str) -> sqlite3.Row | None:
    return db.execute("SELECT * FROM planes WHERE tenant_id = ? AND id = ?", (tenant_id, plane_id)).fetchone()


def plane_exists(db: sqlite3.Connection, tenant_id: str, plane_id: str) -> bool:
    return (
        db.execute("SELECT 1 FROM planes WHERE tenant_id = ? AND id = ?", (tenant_id, plane_id)).fetchone() is not None
    )


def list_planes(db: sqlite3.Connection, tenant_id: str, after: int, limit: int) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT * FROM planes WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?", (tenant_id, after, limit + 1)
    ).fetchall()


def list_adapters(db: sqlite3.Connection, tenant_id: str, plane_id: str, after: int, limit: int) -> list[sqlite3.Row]:
    """Adapters with ``ingester_ids``: their ingesters' ids, comma-separated in creation order."""
    return db.execute(
        "SELECT a.seq, a.id, a.kind, a.created_at,"
        " (SELECT group_concat(i.id, ',') FROM (SELECT id FROM ingesters i WHERE i.tenant_id = a.tenant_id"
        "  AND i.plane_id = a.plane_id AND i.adapter_id = a.id ORDER BY i.seq) i) AS ingester_ids"
        " FROM adapters a WHERE a.tenant_id = ? AND a.plane_id = ? AND a.seq > ? ORDER BY a.seq LIMIT ?",
        (tenant_id, plane_id, after, limit + 1),
    ).fetchall()


def list_ingesters(db: sqlite3.Connection, tenant_id: str, plane_id: str, after: int, limit: int) -> list[sqlite3.Row]:
    return db.execute(
        "SELECT * FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (tenant_id, plane_id, after, limit + 1),
    ).fetchall()


def get_ingester(db: sqlite3.Connection, tenant_id: str, plane_id: str, ingester_id: str) -> sqlite3.Row | None:
    return db.execute(
        "SELECT * FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, ingester_id)
    ).fetchone()


def ingester_exists(db: sqlite3.Connection, tenant_id: str, plane_id: str, ingester_id: str) -> bool:
    return get_ingester(db, tenant_id, plane_id, ingester_id) is not None
