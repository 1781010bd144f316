"""Delivery attempts: list (with the contract's filters), get one, and retry one by hand or a batch by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .batch_retry import retry_batch as retry_batch_by_id
from .data import attempts, stamp
from .data.flows import flow_exists
from .data.retries import BatchItem, retry
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError
from .pagination import CursorParam, LimitParam, decode_cursor, first_page_total, list_key, page, position_gone
from .queue_bound import require_room
from .reads import read_now
from .schemas import AttemptBatchRetry
from .timestamps import parse_timestamp

router = APIRouter(prefix="/tenants/{tenantId:id}/clusters/{planeId:id}/delivery-attempts", tags=["delivery attempts"])

TimeParam = Annotated[str | None, Query(max_length=64, description="ISO 8601 timestamp, e.g. 2024-01-15T10:30:00Z")]


def attempt_json(row: Any) -> dict[str, Any]:
    """A delivery attempt as the contract shows it."""
    return {
        "id": row["id"],
        "flowId": row["flow_id"],
        "eventId": row["event_id"],
        "targetId": row["target_id"],
        "attemptNumber": row["attempt_number"],
        "trigger": row["trigger"],
        "status": row["status"],
        "responseStatus": row["response_status"],
        "errorCode": row["error_code"],
        "latencyMs": row["latency_ms"],
        "createdAt": row["created_at"],
        "nextAttemptAt": _next_attempt_at(row),
    }


def _next_attempt_at(row: Any) -> str | None:
    """When the delivery's next automatic attempt is due (stored form), or None: none is waiting, or the row
    is one just made (a new ``pending`` attempt, which has none)."""
    due_at = row["next_due_at"] if "next_due_at" in row.keys() else None
    return stamp(datetime.fromtimestamp(due_at, UTC)) if due_at is not None else None


def _stored_time(value: str | None, field: str) -> str | None:
    """A filter's timestamp in the stored form (UTC, milliseconds, Z), so strings compare in time order."""
    return stamp(parse_timestamp(value, field)) if value is not None else None


@router.get("", summary="List delivery attempts, oldest first")
def list_attempts(
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    flowId: str | None = None,  # noqa: N803
    eventId: str | None = None,  # noqa: N803
    targetId: str | None = None,  # noqa: N803
    status: Literal["succeeded", "failed", "pending"] | None = None,
    since: TimeParam = None,
    until: TimeParam = None,
) -> dict:
    since_at, until_at = _stored_time(since, "since"), _stored_time(until, "until")
    key = list_key(
        "attempts",
        tenant.id,
        plane_id,
        flowId=flowId,
        eventId=eventId,
        targetId=targetId,
        status=status,
        since=since_at,
        until=until_at,
    )
    after = decode_cursor(cursor, key)
    filters = {
        "flow_id": flowId,
        "event_id": eventId,
        "target_id": targetId,
        "status": status,
        "since": since_at,
        "until": until_at,
    }
    with store.snapshot() as db:
        if not attempts.position_exists(db, tenant.id, after):
            raise position_gone()
        rows = attempts.list_attempts(db, tenant.id, plane_id, after, limit, **filters)
        total = first_page_total(
            cursor, rows, limit, lambda: attempts.count_attempts(db, tenant.id, plane_id, **filters)
        )
    return page(rows, limit, attempt_json, key, items="deliveryAttempts", total=total)


@router.get("/{attemptId:attempt_id}", summary="Get a delivery attempt")
async def get_attempt(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, attemptId: str) -> dict:  # noqa: N803
    return attempt_json(await read_now(store, lambda db: attempts.require_attempt(db, tenant.id, plane_id, attemptId)))


@router.post("/{attemptId:id}/retry", status_code=202, summary="Retry by hand: a new attempt, trigger manual")
def retry_attempt(
    request: Request,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    attemptId: str,  # noqa: N803
) -> dict[str, Any]:
    with store.transaction() as db:
        original = attempts.require_attempt(db, tenant.id, plane_id, attemptId)
        if not flow_exists(db, original["flow_id"]):
            raise ApiError(
                404,
                "flow_not_found",
                f"flow '{original['flow_id']}' does not exist; the attempt's flow was deleted: nothing can be retried",
            )
        require_room(db, tenant.id, 1, "this retry")  # a retry queues one delivery, like an event's
        attempt = retry(db, original)
    request.app.state.deliverer.wake()
    return attempt_json(attempt)


@router.post("/retry", status_code=202, summary="Retry attempts by id (1 to 100): each delivery's latest failure")
def retry_batch(
    request: Request, body: AttemptBatchRetry, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep
) -> dict[str, Any]:
    """The recipe form's batch retry, with the v1 batch's rules (``data/retries.py``)."""
    queued, items = retry_batch_by_id(request, store, tenant.id, body.attemptIds, plane_id)
    return {"queued": queued, "attempts": [_batch_item_json(item) for item in items]}


def _batch_item_json(item: BatchItem) -> dict[str, Any]:
    answer = {"attemptId": item.attempt_id, "status": item.status}
    if item.retry_id is not None:
        answer["retryAttemptId"] = item.retry_id
    return answer
