"""v1 delivery flows: ``/v1/tenants/{tenantId}/delivery-flows``, over the recipe form's flows.

A flow made here is the same row as one made at ``.../clusters/{planeId}/delivery-flows``, and
the other way round: the v1 form shows its plane as ``cluster_id``, its (first) target as
``destination_id``, and its own retry policy as ``config.retry_policy``. ``PUT`` is a partial
update, as the vendor's flows page has it; ``status`` pauses or resumes.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from .. import (
    paths,  # noqa: F401 - registers the "id" path convertor of the routes below
    routes_flows,
)
from ..data import NameTaken, flows
from ..data.activity import FLOW_NAME_CONFLICT, note_activity
from ..data.catalog import ingester_exists, plane_exists
from ..data.deliveries import release_held
from ..data.flows import RetryPolicy
from ..data.tenants import Tenant
from ..data.v1_resources import find_flow, find_target, list_flows, planes_with_ingester, planes_with_target
from ..deps import StoreDep, TenantDep
from ..errors import ApiError
from ..ids import new_id
from ..reads import read_now
from . import render
from .common import PREFIX, TAG, ClusterParam, not_found
from .listing import DEFAULT_LIMIT, CursorParam, LimitParam, first_below, list_key, page
from .models import FlowConfigBody, FlowCreateV1, FlowListV1, FlowUpdateV1, FlowV1

router = APIRouter(prefix=PREFIX + "/delivery-flows", tags=[TAG])


def flow_plane(db: sqlite3.Connection, tenant: Tenant, body: FlowCreateV1) -> str:
    """The plane of a new flow: ``cluster_id``, else the one plane whose ingester ``source_id`` is
    (narrowed to the planes that have ``destination_id`` when several do: the seed's planes share
    ingester ids); a 404 or a 400 that says which to send otherwise."""
    if body.cluster_id is not None:
        if not plane_exists(db, tenant.id, body.cluster_id):
            raise not_found("plane", body.cluster_id, tenant.id, field="cluster_id")
        if not ingester_exists(db, tenant.id, body.cluster_id, body.source_id):
            raise ApiError(
                404,
                "ingester_not_found",
                f"ingester '{body.source_id}' does not exist on plane '{body.cluster_id}'; "
                f"GET /tenants/{tenant.id}/clusters/{body.cluster_id}/ingesters lists them",
                field="source_id",
            )
        return body.cluster_id
    candidates = planes_with_ingester(db, tenant.id, body.source_id)
    if not candidates:
        raise not_found("ingester", body.source_id, tenant.id, field="source_id")
    if len(candidates) > 1:
        candidates = [plane for plane in candidates if plane in planes_with_target(db, tenant.id, body.destination_id)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise not_found("destination", body.destination_id, tenant.id, field="destination_id")
    raise ApiError(
        400,
        "cluster_id_required",
        f"ingester '{body.source_id}' and destination '{body.destination_id}' are on several planes "
        f"({', '.join(candidates)}); send cluster_id to say which",
        field="cluster_id",
    )


def policy_changes(config: FlowConfigBody | None) -> dict[str, Any]:
    """The columns a ``config`` sets (:func:`data.flows.policy_columns` of its ``retry_policy``)."""
    return flows.policy_columns(config, "retry_policy", ("max_attempts", "backoff_seconds"))


def render_flow(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    return render.flow_json(row, flows.targets_of(db, [row["id"]])[row["id"]][0])


def require_flow(db: sqlite3.Connection, tenant: Tenant, flow_id: str) -> sqlite3.Row:
    row = find_flow(db, tenant.id, flow_id)
    if row is None:
        raise not_found("flow", flow_id, tenant.id)
    return row


def _require_destination(db: sqlite3.Connection, tenant: Tenant, target_id: str, plane_id: str) -> sqlite3.Row:
    target = find_target(db, tenant.id, target_id, plane_id)
    if target is None:
        raise ApiError(
            404,
            "target_not_found",
            f"destination '{target_id}' does not exist on the flow's plane '{plane_id}'; "
            f"GET /v1/tenants/{tenant.id}/destinations?cluster_id={plane_id} lists them",
            field="destination_id",
        )
    return target


@router.post(
    "", status_code=201, response_model=FlowV1, operation_id="v1CreateDeliveryFlow", summary="Create a delivery flow"
)
def create_flow(body: FlowCreateV1, store: StoreDep, tenant: TenantDep, response: Response) -> dict[str, Any]:
    policy = RetryPolicy.of_columns(policy_changes(body.config))
    flow_id = new_id("flow")
    try:
        with store.transaction() as db:
            plane_id = flow_plane(db, tenant, body)
            target = _require_destination(db, tenant, body.destination_id, plane_id)
            row = flows.insert_flow(
                db,
                tenant.id,
                plane_id,
                flow_id,
                name=body.name,
                source=body.source_id,
                description=body.description,
                status=body.status,
                target_ids=[target["id"]],
                retry=policy,
            )
            created = render_flow(db, row)
    except NameTaken:
        with store.transaction() as db:  # as on the recipe form: the exercise checks read it
            note_activity(db, tenant.id, FLOW_NAME_CONFLICT, body.name)
        raise
    response.headers["Location"] = f"/v1/tenants/{tenant.id}/delivery-flows/{flow_id}"
    return created


@router.get(
    "", response_model=FlowListV1, operation_id="v1ListDeliveryFlows", summary="List delivery flows, newest first"
)
def list_delivery_flows(
    store: StoreDep,
    tenant: TenantDep,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    cluster_id: ClusterParam = None,
    status: Literal["active", "paused"] | None = Query(None, description="only flows in this status"),
    source_id: str | None = Query(None, max_length=128, description="only flows from this ingester"),
) -> dict[str, Any]:
    key = list_key("v1_flows", tenant.id, cluster_id, status=status, source_id=source_id)
    before = first_below(cursor, key)
    with store.snapshot() as db:
        rows = list_flows(db, tenant.id, before, limit, plane_id=cluster_id, status=status, source=source_id)
        targets = flows.targets_of(db, [row["id"] for row in rows[:limit]])
    return page(rows, limit, lambda row: render.flow_json(row, targets[row["id"]][0]), key, "delivery_flows")


@router.get("/{flowId:id}", response_model=FlowV1, operation_id="v1GetDeliveryFlow", summary="Get a delivery flow")
async def get_flow(store: StoreDep, tenant: TenantDep, flowId: str) -> dict[str, Any]:  # noqa: N803
    return await read_now(store, lambda db: render_flow(db, require_flow(db, tenant, flowId)))


@router.put(
    "/{flowId:id}",
    response_model=FlowV1,
    operation_id="v1UpdateDeliveryFlow",
    summary="Update a delivery flow (any of its fields; status pauses or resumes)",
)
def update_flow(
    request: Request,
    flowId: str,  # noqa: N803
    body: FlowUpdateV1,
    store: StoreDep,
    tenant: TenantDep,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, include={"name", "description", "status"})
    with store.transaction() as db:
        row = require_flow(db, tenant, flowId)
        if body.source_id is not None and body.source_id != row["source"]:
            raise ApiError(
                400,
                "source_immutable",
                f"a flow's source cannot change (it is '{row['source']}'); create a new flow from "
                f"'{body.source_id}' instead",
                field="source_id",
            )
        changes.update(policy_changes(body.config))
        if body.destination_id is not None:
            target = _require_destination(db, tenant, body.destination_id, row["plane_id"])
            flows.set_targets(db, tenant.id, row["plane_id"], flowId, [target["id"]])
        if changes or body.destination_id is not None:
            routes_flows.note_status_change(db, row, changes.get("status"))
            row = flows.update_flow(db, row, changes)
        if changes.get("status") == "active":
            release_held(db, flowId)  # resuming delivers what the pause held, as on the recipe form
        flow = render_flow(db, row)
    request.app.state.deliverer.wake()
    return flow


@router.delete("/{flowId:id}", status_code=204, operation_id="v1DeleteDeliveryFlow", summary="Delete a delivery flow")
def delete_flow(store: StoreDep, tenant: TenantDep, flowId: str) -> Response:  # noqa: N803
    row = read_plane(store, tenant, flowId)
    # The recipe form's delete: a manual attempt still queued ends failed 'flow_deleted'.
    return routes_flows.delete_flow(store=store, tenant=tenant, plane_id=row, flowId=flowId)


def read_plane(store: StoreDep, tenant: Tenant, flow_id: str) -> str:
    """The plane of the tenant's flow (404 if it has none of this id)."""
    with store.snapshot() as db:
        return require_flow(db, tenant, flow_id)["plane_id"]
