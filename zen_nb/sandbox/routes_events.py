"""Ingested events: an ingester accepts one, and every flow from that ingester will deliver it.

The answer (202) says which deliveries were queued or held; the deliveries themselves happen on
the delivery worker's thread (``delivery.py``), so ingesting never waits for a target.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from .delivery import queue_event
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError, not_found
from .ids import new_id
from .store import utc_now

router = APIRouter(prefix="/tenants/{tenantId}/clusters/{planeId}/ingesters/{ingesterId}", tags=["events"])


@router.post("/events", status_code=202, summary="Ingest an event: each flow from this ingester delivers it")
def ingest_event(
    ingesterId: str,  # noqa: N803
    payload: Annotated[Any, Body(description="the event, as the provider sends it: a JSON object")],
    request: Request,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "an event must be a JSON object ({...}), as the provider sends it")
    event_id = new_id("evt")
    created_at = utc_now()
    with store.transaction() as db:
        exists = db.execute(
            "SELECT 1 FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND id = ?",
            (tenant["id"], plane_id, ingesterId),
        ).fetchone()
        if exists is None:
            raise not_found(
                "ingester", ingesterId, f"GET .../clusters/{plane_id}/ingesters lists the plane's ingesters"
            )
        db.execute(
            "INSERT INTO events (tenant_id, plane_id, id, ingester_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (tenant["id"], plane_id, event_id, ingesterId, json.dumps(payload, ensure_ascii=False), created_at),
        )
        deliveries = queue_event(db, tenant["id"], plane_id, ingesterId, event_id)
    request.app.state.deliverer.wake()
    return {"id": event_id, "ingesterId": ingesterId, "createdAt": created_at, "deliveries": deliveries}
