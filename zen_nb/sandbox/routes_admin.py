"""The sandbox's own surface: ``/_sandbox/...`` with the admin token, and ``/health``."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, Request

from .. import __version__
from .deps import StoreDep
from .errors import ApiError
from .ids import new_id, new_token
from .schemas import TenantCreate
from .seed import DEMO_TENANT_ID, insert_tenant, seed_database
from .store import clear_rows, utc_now

ADMIN_HINT = "send 'Authorization: Bearer <admin token>': the admin token that the sandbox printed when it started"


def require_admin(request: Request) -> None:
    """401 unless the request carries this sandbox's admin token."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    expected: str = request.app.state.admin_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthenticated", f"this path needs the sandbox's admin token; {ADMIN_HINT}")


router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"], dependencies=[Depends(require_admin)])
health_router = APIRouter(tags=["sandbox admin"])


@health_router.get("/health", summary="Liveness: no token needed")
def health() -> dict[str, Any]:
    return {"status": "ok", "service": "zen-nb sandbox", "version": __version__}


@router.post("/reset", summary="Delete everything and seed the database again")
def reset(store: StoreDep) -> dict[str, Any]:
    with store.transaction() as db:  # one transaction: no request sees the database half reset
        clear_rows(db)
        seed_database(db)
    return {"reset": True, "tenantId": DEMO_TENANT_ID}


@router.post("/tenants", status_code=201, summary="Create a tenant (for a trainee or a test) and get its token")
def create_tenant(store: StoreDep, body: TenantCreate | None = None) -> dict[str, Any]:
    body = body or TenantCreate()
    tenant_id = new_id("tenant", 16)
    token = new_token()
    with store.transaction() as db:
        insert_tenant(db, tenant_id, body.name, body.plan, token, seed=body.seed)
    return {"id": tenant_id, "name": body.name, "plan": body.plan, "token": token, "createdAt": utc_now()}
