"""Ingested events: what an ingester accepted, kept so that every attempt sends the same payload."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

# One event row as :func:`insert_events` takes it: (tenant_id, plane_id, id, ingester_id, payload JSON, created_at).
EventRow = tuple[str, str, str, str, str, str]

_INSERT = "INSERT INTO events (tenant_id, plane_id, id, ingester_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)"


def insert_event(
    db: sqlite3.Connection,
    tenant_id: str,
    plane_id: str,
    event_id: str,
    ingester_id: str,
    payload: str,
    created_at: str,
) -> None:
    """Add one event; ``payload`` is its JSON text, ``created_at`` a stamp (``connection.stamp``)."""
    db.execute(_INSERT, (tenant_id, plane_id, event_id, ingester_id, payload, created_at))


def insert_events(db: sqlite3.Connection, rows: Iterable[EventRow]) -> None:
    """Add many events at once (simulated traffic), in the order given."""
    db.executemany(_INSERT, rows)


def event_payload(db: sqlite3.Connection, event_id: str) -> str | None:
    """The event's payload (JSON text), or None if it is gone (a reset).

    The delivery engine reads it when an attempt starts, not when the delivery is queued or
    taken, so the only copies in memory are those of the attempts being made.
    """
    row = db.execute("SELECT payload FROM events WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else row[0]
