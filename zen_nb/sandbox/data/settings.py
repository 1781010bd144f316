"""Delivery settings: the automatic retry schedule, and the outcome models set per target.

They are rows (``settings``, ``target_outcomes``), so a restart keeps them and a reset (which
empties every table) brings back the defaults. A model is stored as the JSON the API shows
(``successRate``, ``latencyMs``, ``latencySpread``, ``failures``); ``outcomes.py`` reads it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

DEFAULT_RETRY_SCHEDULE = (5.0, 30.0, 120.0, 600.0, 1800.0)  # seconds after attempt 1, 2, ...
_RETRY_SCHEDULE = "retry_schedule"


@dataclass(frozen=True)
class TargetOutcome:
    """The outcome model set for one target, as stored (the model is the API's JSON object)."""

    tenant_id: str
    plane_id: str
    target_id: str
    model: dict[str, Any]


def retry_schedule(db: sqlite3.Connection) -> list[float]:
    """The stored retry schedule (seconds after attempt 1, 2, ...), or the default one."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", (_RETRY_SCHEDULE,)).fetchone()
    return [float(delay) for delay in json.loads(row["value"])] if row is not None else list(DEFAULT_RETRY_SCHEDULE)


def set_retry_schedule(db: sqlite3.Connection, schedule: list[float]) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_RETRY_SCHEDULE, json.dumps(list(schedule))),
    )


def set_outcome(db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str, model: dict[str, Any]) -> None:
    """Store the target's model (the target must exist: the foreign key says so)."""
    db.execute(
        "INSERT INTO target_outcomes (tenant_id, plane_id, target_id, model) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, plane_id, target_id) DO UPDATE SET model = excluded.model",
        (tenant_id, plane_id, target_id, json.dumps(model)),
    )


def delete_outcome(db: sqlite3.Connection, tenant_id: str, plane_id: str, target_id: str) -> bool:
    """Forget the target's model (it gets its kind's default again); whether there was one."""
    cursor = db.execute(
        "DELETE FROM target_outcomes WHERE tenant_id = ? AND plane_id = ? AND target_id = ?",
        (tenant_id, plane_id, target_id),
    )
    return cursor.rowcount > 0


def list_outcomes(db: sqlite3.Connection, tenant_id: str | None = None) -> list[TargetOutcome]:
    """Every stored model (of one tenant, if given), in a stable order."""
    rows = db.execute(
        "SELECT * FROM target_outcomes WHERE (? IS NULL OR tenant_id = ?) ORDER BY tenant_id, plane_id, target_id",
        (tenant_id, tenant_id),
    ).fetchall()
    return [
        TargetOutcome(row["tenant_id"], row["plane_id"], row["target_id"], json.loads(row["model"])) for row in rows
    ]
