"""The queue of deliveries: attempts still to make, each due at a time (``time.time()`` seconds).

An ingested event queues one delivery per (flow, target) of the flows from its ingester; a
paused flow's are *held* (not due) until it is resumed. The engine takes due deliveries
(:func:`take_due`), each becoming a ``pending`` attempt, and queues the next attempt of a
failure (:func:`schedule_retry`). A manual retry is an attempt that already exists, waiting in
the queue for the engine. Everything here runs inside the caller's write transaction.

Two bounds keep one tenant from taking the sandbox's memory and workers: the engine takes due
deliveries fairly across tenants and targets (``fairness.py``), and a job carries no payload
(the worker reads it when its attempt starts: :func:`events.event_payload`), so what is queued
costs a row in the database, never memory. A tenant may keep at most
:data:`MAX_QUEUED_PER_TENANT` deliveries queued (:func:`queued_count`; ingest refuses more), and
what a paused flow holds expires after :data:`HELD_RETENTION_S` (:func:`expire_held`).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from . import attempts, settings
from .fairness import Candidate, InFlight, fair_order
from .flows import RetryPolicy, active_flows_with_targets, flow_exists, retry_policy

# What a delivery's attempt becomes when the process stopped while it was being made.
INTERRUPTED = "interrupted"
# What a manual attempt still queued becomes when its flow is deleted.
FLOW_DELETED = "flow_deleted"
# The most deliveries one tenant may keep queued (due, scheduled retries and held ones together):
# at 8 workers and a target that times out (10 s), about three hours of work.
MAX_QUEUED_PER_TENANT = 10_000
# What a held delivery becomes when its flow stayed paused longer than HELD_RETENTION_S: like
# Stripe, which stops trying an event after three days, and Hookdeck, whose paused connections
# keep what they hold for a retention period, the queue does not keep it for ever.
EXPIRED = "expired"
HELD_RETENTION_S = 3 * 24 * 3600.0
EXPIRE_BATCH = 500  # the most expired in one transaction, so the write lock is held briefly

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
    ``target_disabled`` whether it is disabled (its attempts fail ``target_disabled``, unmade);
    ``outcome_model`` is the JSON text of the model set for the target, if any. ``payload`` is
    None as taken: the worker reads the event's payload when the attempt starts and drops it
    when it ends, so jobs waiting for a worker hold no copy of it.
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
    outcome_model: str | None
    payload: str | None = None
    target_disabled: bool = False

    @property
    def target(self) -> tuple[str, str, str]:
        """The target as the engine's fairness tells targets apart: (tenant, plane, target)."""
        return (self.tenant_id, self.plane_id, self.target_id)


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


def retry_due_at(
    schedule: list[float], attempt: sqlite3.Row, now: float, policy: RetryPolicy | None = None
) -> float | None:
    """When the automatic attempt after a failed ``attempt`` is due, or None when there is none (a manual
    attempt, or the attempts used up).

    Without a flow policy, the sandbox's ``schedule`` decides: attempt ``n`` is followed after
    ``schedule[n - 1]`` seconds, and there are ``len(schedule) + 1`` attempts. A flow's
    :class:`RetryPolicy` overrides either part: ``max_attempts`` attempts in all, each failed one
    followed after ``backoff_seconds`` (a policy with only ``max_attempts`` waits as the schedule
    does, its last delay repeated past its end).
    """
    policy = policy or RetryPolicy()
    number = attempt["attempt_number"]
    max_attempts = policy.max_attempts if policy.max_attempts is not None else len(schedule) + 1
    if attempt["trigger"] == "manual" or number >= max_attempts:
        return None
    if policy.backoff_seconds is not None:
        return now + policy.backoff_seconds
    if not schedule:
        return now
    return now + schedule[min(number, len(schedule)) - 1]


def next_retry_at(db: sqlite3.Connection, attempt: sqlite3.Row, now: float) -> float | None:
    """:func:`retry_due_at` for a failed ``attempt``, on the stored schedule and its flow's policy."""
    return retry_due_at(settings.retry_schedule(db), attempt, now, retry_policy(db, attempt["flow_id"]))


def drop_retries_after_success(db: sqlite3.Connection, attempt: sqlite3.Row) -> int:
    """After ``attempt`` succeeded, its delivery's automatic retries still queued are dropped: a manual
    retry that overtook one (a bulk retry after a target was fixed) would otherwise be followed by a
    second delivery of the same event. How many were dropped. (Svix and Hookdeck stop retrying an
    event once an attempt succeeds.)"""
    cursor = db.execute(
        "DELETE FROM deliveries WHERE flow_id = ? AND event_id = ? AND target_id = ? AND attempt_id IS NULL",
        (attempt["flow_id"], attempt["event_id"], attempt["target_id"]),
    )
    return cursor.rowcount


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


# The first due deliveries in due order (through the index ``deliveries_due``): when fewer than
# asked for come back, they are every due delivery, and nothing else needs to be read.
_FIRST_DUE = (
    "SELECT seq, tenant_id, plane_id, target_id FROM deliveries WHERE held = 0 AND due_at <= ?"
    " ORDER BY due_at, seq LIMIT ?"
)
_WINDOW = 8  # how many candidates per free worker the cheap read looks at
# Whether a delivery is due in a queue other than the ones given (ids never hold a control character).
_QUEUE_SEP = "\x1f"
_OTHER_QUEUE_DUE = (
    "SELECT 1 FROM deliveries WHERE held = 0 AND due_at <= ?"
    " AND tenant_id || char(31) || plane_id || char(31) || target_id NOT IN ({marks}) LIMIT 1"
)
# The first ``?`` due deliveries of each (tenant, plane, target), in due order: the head of every
# queue however long another queue is (one tenant's flood), and enough to fill every free worker
# from any one queue. It reads every due row, so it runs only when the cheap read was not enough.
_HEADS = (
    "SELECT seq, tenant_id, plane_id, target_id FROM ("
    " SELECT seq, tenant_id, plane_id, target_id, due_at,"
    "  ROW_NUMBER() OVER (PARTITION BY tenant_id, plane_id, target_id ORDER BY due_at, seq) AS place"
    " FROM deliveries WHERE held = 0 AND due_at <= ?)"
    " WHERE place <= ? ORDER BY due_at, seq"
)
_TAKEN = (
    "SELECT d.*, f.status AS flow_status, t.type AS target_type, t.url, t.status AS target_status,"
    " o.model AS outcome_model"
    " FROM deliveries d"
    " JOIN flows f ON f.id = d.flow_id"
    " LEFT JOIN targets t ON t.tenant_id = d.tenant_id AND t.plane_id = d.plane_id AND t.id = d.target_id"
    " LEFT JOIN target_outcomes o"
    "  ON o.tenant_id = d.tenant_id AND o.plane_id = d.plane_id AND o.target_id = d.target_id"
    " WHERE d.seq = ?"
)


def take_due(db: sqlite3.Connection, now: float, limit: int, in_flight: InFlight | None = None) -> list[Delivery]:
    """Take up to ``limit`` deliveries due by ``now``, each with its ``pending`` attempt.

    The order is :func:`fairness.fair_order`'s: the least busy tenant first (``in_flight``: what
    the engine is making now), then its least busy target, then the earliest due; within one
    target, due order. A due automatic delivery of a flow paused since it was queued is held
    instead (and not counted in what is returned). The payload is not read: see :class:`Delivery`.
    """
    load = (in_flight or InFlight()).copy()
    taken: list[Delivery] = []
    while len(taken) < limit:
        wanted = limit - len(taken)
        held = 0
        for candidate in fair_order(_candidates(db, now, wanted), load, wanted):
            row = db.execute(_TAKEN, (candidate.seq,)).fetchone()
            if row is None:  # its flow is gone (the cascade removes the row too; this is only a guard)
                continue
            if row["flow_status"] == "paused" and row["trigger"] != "manual":
                db.execute("UPDATE deliveries SET held = 1 WHERE seq = ?", (row["seq"],))
                held += 1
                continue
            taken.append(_take(db, row))
            load.add(candidate.tenant_id, candidate.target)
        if not held:  # nothing was held back: what is not taken now is not due
            break
    return taken


def _candidates(db: sqlite3.Connection, now: float, limit: int) -> list[Candidate]:
    """What :func:`fair_order` chooses from: the first due deliveries, in due order; and when more
    are due behind them in queues not among these (another tenant waits behind a flood), the first
    ``limit`` of every (tenant, target) queue."""
    found = [Candidate(*row) for row in db.execute(_FIRST_DUE, (now, limit * _WINDOW)).fetchall()]
    if len(found) < limit * _WINDOW:  # every due delivery
        return found
    seen = sorted({_QUEUE_SEP.join(candidate.target) for candidate in found})
    marks = ", ".join("?" * len(seen))
    behind = db.execute(_OTHER_QUEUE_DUE.format(marks=marks), (now, *seen)).fetchone()
    if behind is None:  # only the queues seen are due: their first deliveries are enough
        return found
    return [Candidate(*row) for row in db.execute(_HEADS, (now, limit)).fetchall()]


def _take(db: sqlite3.Connection, row: sqlite3.Row) -> Delivery:
    """Take one delivery out of the queue as a ``pending`` attempt (a manual one already is)."""
    db.execute("DELETE FROM deliveries WHERE seq = ?", (row["seq"],))
    attempt_id, number = row["attempt_id"], row["attempt_number"]
    if attempt_id is None:
        attempt = attempts.insert_attempt(
            db, row["tenant_id"], row["plane_id"], row["flow_id"], row["event_id"], row["target_id"], row["trigger"]
        )
        attempt_id, number = attempt["id"], attempt["attempt_number"]
    return Delivery(
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
        outcome_model=row["outcome_model"],
        target_disabled=row["target_status"] == "disabled",
    )


def queued_count(db: sqlite3.Connection, tenant_id: str) -> int:
    """How many deliveries the tenant has queued: due, scheduled retries and held ones."""
    return db.execute("SELECT COUNT(*) FROM deliveries WHERE tenant_id = ?", (tenant_id,)).fetchone()[0]


def expire_held(db: sqlite3.Connection, now: float) -> int:
    """End the deliveries held longer than :data:`HELD_RETENTION_S` (a flow paused for days): each
    becomes a ``failed`` attempt with error code ``expired``, listed like any other, and leaves the
    queue. At most :data:`EXPIRE_BATCH` at a time; how many were expired.

    A held delivery's ``due_at`` is when it was held (queued for a paused flow, or due while the
    flow was paused), so its age is ``now - due_at``.
    """
    rows = db.execute(
        "SELECT * FROM deliveries WHERE held = 1 AND due_at < ? ORDER BY due_at, seq LIMIT ?",
        (now - HELD_RETENTION_S, EXPIRE_BATCH),
    ).fetchall()
    for row in rows:
        db.execute("DELETE FROM deliveries WHERE seq = ?", (row["seq"],))
        attempt_id = row["attempt_id"]
        if attempt_id is None:
            attempt_id = attempts.insert_attempt(
                db, row["tenant_id"], row["plane_id"], row["flow_id"], row["event_id"], row["target_id"], row["trigger"]
            )["id"]
        attempts.finish_attempt(db, attempt_id, "failed", None, EXPIRED, 0)
    return len(rows)


def next_due_at(db: sqlite3.Connection) -> float | None:
    """When the earliest delivery that is not held is due, or None when none is queued."""
    return db.execute("SELECT MIN(due_at) FROM deliveries WHERE held = 0").fetchone()[0]


def recover_interrupted(db: sqlite3.Connection) -> None:
    """End what a stopped process left half done: each attempt it was making is ``failed``
    ``interrupted``, and (unless it was manual or the schedule's last) the delivery's next
    automatic attempt is queued on the stored retry schedule (or its flow's policy), so a crash
    strands no delivery.

    Call it when an existing database is opened, before the engine starts.
    """
    now = time.time()
    for pending in attempts.interrupted_attempts(db):
        attempt = attempts.finish_attempt(db, pending["id"], "failed", None, INTERRUPTED, 0)
        due_at = next_retry_at(db, attempt, now) if attempt is not None else None
        if attempt is not None and due_at is not None:
            schedule_retry(db, attempt, due_at)
