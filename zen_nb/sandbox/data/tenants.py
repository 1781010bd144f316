"""Tenants: who a token belongs to, and the tenants a sandbox or a training room creates."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .connection import utc_now


@dataclass(frozen=True)
class Tenant:
    """A tenant as the server needs it: its id, name and plan (the token is kept as a digest only)."""

    id: str
    name: str
    plan: str


def insert_tenant(db: sqlite3.Connection, tenant_id: str, name: str, plan: str, token_sha256: str) -> str:
    """Add a tenant whose token has this SHA-256; return its creation time."""
    created_at = utc_now()
    db.execute(
        "INSERT INTO tenants (id, name, plan, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
        (tenant_id, name, plan, token_sha256, created_at),
    )
    return created_at


def tenant_by_token(db: sqlite3.Connection, token_sha256: str) -> Tenant | None:
    """The tenant whose API token has this digest, or None."""
    row = db.execute("SELECT id, name, plan FROM tenants WHERE token_sha256 = ?", (token_sha256,)).fetchone()
    return Tenant(row["id"], row["name"], row["plan"]) if row is not None else None


def tenant_exists(db: sqlite3.Connection, tenant_id: str) -> bool:
    return db.execute("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,)).fetchone() is not None
