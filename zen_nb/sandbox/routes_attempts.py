"""Delivery attempts: list (with the contract's filters), get one, and retry one by hand."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .data import attempts, stamp
from .data.deliveries import queue_manual
from .data.flows import flow_exists
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError
from .pagination import CursorParam, LimitParam, decode_cursor, first_page_total, list_key, page
from .queue_bound import require_room
from .reads import read_now
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
    }


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
        rows = attempts.list_attempts(db, tenant.id, plane_id, after, limit, **filters)
        total = first_page_total(
            cursor, rows, limit, lambda: attempts.count_attempts(db, tenant.id, plane_id, **filters)
        )
    return page(rows, limit, attempt_json, key, items="deliveryAttempts", total=total)


@router.get("/{attemptId:id}", summary="Get a delivery attempt")
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
        attempt = attempts.insert_attempt(
            db, tenant.id, plane_id, original["flow_id"], original["event_id"], original["target_id"], "manual"
        )
        queue_manual(db, attempt)
    request.app.state.deliverer.wake()
    return attempt_json(attempt)
