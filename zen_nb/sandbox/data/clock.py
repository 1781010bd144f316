"""The delivery clock: bring the queue's future forward, so that a schedule of retries plays out now.

The sandbox does not keep a clock of its own: every queued delivery is due at a time
(``time.time()`` seconds, ``deliveries.py``), and advancing the clock by N seconds moves each
delivery that is waiting, not held, N seconds sooner, never earlier than now
(``due_at = max(now, due_at - N)``). What was due within the next N seconds is due now; what
was due later stays as far apart as it was. Held deliveries (a paused flow's) are left alone:
they wait for the flow, not for a time. ``tenant_id`` limits all of it to one tenant's queue.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

MAX_ADVANCE_S = 30 * 24 * 3600  # at most 30 days at a time: past the longest schedule (11 attempts, a day apart)


@dataclass(frozen=True)
class QueueTimes:
    """A scope's waiting deliveries (not held): how many, how many are due, and when the next one is due."""

    queued: int
    due_now: int
    next_due_at: float | None  # the earliest still in the future; None when none is


def _scope(tenant_id: str | None) -> tuple[str, list[str]]:
    return (" AND tenant_id = ?", [tenant_id]) if tenant_id is not None else ("", [])


def advance(db: sqlite3.Connection, now: float, seconds: float, tenant_id: str | None = None) -> int:
    """Move the scope's waiting deliveries ``seconds`` sooner, none before ``now``; how many moved."""
    where, params = _scope(tenant_id)
    cursor = db.execute(
        f"UPDATE deliveries SET due_at = MAX(?, due_at - ?) WHERE held = 0 AND due_at > ?{where}",  # noqa: S608
        (now, seconds, now, *params),
    )
    return cursor.rowcount


def queue_times(db: sqlite3.Connection, now: float, tenant_id: str | None = None) -> QueueTimes:
    """The scope's :class:`QueueTimes` at ``now``."""
    where, params = _scope(tenant_id)
    queued, due_now, next_due_at = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(due_at <= ?), 0), MIN(CASE WHEN due_at > ? THEN due_at END)"  # noqa: S608
        f" FROM deliveries WHERE held = 0{where}",
        (now, now, *params),
    ).fetchone()
    return QueueTimes(queued, due_now, next_due_at)
