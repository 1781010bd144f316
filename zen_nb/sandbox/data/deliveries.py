"""The queue of deliveries: attempts still to make, each due at a time (``time.time()`` seconds).

An ingested event queues one delivery per (flow, target) of the flows from its ingester; a
paused flow's are *held* (not due) until it is resumed. The engine takes due deliveries
(:func:`take_due`), each becoming a ``pending`` attempt, and queues the next attempt of a
failure (:func:`schedule_retry`). A manual retry is an attempt that already exists, waiting in
the queue for the engine. Everything here runs inside the caller's write transaction.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from . import attempts, settings
from .flows import active_flows_with_targets, flow_exists

# What a delivery's attempt becomes when the process stopped while it was being made.
INTERRUPTED = "interrupted"
# What a manual attempt still queued becomes when its flow is deleted.
FLOW_DELETED = "flow_deleted"

_INSERT = (
    "INSERT INTO deliveries (tenant_id, plane_id, flow_id, event_id, target_id, attempt_number, trigger, due_at,"
    " held, attempt_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Queued:
    """One delivery of a new event: to this target of this flow, queued now or held (paused flow)."""

    flow_id: str
    target_id: str
    held: bool


@dataclass(frozen=True)
class Delivery:
    """A delivery taken from the queue with its pending attempt: all the engine needs to make it.

    ``target_type`` is None when the target is gone (the flow was changed to another one);
    ``outcome_model`` is the JSON text of the model set for the target, if any.
    """

    attempt_id: str
    attempt_number: int
    trigger: str
    tenant_id: str
    plane_id: str
    flow_id: str
    event_id: str
    target_id: str
    target_type: str | None
    url: str | None
    payload: str | None
    outcome_model: str | None


def queue_event(db: sqlite3.Connection, tenant_id: str, plane_id: str, ingester_id: str, event_id: str) -> list[Queued]:
    """Queue the first attempt of a new event to every target of every flow from its ingester, due
    now; a paused flow's are held, to be made with trigger ``resume``."""
    now = time.time()
    queued = []
    for row in active_flows_with_targets(db, tenant_id, plane_id, source=ingester_id):
        held = row["status"] == "paused"
        trigger = "resume" if held else "initial"
        db.execute(_INSERT, (tenant_id, plane_id, row["id"], event_id, row["target_id"], 1, trigger, now, held, None))
        queued.append(Queued(row["id"], row["target_id"], held))
    return queued


def queue_manual(db: sqlite3.Connection, attempt: sqlite3.Row) -> None:
    """Queue a manual attempt (already made ``pending`` by :func:`attempts.insert_attempt`), due now."""
    _queue_for(db, attempt, attempt["attempt_number"], "manual", time.time(), attempt["id"])


def schedule_retry(db: sqlite3.Connection, attempt: sqlite3.Row, due_at: float) -> bool:
    """Queue the automatic attempt after ``attempt`` (a failed one), due at ``due_at``; not if its flow
    was deleted meanwhile. Whether it was queued."""
    if not flow_exists(db, attempt["flow_id"]):
        return False
    _queue_for(db, attempt, attempt["attempt_number"] + 1, "automatic", due_at, None)
    return True


def _queue_for(
    db: sqlite3.Connection, attempt: sqlite3.Row, number: int, trigger: str, due_at: float, attempt_id: str | None
) -> None:
    """Queue attempt ``number`` of ``attempt``'s delivery (same flow, event and target)."""
    db.execute(
        _INSERT,
        (
            attempt["tenant_id"],
            attempt["plane_id"],
            attempt["flow_id"],
            attempt["event_id"],
            attempt["target_id"],
            number,
            trigger,
            due_at,
            False,
            attempt_id,
        ),
    )


def retry_due_at(schedule: list[float], attempt: sqlite3.Row, now: float) -> float | None:
    """When the automatic attempt after a failed ``attempt`` is due, or None when there is none (a manual
    attempt, or the schedule used up)."""
    number = attempt["attempt_number"]
    if attempt["trigger"] == "manual" or number > len(schedule):
        return None
    return now + schedule[number - 1]


def release_held(db: sqlite3.Connection, flow_id: str) -> int:
    """A resumed flow's held deliveries become due now, each to be attempted with trigger ``resume``;
    how many there were."""
    cursor = db.execute(
        "UPDATE deliveries SET held = 0, trigger = 'resume', due_at = ? WHERE flow_id = ? AND held = 1",
        (time.time(), flow_id),
    )
    return cursor.rowcount


def cancel_flow(db: sqlite3.Connection, flow_id: str) -> None:
    """Before the flow is deleted: its manual attempts still waiting in the queue end failed
    ``flow_deleted`` (the queue rows themselves go with the flow, by cascade)."""
    db.execute(
        "UPDATE attempts SET status = 'failed', error_code = ?, latency_ms = 0 WHERE status = 'pending'"
        " AND id IN (SELECT attempt_id FROM deliveries WHERE flow_id = ? AND attempt_id IS NOT NULL)",
        (FLOW_DELETED, flow_id),
    )


def take_due(db: sqlite3.Connection, now: float, limit: int) -> list[Delivery]:
    """Take up to ``limit`` deliveries due by ``now``, oldest first, each with its ``pending`` attempt.

    A due automatic delivery of a flow paused since it was queued is held instead (and not
    counted in what is returned).
    """
    rows = db.execute(
        "SELECT d.*, f.status AS flow_status, t.type AS target_type, t.url, e.payload, o.model AS outcome_model"
        " FROM deliveries d"
        " JOIN flows f ON f.id = d.flow_id"
        " LEFT JOIN events e ON e.id = d.event_id"
        " LEFT JOIN targets t ON t.tenant_id = d.tenant_id AND t.plane_id = d.plane_id AND t.id = d.target_id"
        " LEFT JOIN target_outcomes o"
        "  ON o.tenant_id = d.tenant_id AND o.plane_id = d.plane_id AND o.target_id = d.target_id"
        " WHERE d.held = 0 AND d.due_at <= ? ORDER BY d.due_at, d.seq LIMIT ?",
        (now, limit),
    ).fetchall()
    taken = []
    for row in rows:
        if row["flow_status"] == "paused" and row["trigger"] != "manual":
            db.execute("UPDATE deliveries SET held = 1 WHERE seq = ?", (row["seq"],))
            continue
        db.execute("DELETE FROM deliveries WHERE seq = ?", (row["seq"],))
        attempt_id, number = row["attempt_id"], row["attempt_number"]
        if attempt_id is None:
            attempt = attempts.insert_attempt(
                db, row["tenant_id"], row["plane_id"], row["flow_id"], row["event_id"], row["target_id"], row["trigger"]
            )
            attempt_id, number = attempt["id"], attempt["attempt_number"]
        taken.append(
            Delivery(
                attempt_id=attempt_id,
                attempt_number=number,
                trigger=row["trigger"],
                tenant_id=row["tenant_id"],
                plane_id=row["plane_id"],
                flow_id=row["flow_id"],
                event_id=row["event_id"],
                target_id=row["target_id"],
                target_type=row["target_type"],
                url=row["url"],
                payload=row["payload"],
                outcome_model=row["outcome_model"],
            )
        )
    return taken


def next_due_at(db: sqlite3.Connection) -> float | None:
    """When the earliest delivery that is not held is due, or None when none is queued."""
    return db.execute("SELECT MIN(due_at) FROM deliveries WHERE held = 0").fetchone()[0]


def recover_interrupted(db: sqlite3.Connection) -> None:
    """End what a stopped process left half done: each attempt it was making is ``failed``
    ``interrupted``, and (unless it was manual or the schedule's last) the delivery's next
    automatic attempt is queued on the stored retry schedule, so a crash strands no delivery.

    Call it when an existing database is opened, before the engine starts.
    """
    schedule = settings.retry_schedule(db)
    now = time.time()
    for pending in attempts.interrupted_attempts(db):
        attempt = attempts.finish_attempt(db, pending["id"], "failed", None, INTERRUPTED, 0)
        due_at = retry_due_at(schedule, attempt, now) if attempt is not None else None
        if attempt is not None and due_at is not None:
            schedule_retry(db, attempt, due_at)
