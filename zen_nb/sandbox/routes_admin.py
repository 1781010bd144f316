"""The sandbox's own surface: ``/_sandbox/...`` with the admin token, and ``/health``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..vocabulary import VERSION
from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .admin_auth import ADMIN_HINT, BEARER_CHALLENGE, is_admin_token, presented_bearer, require_admin
from .data import NotFound
from .data.schema import clear_rows
from .data.settings import delete_outcome, list_outcomes, retry_schedule, set_retry_schedule
from .data.settings import set_outcome as store_outcome
from .data.targets import require_target
from .data.tenants import tenant_by_token, tenant_exists
from .deps import StoreDep
from .errors import ApiError
from .ids import new_id, new_token, token_digest
from .outcomes import Outcome, default_outcome
from .schemas import DeliverySettings, OutcomeSettings, SimulateRequest, TenantCreate
from .seed import DEMO_TENANT_ID, insert_tenant, seed_database
from .simulate import Simulation, default_start, simulate
from .timestamps import parse_timestamp

router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"], dependencies=[Depends(require_admin)])
health_router = APIRouter(tags=["sandbox admin"])
# Simulating traffic is open to a tenant's own token too (for its own tenant): a training room's
# notebooks fill their own history without the sandbox's admin token.
simulate_router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])


@health_router.get("/health", summary="Liveness: no token needed")
async def health() -> dict[str, Any]:
    # On the event loop on purpose: no database, no thread pool, so it answers while they are busy.
    return {"status": "ok", "service": "zen-nb sandbox", "version": VERSION}


@router.post("/reset", summary="Delete everything and seed the database again")
def reset(request: Request, store: StoreDep) -> dict[str, Any]:
    # One transaction: no request sees the database half reset. The delivery settings are rows
    # too, so they are back to their defaults; attempts in flight find their rows gone and stop.
    with store.transaction() as db:
        clear_rows(db)
        seed_database(db)
    request.app.state.join_limiter.forget()  # the class went with the rows: its failed joins too
    request.app.state.deliverer.wake()
    return {"reset": True, "tenantId": DEMO_TENANT_ID}


@router.post("/tenants", status_code=201, summary="Create a tenant (for a trainee or a test) and get its token")
def create_tenant(store: StoreDep, body: TenantCreate | None = None) -> dict[str, Any]:
    body = body or TenantCreate()
    tenant_id = new_id("tenant", 16)
    token = new_token()
    with store.transaction() as db:
        created_at = insert_tenant(db, tenant_id, body.name, body.plan, token, seed=body.seed)
    return {"id": tenant_id, "name": body.name, "plan": body.plan, "token": token, "createdAt": created_at}


_OUTCOME_PATH = "/tenants/{tenantId:id}/clusters/{planeId:id}/targets/{targetId:id}/outcome"


@router.put(_OUTCOME_PATH, summary="Set how a simulated target answers (success rate, latency, failures)")
def set_outcome(
    store: StoreDep,
    tenantId: str,  # noqa: N803
    planeId: str,  # noqa: N803
    targetId: str,  # noqa: N803
    body: OutcomeSettings,
) -> dict[str, Any]:
    with store.transaction() as db:
        target = require_target(db, tenantId, planeId, targetId)
        outcome = Outcome(
            success_rate=body.successRate,
            latency_ms=body.latencyMs,
            latency_spread=body.latencySpread,
            failures=list(body.failures) if body.failures else default_outcome(target["type"]).failures,
        )
        store_outcome(db, tenantId, planeId, targetId, outcome.as_json())
    return {"targetId": targetId, **outcome.as_json()}


@router.delete(_OUTCOME_PATH, status_code=204, summary="Give a target its kind's default outcome again")
def clear_outcome(store: StoreDep, tenantId: str, planeId: str, targetId: str) -> Response:  # noqa: N803
    with store.transaction() as db:
        delete_outcome(db, tenantId, planeId, targetId)
    return Response(status_code=204)


def _schedule_json(schedule: list[float]) -> dict[str, Any]:
    return {"retrySchedule": schedule, "maxAttempts": len(schedule) + 1}


@router.get("/delivery", summary="The automatic retry schedule, and the outcome models set per target")
def get_delivery(store: StoreDep) -> dict[str, Any]:
    with store.snapshot() as db:
        schedule = retry_schedule(db)
        outcomes = list_outcomes(db)
    return {
        **_schedule_json(schedule),
        "outcomes": [
            {"tenantId": stored.tenant_id, "planeId": stored.plane_id, "targetId": stored.target_id, **stored.model}
            for stored in outcomes
        ],
    }


@router.put("/delivery", summary="Set the automatic retry schedule (seconds after attempt 1, 2, ...)")
def set_delivery(store: StoreDep, body: DeliverySettings) -> dict[str, Any]:
    schedule = list(body.retrySchedule)
    with store.transaction() as db:
        set_retry_schedule(db, schedule)
    return _schedule_json(schedule)


def _simulating_tenant(request: Request, store: StoreDep, asked: str | None) -> str:
    """The tenant to simulate for: any with the admin token, only its own with a tenant token."""
    token = presented_bearer(request)
    if is_admin_token(request, token):
        tenant_id = asked or DEMO_TENANT_ID
        with store.snapshot() as db:
            if not tenant_exists(db, tenant_id):
                raise NotFound("tenant", tenant_id, field="tenantId")
        return tenant_id
    tenant = None
    if token:
        with store.snapshot() as db:
            tenant = tenant_by_token(db, token_digest(token))
    if tenant is None:
        raise ApiError(
            401,
            "unauthenticated",
            f"simulating traffic needs a tenant's API token or the admin token; {ADMIN_HINT}",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    if asked is not None and asked != tenant.id:
        raise ApiError(403, "forbidden", "a tenant's token simulates traffic for its own tenant only", field="tenantId")
    return tenant.id


@simulate_router.post("/simulate", status_code=201, summary="Write a seeded history of events and attempts")
def simulate_traffic(request: Request, store: StoreDep, body: SimulateRequest | None = None) -> dict[str, Any]:
    body = body or SimulateRequest()
    tenant_id = _simulating_tenant(request, store, body.tenantId)
    start = parse_timestamp(body.start, "start") if body.start else default_start(body.days)
    plan = Simulation(tenant_id, body.planeId, body.events, body.days, body.seed, body.failureRate, start, body.flowIds)
    return simulate(store, plan)
