"""v1 retries by hand: every failed delivery of one event, or a batch of deliveries by id.

Each retry is the recipe form's manual retry: a new attempt of the delivery (trigger
``manual``), queued now, numbered after its latest. What is retried is a delivery whose latest
attempt failed (``data.v1_deliveries.RETRYABLE``), also one whose automatic retry is still
waiting: the manual attempt goes first. Both operations honour ``Idempotency-Key`` (the
middleware): the same key and body replay the answer, another body under the key is a 409.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Request

from .. import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from ..data import attempts
from ..data.deliveries import queue_manual
from ..data.flows import flow_exists
from ..data.v1_deliveries import attempts_by_id, event_exists, retryable_of_event
from ..deps import StoreDep, TenantDep
from ..errors import ApiError
from ..queue_bound import require_room
from .common import PREFIX, TAG, not_found
from .models import BatchQueued, BatchRetry, RetryQueued

router = APIRouter(prefix=PREFIX, tags=[TAG])


def retry(db: sqlite3.Connection, failed: sqlite3.Row) -> str:
    """Queue a manual attempt of the failed attempt's delivery; its id."""
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
    return attempt["id"]


@router.post(
    "/events/{eventId:id}/retry",
    status_code=202,
    response_model=RetryQueued,
    operation_id="v1RetryEvent",
    summary="Retry every failed delivery of an event",
)
def retry_event(request: Request, store: StoreDep, tenant: TenantDep, eventId: str) -> dict[str, Any]:  # noqa: N803
    with store.transaction() as db:
        if not event_exists(db, tenant.id, eventId):
            raise not_found("event", eventId, tenant.id)
        failed = [row for row in retryable_of_event(db, tenant.id, eventId) if flow_exists(db, row["flow_id"])]
        if not failed:
            raise ApiError(
                409,
                "nothing_to_retry",
                f"event '{eventId}' has no failed delivery to retry: each is delivered or still pending "
                f"(GET /v1/tenants/{tenant.id}/deliveries?event_id={eventId} shows them)",
            )
        require_room(db, tenant.id, len(failed), "this retry")
        new_ids = [retry(db, row) for row in failed]
    request.app.state.deliverer.wake()
    return {"status": "queued", "delivery_id": new_ids[0], "delivery_ids": new_ids, "message": "Retry initiated"}


@router.post(
    "/retry/batch",
    status_code=202,
    response_model=BatchQueued,
    response_model_exclude_none=True,
    operation_id="v1RetryBatch",
    summary="Retry deliveries by id (1 to 100)",
)
def retry_batch(request: Request, body: BatchRetry, store: StoreDep, tenant: TenantDep) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with store.transaction() as db:
        found = attempts_by_id(db, tenant.id, list(dict.fromkeys(body.delivery_ids)))
        chosen: set[str] = set()
        for delivery_id in body.delivery_ids:
            row = found.get(delivery_id)
            if row is None:
                results.append({"delivery_id": delivery_id, "status": "not_found"})
            elif delivery_id in chosen or not row["retryable"] or not flow_exists(db, row["flow_id"]):
                results.append({"delivery_id": delivery_id, "status": "skipped"})  # done, pending or superseded
            else:
                chosen.add(delivery_id)
                results.append({"delivery_id": delivery_id, "status": "queued"})
        require_room(db, tenant.id, len(chosen), "this retry")
        for result in results:
            if result["status"] == "queued" and "retry_delivery_id" not in result:
                result["retry_delivery_id"] = retry(db, found[result["delivery_id"]])
    if chosen:
        request.app.state.deliverer.wake()
    return {"queued": len(chosen), "deliveries": results}
