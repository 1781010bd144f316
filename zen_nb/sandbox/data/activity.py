"""What a tenant did that its objects alone cannot tell: a 409 on a flow's name, a pause, a resume.

The exercise checks read it (``sandbox/exercises/``): that a second create of a flow was refused
leaves no row behind, and a flow paused then resumed looks like one never touched. One row per
(tenant, kind, subject), counted, with the first and last time: it grows with the tenant's
objects, never with its requests. Kinds (see ``KINDS``): ``flow_name_conflict`` (subject: the
flow's name), ``flow_paused`` and ``flow_resumed`` (subject: the flow's id),
``exercise_prepared`` (subject: the exercise's name).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .connection import utc_now

FLOW_NAME_CONFLICT = "flow_name_conflict"
FLOW_PAUSED = "flow_paused"
FLOW_RESUMED = "flow_resumed"
EXERCISE_PREPARED = "exercise_prepared"
KINDS = (FLOW_NAME_CONFLICT, FLOW_PAUSED, FLOW_RESUMED, EXERCISE_PREPARED)


@dataclass(frozen=True)
class Activity:
    """One kind of thing done to one subject: how many times, first and last (stamps, in time order)."""

    kind: str
    subject: str
    count: int
    first_at: str
    last_at: str


def note_activity(db: sqlite3.Connection, tenant_id: str, kind: str, subject: str, at: str | None = None) -> None:
    """Count one more ``kind`` of ``subject`` for the tenant at ``at`` (now by default); the first time is kept."""
    if kind not in KINDS:
        raise ValueError(f"no activity kind {kind!r}; the kinds are {', '.join(KINDS)}")
    at = at or utc_now()
    db.execute(
        "INSERT INTO tenant_activity (tenant_id, kind, subject, count, first_at, last_at) VALUES (?, ?, ?, 1, ?, ?)"
        " ON CONFLICT (tenant_id, kind, subject) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
        (tenant_id, kind, subject, at, at),
    )


def activity(db: sqlite3.Connection, tenant_id: str, kind: str, subject: str | None = None) -> list[Activity]:
    """The tenant's activity of one kind (of one subject, if given), oldest first."""
    rows = db.execute(
        "SELECT kind, subject, count, first_at, last_at FROM tenant_activity"
        " WHERE tenant_id = ? AND kind = ? AND (? IS NULL OR subject = ?) ORDER BY first_at, subject",
        (tenant_id, kind, subject, subject),
    ).fetchall()
    return [Activity(row["kind"], row["subject"], row["count"], row["first_at"], row["last_at"]) for row in rows]


def forget_flow(db: sqlite3.Connection, tenant_id: str, flow_id: str, name: str) -> None:
    """Forget the activity of a flow being deleted: its pauses and resumes, and the 409s of its name
    unless another flow of the tenant still has that name. So a tenant's activity stays bounded by
    its objects, and a flow made again under the name starts with none."""
    db.execute(
        "DELETE FROM tenant_activity WHERE tenant_id = ? AND kind IN (?, ?) AND subject = ?",
        (tenant_id, FLOW_PAUSED, FLOW_RESUMED, flow_id),
    )
    db.execute(
        "DELETE FROM tenant_activity WHERE tenant_id = ? AND kind = ? AND subject = ?"
        " AND NOT EXISTS (SELECT 1 FROM flows WHERE tenant_id = ? AND name = ? AND id != ?)",
        (tenant_id, FLOW_NAME_CONFLICT, name, tenant_id, name, flow_id),
    )
