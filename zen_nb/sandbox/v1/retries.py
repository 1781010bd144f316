"""v1 retries by hand: every failed delivery of one event, or a batch of deliveries by id.

Each retry is the recipe form's manual retry: a new attempt of the delivery (trigger
``manual``), queued now, numbered after its latest. What is retried is a delivery whose latest
attempt failed (``data.v1_deliveries.RETRYABLE``), also one whose automatic retry is still
waiting: the manual attempt goes first. Both operations honour ``Idempotency-Key`` (the
middleware): the same key and body replay the answer, another body under the key is a 409.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .. import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from ..batch_retry import retry_batch as retry_batch_by_id
from ..data.flows import flow_exists
from ..data.retries import BatchItem, retry
from ..data.v1_deliveries import event_exists, retryable_of_event
from ..deps import StoreDep, TenantDep
from ..errors import ApiError
from ..queue_bound import require_room
from .common import PREFIX, TAG, not_found
from .models import BatchQueued, BatchRetry, RetryQueued

router = APIRouter(prefix=PREFIX, tags=[TAG])


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
        new_ids = [retry(db, row)["id"] for row in failed]
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
    queued, items = retry_batch_by_id(request, store, tenant.id, body.delivery_ids)
    return {"queued": queued, "deliveries": [_item_json(item) for item in items]}


def _item_json(item: BatchItem) -> dict[str, Any]:
    answer = {"delivery_id": item.attempt_id, "status": item.status}
    if item.retry_id is not None:
        answer["retry_delivery_id"] = item.retry_id
    return answer
