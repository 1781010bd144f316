"""Ingested events: an ingester accepts one, and every flow from that ingester will deliver it.

The answer (202) says which deliveries were queued or held; the deliveries themselves happen on
the delivery engine's threads (``delivery.py``), so ingesting never waits for a target.

A tenant whose queue is full (:data:`MAX_QUEUED_PER_TENANT` deliveries waiting, typically for a
target that is slow or down) gets a 429 ``delivery_queue_full`` with ``Retry-After``, and nothing
is stored: as for a rate limit, the sender keeps the event and sends it again later, while the
tenant's backlog, not the sandbox's memory or disk, is what grows.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .data import NotFound, utc_now
from .data.catalog import ingester_exists
from .data.deliveries import Queued, queue_event, queued_count
from .data.events import insert_event
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError
from .ids import new_id
from .queue_bound import require_room

router = APIRouter(prefix="/tenants/{tenantId:id}/clusters/{planeId:id}/ingesters/{ingesterId:id}", tags=["events"])


def queued_json(delivery: Queued) -> dict[str, str]:
    """One delivery of the answer: its flow, its target, and whether it was queued or held."""
    return {"flowId": delivery.flow_id, "targetId": delivery.target_id, "state": "held" if delivery.held else "queued"}


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
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # JSON may escape half of a UTF-16 pair alone: no text can hold it
        raise ApiError(
            400, "invalid_json", "the event holds a lone surrogate escape (\\ud800-\\udfff); send valid Unicode text"
        ) from None
    with store.transaction() as db:
        if not ingester_exists(db, tenant.id, plane_id, ingesterId):
            raise NotFound("ingester", ingesterId, plane_id)
        waiting = queued_count(db, tenant.id)
        insert_event(db, tenant.id, plane_id, event_id, ingesterId, text, created_at)
        deliveries = queue_event(db, tenant.id, plane_id, ingesterId, event_id)
        # Raised inside the transaction, so the event rolls back with its deliveries.
        require_room(db, tenant.id, len(deliveries), "this event", waiting=waiting)
    request.app.state.deliverer.wake()
    return {
        "id": event_id,
        "ingesterId": ingesterId,
        "createdAt": created_at,
        "deliveries": [queued_json(delivery) for delivery in deliveries],
    }
