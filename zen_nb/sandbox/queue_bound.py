"""The bound on what one tenant may keep queued, and the 429 that says it is reached.

Every way into the delivery queue checks it: an ingested event (one delivery per flow of its
source) and a retry by hand (one more). A tenant whose target is slow or down would otherwise
grow the queue without bound, by events or by retries; past the bound it gets a 429
``delivery_queue_full`` with ``Retry-After``, and nothing is stored.
"""

from __future__ import annotations

import sqlite3

from .data.deliveries import MAX_QUEUED_PER_TENANT, queued_count
from .errors import ApiError

QUEUE_FULL_RETRY_AFTER = 10  # seconds a refused sender is asked to wait: the longest one attempt takes (its timeout)


def require_room(db: sqlite3.Connection, tenant_id: str, adding: int, what: str, waiting: int | None = None) -> None:
    """Raise the 429 if ``adding`` more deliveries would take the tenant's queue over its bound.

    ``what`` names the request in the message ("this event", "this retry"); ``waiting`` is the
    count taken before the request queued anything (default: counted now).
    """
    if adding <= 0:
        return
    waiting = queued_count(db, tenant_id) if waiting is None else waiting
    if waiting + adding <= MAX_QUEUED_PER_TENANT:
        return
    raise ApiError(
        429,
        "delivery_queue_full",
        f"tenant '{tenant_id}' already has {waiting} deliveries waiting and {what} would add {adding}"
        f" (at most {MAX_QUEUED_PER_TENANT} may wait); {what} was not stored: send it again after"
        f" {QUEUE_FULL_RETRY_AFTER} s, and look for a target that is slow or failing (GET .../delivery-attempts"
        "?status=failed), pause or delete flows you do not need, or fix the receiver",
        headers={"Retry-After": str(QUEUE_FULL_RETRY_AFTER)},
    )
