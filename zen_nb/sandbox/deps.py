"""What every route needs: the store, the caller's tenant, and the plane of the path.

They are ``async``: FastAPI would run a plain ``def`` on a worker thread, one hop each, and
under load each hop waits its turn for the interpreter's lock. The plane check is one point
read, answered on the loop by :func:`~.reads.read_now` (which leaves a read that would wait to a
worker thread). ``tenantId`` and ``planeId`` are declared here, once, so that every operation
under them documents them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from .data import NotFound, Store
from .data.catalog import plane_exists
from .data.tenants import Tenant
from .reads import read_now


async def get_store(request: Request) -> Store:
    """The app's database."""
    return request.app.state.store


async def get_tenant(
    request: Request,
    tenantId: Annotated[str, Path(description="your tenant's id (ZEN_TENANT_ID), e.g. tenant_demo")],  # noqa: N803
) -> Tenant:
    """The tenant that the auth middleware matched to the token and to ``tenantId``."""
    return request.state.tenant


async def get_plane_id(
    planeId: Annotated[str, Path(description="the plane (cluster) id (ZEN_PLANE_ID), e.g. plane_dev_us_east_1")],  # noqa: N803
    store: Annotated[Store, Depends(get_store)],
    tenant: Annotated[Tenant, Depends(get_tenant)],
) -> str:
    """The plane of the path, after checking that the tenant has it (404 ``plane_not_found``)."""
    if not await read_now(store, lambda db: plane_exists(db, tenant.id, planeId)):
        raise NotFound("plane", planeId)
    return planeId


StoreDep = Annotated[Store, Depends(get_store)]
TenantDep = Annotated[Tenant, Depends(get_tenant)]
PlaneDep = Annotated[str, Depends(get_plane_id)]
