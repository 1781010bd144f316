"""The read-only part of a tenant: the tenant itself, its planes, adapters and ingesters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .data import NotFound, catalog
from .deps import PlaneDep, StoreDep, TenantDep
from .pagination import CursorParam, LimitParam, decode_cursor, list_key, page
from .reads import read_now

router = APIRouter(prefix="/tenants/{tenantId:id}", tags=["tenant"])


# Every plane of the sandbox is usable: the status the "List Planes" recipe reads as ready.
PLANE_STATUS = "ready"


def plane_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "region": row["region"],
        "status": PLANE_STATUS,
        "createdAt": row["created_at"],
    }


def adapter_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "ingesterIds": row["ingester_ids"].split(",") if row["ingester_ids"] else [],
        "createdAt": row["created_at"],
    }


def ingester_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "adapterId": row["adapter_id"],
        "type": row["type"],
        "createdAt": row["created_at"],
    }


@router.get("", summary="Get the tenant")
async def get_tenant_route(tenant: TenantDep) -> dict[str, Any]:
    return {"id": tenant.id, "name": tenant.name, "plan": tenant.plan}


@router.get("/clusters", summary="List planes")
def list_planes(store: StoreDep, tenant: TenantDep, limit: LimitParam = 50, cursor: CursorParam = None) -> dict:
    key = list_key("planes", tenant.id)
    after = decode_cursor(cursor, key)
    with store.snapshot() as db:
        rows = catalog.list_planes(db, tenant.id, after, limit)
    return page(rows, limit, plane_json, key, items="clusters")


@router.get("/clusters/{planeId:id}", summary="Get a plane")
async def get_plane(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep) -> dict[str, Any]:
    row = await read_now(store, lambda db: catalog.get_plane(db, tenant.id, plane_id))
    if row is None:  # deleted since the plane check: only a reset does that
        raise NotFound("plane", plane_id)
    return plane_json(row)


@router.get("/clusters/{planeId:id}/adapters", summary="List the plane's adapters")
def list_adapters(
    store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> dict:
    key = list_key("adapters", tenant.id, plane_id)
    after = decode_cursor(cursor, key)
    with store.snapshot() as db:
        rows = catalog.list_adapters(db, tenant.id, plane_id, after, limit)
    return page(rows, limit, adapter_json, key, items="adapters")


@router.get("/clusters/{planeId:id}/ingesters", summary="List the plane's ingesters (flow sources)")
def list_ingesters(
    store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> dict:
    key = list_key("ingesters", tenant.id, plane_id)
    after = decode_cursor(cursor, key)
    with store.snapshot() as db:
        rows = catalog.list_ingesters(db, tenant.id, plane_id, after, limit)
    return page(rows, limit, ingester_json, key, items="ingesters")


@router.get("/clusters/{planeId:id}/ingesters/{ingesterId:id}", summary="Get an ingester")
async def get_ingester(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, ingesterId: str) -> dict:  # noqa: N803
    row = await read_now(store, lambda db: catalog.get_ingester(db, tenant.id, plane_id, ingesterId))
    if row is None:
        raise NotFound("ingester", ingesterId, plane_id)
    return ingester_json(row)
