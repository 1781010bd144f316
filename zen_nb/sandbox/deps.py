"""What every route needs: the store, the caller's tenant, and the plane of the path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from .errors import not_found
from .store import Store

PLANE_HINT = "check ZEN_PLANE_ID (GET /tenants/{tenantId}/clusters lists your planes)"


def get_store(request: Request) -> Store:
    """The app's database."""
    return request.app.state.store


def get_tenant(request: Request) -> dict[str, Any]:
    """The tenant that the auth middleware matched to the token and the path."""
    return request.state.tenant


def get_plane_id(
    planeId: Annotated[str, Path(description="the plane (cluster) id, e.g. plane_dev_us_east_1")],  # noqa: N803
    store: Annotated[Store, Depends(get_store)],
    tenant: Annotated[dict, Depends(get_tenant)],
) -> str:
    """The plane of the path, after checking that the tenant has it (404 ``plane_not_found``)."""
    if store.read_one("SELECT 1 FROM planes WHERE tenant_id = ? AND id = ?", (tenant["id"], planeId)) is None:
        raise not_found("plane", planeId, PLANE_HINT)
    return planeId


StoreDep = Annotated[Store, Depends(get_store)]
TenantDep = Annotated[dict, Depends(get_tenant)]
PlaneDep = Annotated[str, Depends(get_plane_id)]
