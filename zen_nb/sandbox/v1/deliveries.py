"""v1 deliveries: ``/v1/tenants/{tenantId}/deliveries``, the recipe form's delivery attempts.

One delivery here is one attempt there (same id), across the tenant's planes, newest first,
with the v1 status words (``data/v1_deliveries.py`` computes them in SQL). The DLQ is the view
``status=failed``: attempts that failed with nothing to follow them. ``since``/``until`` and
``from``/``to`` are two spellings of one window (inclusive, exclusive) on ``attempted_at``; sent
under both names, both bounds hold.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from .. import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from ..data.attempts import position_exists
from ..data.v1_deliveries import get_delivery, list_deliveries
from ..deps import StoreDep, TenantDep
from ..pagination import position_gone
from ..reads import read_now
from .common import PREFIX, TAG, ClusterParam, TimeParam, not_found, window
from .listing import DEFAULT_LIMIT, CursorParam, LimitParam, first_below, list_key, page
from .models import DeliveryListV1, DeliveryStatus, DeliveryV1
from .render import delivery_json

router = APIRouter(prefix=PREFIX + "/deliveries", tags=[TAG])

IdParam = Annotated[str | None, Query(max_length=128)]


@router.get(
    "",
    response_model=DeliveryListV1,
    operation_id="v1ListDeliveries",
    summary="List deliveries, newest first (status=failed: the DLQ)",
)
def list_tenant_deliveries(
    store: StoreDep,
    tenant: TenantDep,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    status: DeliveryStatus | None = Query(None, description="delivered, failed (the DLQ), retrying or pending"),
    destination_id: IdParam = None,
    event_id: IdParam = None,
    flow_id: IdParam = None,
    cluster_id: ClusterParam = None,
    since: TimeParam = None,
    until: TimeParam = None,
    from_: str | None = Query(None, alias="from", max_length=64, description="since's other name (ISO 8601)"),
    to: str | None = Query(None, max_length=64, description="until's other name (ISO 8601)"),
) -> dict[str, Any]:
    since_at = window(since, from_, ("since", "from"), latest=True)
    until_at = window(until, to, ("until", "to"), latest=False)
    filters = {
        "status": status,
        "destination_id": destination_id,
        "event_id": event_id,
        "flow_id": flow_id,
        "since": since_at,
        "until": until_at,
    }
    key = list_key("v1_deliveries", tenant.id, cluster_id, **filters)
    before = first_below(cursor, key)
    with store.snapshot() as db:
        if cursor is not None and not position_exists(db, tenant.id, before):
            raise position_gone()
        rows = list_deliveries(
            db,
            tenant.id,
            before,
            limit,
            plane_id=cluster_id,
            flow_id=flow_id,
            event_id=event_id,
            target_id=destination_id,
            status=status,
            since=since_at,
            until=until_at,
        )
    return page(rows, limit, delivery_json, key, "deliveries")


@router.get("/{deliveryId:id}", response_model=DeliveryV1, operation_id="v1GetDelivery", summary="Get a delivery")
async def get_tenant_delivery(store: StoreDep, tenant: TenantDep, deliveryId: str) -> dict[str, Any]:  # noqa: N803
    row = await read_now(store, lambda db: get_delivery(db, tenant.id, deliveryId))
    if row is None:
        raise not_found("delivery", deliveryId, tenant.id)
    return delivery_json(row)
