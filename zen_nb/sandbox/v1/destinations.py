"""v1 destinations: ``/v1/tenants/{tenantId}/destinations``, the recipe form's targets.

Every write is the recipe form's own operation (``routes_targets``), on the plane the v1 request
names (``cluster_id``; a new destination without one goes to the tenant's first plane, a
destination's id finds its plane): one target, whichever form made or changed it.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from .. import (
    paths,  # noqa: F401 - registers the "id" path convertor of the routes below
    routes_targets,
)
from ..data.catalog import plane_exists
from ..data.tenants import Tenant
from ..data.v1_resources import find_target, first_plane, list_targets
from ..deps import StoreDep, TenantDep
from ..reads import read_now
from . import render
from .common import PREFIX, TAG, ClusterParam, not_found
from .listing import DEFAULT_LIMIT, CursorParam, LimitParam, first_below, list_key, page
from .models import DestinationCreateV1, DestinationListV1, DestinationUpdateV1, DestinationV1

router = APIRouter(prefix=PREFIX + "/destinations", tags=[TAG])


def _require(db: sqlite3.Connection, tenant: Tenant, destination_id: str) -> sqlite3.Row:
    row = find_target(db, tenant.id, destination_id)
    if row is None:
        raise not_found("destination", destination_id, tenant.id)
    return row


def _plane_of(store: StoreDep, tenant: Tenant, destination_id: str) -> str:
    with store.snapshot() as db:
        return _require(db, tenant, destination_id)["plane_id"]


def _shown(store: StoreDep, tenant: Tenant, destination_id: str) -> dict[str, Any]:
    with store.snapshot() as db:
        return render.destination_json(_require(db, tenant, destination_id))


@router.post(
    "",
    status_code=201,
    response_model=DestinationV1,
    operation_id="v1CreateDestination",
    summary="Create a destination",
)
def create_destination(
    body: DestinationCreateV1, store: StoreDep, tenant: TenantDep, response: Response
) -> dict[str, Any]:
    with store.snapshot() as db:
        if body.cluster_id is not None and not plane_exists(db, tenant.id, body.cluster_id):
            raise not_found("plane", body.cluster_id, tenant.id, field="cluster_id")
        plane_id = body.cluster_id or first_plane(db, tenant.id)
    if plane_id is None:
        raise not_found("plane", "(none)", tenant.id, field="cluster_id")
    created = routes_targets.create_target(
        body=body.target_body(), store=store, tenant=tenant, plane_id=plane_id, response=response
    )
    response.headers["Location"] = f"/v1/tenants/{tenant.id}/destinations/{created['id']}"
    with store.snapshot() as db:
        return render.destination_json(find_target(db, tenant.id, created["id"], plane_id))


@router.get(
    "", response_model=DestinationListV1, operation_id="v1ListDestinations", summary="List destinations, newest first"
)
def list_destinations(
    store: StoreDep,
    tenant: TenantDep,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    cluster_id: ClusterParam = None,
    type: Literal["stripe", "http", "slack", "s3"] | None = Query(None, description="only of this type"),  # noqa: A002
) -> dict[str, Any]:
    key = list_key("v1_destinations", tenant.id, cluster_id, type=type)
    before = first_below(cursor, key)
    with store.snapshot() as db:
        rows = list_targets(db, tenant.id, before, limit, plane_id=cluster_id, type=type)
    return page(rows, limit, render.destination_json, key, "destinations")


@router.get(
    "/{destinationId:id}", response_model=DestinationV1, operation_id="v1GetDestination", summary="Get a destination"
)
async def get_destination(store: StoreDep, tenant: TenantDep, destinationId: str) -> dict[str, Any]:  # noqa: N803
    return await read_now(store, lambda db: render.destination_json(_require(db, tenant, destinationId)))


@router.patch(
    "/{destinationId:id}",
    response_model=DestinationV1,
    operation_id="v1UpdateDestination",
    summary="Update a destination (name, url, config, status)",
)
def update_destination(
    destinationId: str,  # noqa: N803
    body: DestinationUpdateV1,
    store: StoreDep,
    tenant: TenantDep,
) -> dict[str, Any]:
    plane_id = _plane_of(store, tenant, destinationId)
    routes_targets.update_target(targetId=destinationId, body=body, store=store, tenant=tenant, plane_id=plane_id)
    return _shown(store, tenant, destinationId)


@router.delete(
    "/{destinationId:id}",
    status_code=204,
    operation_id="v1DeleteDestination",
    summary="Delete a destination that no flow uses",
)
def delete_destination(store: StoreDep, tenant: TenantDep, destinationId: str) -> Response:  # noqa: N803
    plane_id = _plane_of(store, tenant, destinationId)
    return routes_targets.delete_target(store=store, tenant=tenant, plane_id=plane_id, targetId=destinationId)
