"""Delivery attempts: list (with the contract's filters), get one, and retry one by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from .delivery import ATTEMPT_COLUMNS, attempt_json
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError, not_found
from .ids import new_id
from .pagination import CursorParam, LimitParam, decode_cursor, page
from .store import utc_now

router = APIRouter(prefix="/tenants/{tenantId}/clusters/{planeId}/delivery-attempts", tags=["delivery attempts"])

TimeParam = Annotated[str | None, Query(max_length=64, description="ISO 8601 timestamp, e.g. 2024-01-15T10:30:00Z")]


def parse_timestamp(value: str, field: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive means UTC); 400 names the field."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, "invalid_field", f"{field} must be an ISO 8601 timestamp, e.g. 2024-01-15T10:30:00Z", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _timestamp(value: str | None, field: str) -> str | None:
    """A filter's timestamp in the stored form (UTC, milliseconds, Z), so strings compare in time order."""
    if value is None:
        return None
    parsed = parse_timestamp(value, field)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def _load_attempt(store: StoreDep, tenant_id: str, plane_id: str, attempt_id: str) -> Any:
    row = store.read_one(
        f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE tenant_id = ? AND plane_id = ? AND id = ?",  # noqa: S608
        (tenant_id, plane_id, attempt_id),
    )
    if row is None:
        raise not_found("attempt", attempt_id, f"GET .../clusters/{plane_id}/delivery-attempts lists them")
    return row


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
    sql = f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE tenant_id = ? AND plane_id = ? AND seq > ?"  # noqa: S608
    params: list[Any] = [tenant["id"], plane_id, decode_cursor(cursor)]
    for column, value in (
        ("flow_id", flowId),
        ("event_id", eventId),
        ("target_id", targetId),
        ("status", status),
    ):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    if since is not None:
        sql += " AND created_at >= ?"
        params.append(_timestamp(since, "since"))
    if until is not None:
        sql += " AND created_at < ?"
        params.append(_timestamp(until, "until"))
    rows = store.read(sql + " ORDER BY seq LIMIT ?", (*params, limit + 1))
    return page(rows, limit, attempt_json)


@router.get("/{attemptId}", summary="Get a delivery attempt")
def get_attempt(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, attemptId: str) -> dict:  # noqa: N803
    return attempt_json(_load_attempt(store, tenant["id"], plane_id, attemptId))


@router.post("/{attemptId}/retry", status_code=202, summary="Retry by hand: a new attempt, trigger manual")
def retry_attempt(
    request: Request,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    attemptId: str,  # noqa: N803
) -> dict[str, Any]:
    original = _load_attempt(store, tenant["id"], plane_id, attemptId)
    attempt_id = new_id("att")
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM flows WHERE id = ?", (original["flow_id"],)).fetchone() is None:
            raise not_found("flow", original["flow_id"], "the attempt's flow was deleted: nothing can be retried")
        number = db.execute(
            "SELECT MAX(attempt_number) FROM attempts WHERE flow_id = ? AND event_id = ? AND target_id = ?",
            (original["flow_id"], original["event_id"], original["target_id"]),
        ).fetchone()[0]
        values = (
            tenant["id"],
            plane_id,
            attempt_id,
            original["flow_id"],
            original["event_id"],
            original["target_id"],
            number + 1,
        )
        db.execute(
            "INSERT INTO attempts (tenant_id, plane_id, id, flow_id, event_id, target_id, attempt_number, trigger,"
            " status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', 'pending', ?)",
            (*values, utc_now()),
        )
        db.execute(
            "INSERT INTO deliveries (tenant_id, plane_id, attempt_id, flow_id, event_id, target_id, attempt_number,"
            " trigger, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', ?)",
            (*values, time.time()),
        )
        row = db.execute(f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?", (attempt_id,)).fetchone()  # noqa: S608
    request.app.state.deliverer.wake()
    return attempt_json(row)
