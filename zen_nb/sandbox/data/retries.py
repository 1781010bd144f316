"""Retries by hand, the same on both forms: one attempt's delivery again, or a batch of attempts by id.

A retry is a new attempt of the delivery (trigger ``manual``), made ``pending`` and queued now,
numbered after the delivery's latest. A batch (the v1 ``/retry/batch`` and the recipe form's
``.../delivery-attempts/retry``) queues only what a retry by hand should: a delivery's latest
failed attempt (``v1_deliveries.RETRYABLE``) whose flow still exists, once however often its id
is repeated; everything else is ``skipped``, and an id the tenant (and plane) has not ``not_found``.
Choosing and queueing are two steps so that the caller can check the queue bound in between.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from . import attempts
from .deliveries import queue_manual
from .flows import flow_exists
from .v1_deliveries import attempts_by_id

QUEUED, SKIPPED, NOT_FOUND = "queued", "skipped", "not_found"
MAX_BATCH = 100  # attempt ids in one batch: the vendor's v1 batch takes as many


def retry(db: sqlite3.Connection, failed: sqlite3.Row) -> sqlite3.Row:
    """Queue a manual attempt of ``failed``'s delivery (same tenant, plane, flow, event and target); its row."""
    attempt = attempts.insert_attempt(
        db,
        failed["tenant_id"],
        failed["plane_id"],
        failed["flow_id"],
        failed["event_id"],
        failed["target_id"],
        "manual",
    )
    queue_manual(db, attempt)
    return attempt


@dataclass
class BatchItem:
    """What a batch does with one id: ``queued`` (``retry_id``: the new attempt), ``skipped`` or ``not_found``."""

    attempt_id: str
    status: str
    row: sqlite3.Row | None = None
    retry_id: str | None = None


def choose_batch(
    db: sqlite3.Connection, tenant_id: str, attempt_ids: list[str], plane_id: str | None = None
) -> list[BatchItem]:
    """One :class:`BatchItem` per id, in the order given; nothing is written yet (see :func:`queue_batch`).

    ``plane_id`` limits the batch to one plane (the recipe form's path names one): another plane's
    attempt is ``not_found`` there, as its single retry is.
    """
    found = attempts_by_id(db, tenant_id, list(dict.fromkeys(attempt_ids)), plane_id=plane_id)
    chosen: set[str] = set()
    items = []
    for attempt_id in attempt_ids:
        row = found.get(attempt_id)
        if row is None:
            items.append(BatchItem(attempt_id, NOT_FOUND))
        elif attempt_id in chosen or not row["retryable"] or not flow_exists(db, row["flow_id"]):
            items.append(BatchItem(attempt_id, SKIPPED))  # a repeat, delivered, pending, superseded, or flow gone
        else:
            chosen.add(attempt_id)
            items.append(BatchItem(attempt_id, QUEUED, row))
    return items


def queue_batch(db: sqlite3.Connection, items: list[BatchItem]) -> int:
    """Retry every ``queued`` item (setting its ``retry_id``); how many were queued."""
    queued = [item for item in items if item.status == QUEUED]
    for item in queued:
        assert item.row is not None  # chosen with its row
        item.retry_id = retry(db, item.row)["id"]
    return len(queued)


def queued_count(items: list[BatchItem]) -> int:
    """How many of ``items`` a :func:`queue_batch` queues (for the queue bound, before it runs)."""
    return sum(item.status == QUEUED for item in items)
