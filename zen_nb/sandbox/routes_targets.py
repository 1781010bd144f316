"""Targets, the destinations of flows: full CRUD on a plane."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .data import targets
from .deps import PlaneDep, StoreDep, TenantDep
from .errors import ApiError
from .ids import new_id
from .pagination import CursorParam, LimitParam, decode_cursor, list_key, page
from .reads import read_now
from .schemas import TargetCreate, TargetUpdate

router = APIRouter(prefix="/tenants/{tenantId:id}/clusters/{planeId:id}/targets", tags=["targets"])

USERS_SHOWN = 5  # a 409 target_in_use names this many of the flows that use the target


def target_json(row: Any) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "url": row["url"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
    if row["description"] is not None:
        out["description"] = row["description"]
    return out


@router.post("", status_code=201, summary="Create a target")
def create_target(
    body: TargetCreate, store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, response: Response
) -> dict:
    if body.type == "http" and body.url is None:
        raise ApiError(400, "invalid_field", "a target of type 'http' needs a 'url' to deliver to", field="url")
    target_id = new_id("dest")
    with store.transaction() as db:
        row = targets.insert_target(
            db,
            tenant.id,
            plane_id,
            target_id,
            name=body.name,
            type=body.type,
            url=body.url,
            description=body.description,
        )
    response.headers["Location"] = f"/tenants/{tenant.id}/clusters/{plane_id}/targets/{target_id}"
    return target_json(row)


@router.get("", summary="List targets")
def list_targets(
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    type: Literal["stripe", "http", "slack", "s3"] | None = Query(None, description="only targets of this type"),  # noqa: A002
) -> dict:
    key = list_key("targets", tenant.id, plane_id, type=type)
    after = decode_cursor(cursor, key)
    with store.snapshot() as db:
        rows = targets.list_targets(db, tenant.id, plane_id, after, limit, type=type)
    return page(rows, limit, target_json, key)


@router.get("/{targetId:id}", summary="Get a target")
async def get_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> dict:  # noqa: N803
    return target_json(await read_now(store, lambda db: targets.require_target(db, tenant.id, plane_id, targetId)))


@router.patch("/{targetId:id}", summary="Update a target")
def update_target(
    targetId: str,  # noqa: N803
    body: TargetUpdate,
    store: StoreDep,
    tenant: TenantDep,
    plane_id: PlaneDep,
) -> dict:
    changes = body.model_dump(exclude_unset=True)
    with store.transaction() as db:
        row = targets.require_target(db, tenant.id, plane_id, targetId)
        if changes.get("type", row["type"]) != row["type"]:
            raise ApiError(
                400,
                "type_immutable",
                f"a target's type cannot change (it is '{row['type']}'); create a new target of type "
                f"'{changes['type']}' and point the flows at it",
                field="type",
            )
        changes.pop("type", None)
        if row["type"] == "http" and "url" in changes and changes["url"] is None:
            raise ApiError(400, "invalid_field", "a target of type 'http' needs a 'url'", field="url")
        return target_json(targets.update_target(db, row, changes))


@router.delete("/{targetId:id}", status_code=204, summary="Delete a target that no flow uses")
def delete_target(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, targetId: str) -> Response:  # noqa: N803
    with store.transaction() as db:
        row = targets.require_target(db, tenant.id, plane_id, targetId)
        users = targets.flows_using_target(db, tenant.id, plane_id, targetId, limit=USERS_SHOWN + 1)
        if users:
            names = ", ".join(f"'{name}'" for name in users[:USERS_SHOWN])
            raise ApiError(
                409,
                "target_in_use",
                f"target '{targetId}' is used by flow(s) {names}{', ...' if len(users) > USERS_SHOWN else ''}; "
                "delete those flows or point them at another target first",
            )
        targets.delete_target(db, row)
    return Response(status_code=204)
