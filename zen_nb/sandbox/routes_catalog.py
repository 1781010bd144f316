"""The read-only part of a tenant: the tenant itself, its planes, adapters and ingesters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .deps import PlaneDep, StoreDep, TenantDep
from .errors import not_found
from .pagination import CursorParam, LimitParam, decode_cursor, page

router = APIRouter(prefix="/tenants/{tenantId}", tags=["tenant"])


def plane_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "region": row["region"], "createdAt": row["created_at"]}


def ingester_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "adapterId": row["adapter_id"],
        "type": row["type"],
        "createdAt": row["created_at"],
    }


@router.get("", summary="Get the tenant")
def get_tenant_route(tenant: TenantDep) -> dict[str, Any]:
    return {"id": tenant["id"], "name": tenant["name"], "plan": tenant["plan"]}


@router.get("/clusters", summary="List planes")
def list_planes(store: StoreDep, tenant: TenantDep, limit: LimitParam = 50, cursor: CursorParam = None) -> dict:
    rows = store.read(
        "SELECT * FROM planes WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (tenant["id"], decode_cursor(cursor), limit + 1),
    )
    return page(rows, limit, plane_json)


@router.get("/clusters/{planeId}", summary="Get a plane")
def get_plane(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep) -> dict[str, Any]:
    row = store.read_one("SELECT * FROM planes WHERE tenant_id = ? AND id = ?", (tenant["id"], plane_id))
    return plane_json(row)


@router.get("/clusters/{planeId}/adapters", summary="List the plane's adapters")
def list_adapters(
    store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> dict:
    rows = store.read(
        "SELECT a.seq, a.id, a.kind, a.created_at,"
        " (SELECT group_concat(i.id, ',') FROM (SELECT id FROM ingesters i WHERE i.tenant_id = a.tenant_id"
        "  AND i.plane_id = a.plane_id AND i.adapter_id = a.id ORDER BY i.seq) i) AS ingester_ids"
        " FROM adapters a WHERE a.tenant_id = ? AND a.plane_id = ? AND a.seq > ? ORDER BY a.seq LIMIT ?",
        (tenant["id"], plane_id, decode_cursor(cursor), limit + 1),
    )
    return page(
        rows,
        limit,
        lambda row: {
            "id": row["id"],
            "kind": row["kind"],
            "ingesterIds": row["ingester_ids"].split(",") if row["ingester_ids"] else [],
            "createdAt": row["created_at"],
        },
    )


@router.get("/clusters/{planeId}/ingesters", summary="List the plane's ingesters (flow sources)")
def list_ingesters(
    store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> dict:
    rows = store.read(
        "SELECT * FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (tenant["id"], plane_id, decode_cursor(cursor), limit + 1),
    )
    return page(rows, limit, ingester_json)


@router.get("/clusters/{planeId}/ingesters/{ingesterId}", summary="Get an ingester")
def get_ingester(store: StoreDep, tenant: TenantDep, plane_id: PlaneDep, ingesterId: str) -> dict:  # noqa: N803
    row = store.read_one(
        "SELECT * FROM ingesters WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant["id"], plane_id, ingesterId)
    )
    if row is None:
        raise not_found("ingester", ingesterId, f"GET .../clusters/{plane_id}/ingesters lists the plane's ingesters")
    return ingester_json(row)
