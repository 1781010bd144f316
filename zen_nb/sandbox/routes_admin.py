"""The sandbox's own surface: ``/_sandbox/...`` with the admin token, and ``/health``."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from .. import __version__
from .deps import StoreDep
from .errors import ApiError
from .ids import new_id, new_token, token_digest
from .outcomes import Outcome, default_outcome
from .routes_attempts import parse_timestamp
from .schemas import DeliverySettings, OutcomeSettings, SimulateRequest, TenantCreate
from .seed import DEMO_TENANT_ID, insert_tenant, seed_database
from .simulate import Simulation, default_start, simulate
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
# Simulating traffic is open to a tenant's own token too (for its own tenant): a training room's
# notebooks fill their own history without the sandbox's admin token.
simulate_router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])


@health_router.get("/health", summary="Liveness: no token needed")
def health() -> dict[str, Any]:
    return {"status": "ok", "service": "zen-nb sandbox", "version": __version__}


@router.post("/reset", summary="Delete everything and seed the database again")
def reset(request: Request, store: StoreDep) -> dict[str, Any]:
    with store.transaction() as db:  # one transaction: no request sees the database half reset
        clear_rows(db)
        seed_database(db)
    request.app.state.deliverer.reset_settings()
    return {"reset": True, "tenantId": DEMO_TENANT_ID}


@router.post("/tenants", status_code=201, summary="Create a tenant (for a trainee or a test) and get its token")
def create_tenant(store: StoreDep, body: TenantCreate | None = None) -> dict[str, Any]:
    body = body or TenantCreate()
    tenant_id = new_id("tenant", 16)
    token = new_token()
    with store.transaction() as db:
        insert_tenant(db, tenant_id, body.name, body.plan, token, seed=body.seed)
    return {"id": tenant_id, "name": body.name, "plan": body.plan, "token": token, "createdAt": utc_now()}


def _target_type(store: StoreDep, tenant_id: str, plane_id: str, target_id: str) -> str:
    row = store.read_one(
        "SELECT type FROM targets WHERE tenant_id = ? AND plane_id = ? AND id = ?", (tenant_id, plane_id, target_id)
    )
    if row is None:
        raise ApiError(
            404, "target_not_found", f"target '{target_id}' does not exist on plane '{plane_id}' of '{tenant_id}'"
        )
    return row["type"]


_OUTCOME_PATH = "/tenants/{tenantId}/clusters/{planeId}/targets/{targetId}/outcome"


@router.put(_OUTCOME_PATH, summary="Set how a simulated target answers (success rate, latency, failures)")
def set_outcome(
    request: Request,
    store: StoreDep,
    tenantId: str,  # noqa: N803
    planeId: str,  # noqa: N803
    targetId: str,  # noqa: N803
    body: OutcomeSettings,
) -> dict[str, Any]:
    kind = _target_type(store, tenantId, planeId, targetId)
    outcome = Outcome(
        success_rate=body.successRate,
        latency_ms=body.latencyMs,
        latency_spread=body.latencySpread,
        failures=list(body.failures) if body.failures else default_outcome(kind).failures,
    )
    request.app.state.deliverer.outcomes[(tenantId, planeId, targetId)] = outcome
    return {"targetId": targetId, **outcome.as_json()}


@router.delete(_OUTCOME_PATH, status_code=204, summary="Give a target its kind's default outcome again")
def clear_outcome(request: Request, tenantId: str, planeId: str, targetId: str) -> Response:  # noqa: N803
    request.app.state.deliverer.outcomes.pop((tenantId, planeId, targetId), None)
    return Response(status_code=204)


def _delivery_settings(request: Request) -> dict[str, Any]:
    schedule = request.app.state.deliverer.retry_schedule
    return {"retrySchedule": schedule, "maxAttempts": len(schedule) + 1}


@router.get("/delivery", summary="The automatic retry schedule")
def get_delivery(request: Request) -> dict[str, Any]:
    return _delivery_settings(request)


@router.put("/delivery", summary="Set the automatic retry schedule (seconds after attempt 1, 2, ...)")
def set_delivery(request: Request, body: DeliverySettings) -> dict[str, Any]:
    request.app.state.deliverer.retry_schedule = list(body.retrySchedule)
    return _delivery_settings(request)


def _simulating_tenant(request: Request, store: StoreDep, asked: str | None) -> str:
    """The tenant to simulate for: any with the admin token, only its own with a tenant token."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), request.app.state.admin_token.encode()):
        tenant_id = asked or DEMO_TENANT_ID
        if store.read_one("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,)) is None:
            raise ApiError(404, "tenant_not_found", f"tenant '{tenant_id}' does not exist", field="tenantId")
        return tenant_id
    row = store.read_one("SELECT id FROM tenants WHERE token_sha256 = ?", (token_digest(token),)) if token else None
    if scheme.lower() != "bearer" or row is None:
        raise ApiError(
            401, "unauthenticated", f"simulating traffic needs a tenant's API token or the admin token; {ADMIN_HINT}"
        )
    if asked is not None and asked != row["id"]:
        raise ApiError(403, "forbidden", "a tenant's token simulates traffic for its own tenant only", field="tenantId")
    return row["id"]


@simulate_router.post("/simulate", status_code=201, summary="Write a seeded history of events and attempts")
def simulate_traffic(request: Request, store: StoreDep, body: SimulateRequest | None = None) -> dict[str, Any]:
    body = body or SimulateRequest()
    tenant_id = _simulating_tenant(request, store, body.tenantId)
    start = parse_timestamp(body.start, "start") if body.start else default_start(body.days)
    deliverer = request.app.state.deliverer
    plan = Simulation(tenant_id, body.planeId, body.events, body.days, body.seed, body.failureRate, start, body.flowIds)
    return simulate(store, plan, list(deliverer.retry_schedule), dict(deliverer.outcomes))
