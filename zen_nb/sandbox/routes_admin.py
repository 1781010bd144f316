"""The sandbox's own surface: ``/_sandbox/...`` with the admin token, and ``/health``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..vocabulary import VERSION
from . import paths  # noqa: F401 - registers the "id" path convertor of the routes below
from .admin_auth import require_admin
from .data.schema import clear_rows
from .data.settings import delete_outcome, list_outcomes, retry_schedule, set_retry_schedule
from .data.settings import set_outcome as store_outcome
from .data.targets import require_target
from .deps import StoreDep
from .ids import new_id, new_token
from .outcomes import Outcome, default_outcome
from .schemas import DeliverySettings, OutcomeSettings, SimulateRequest, TenantCreate
from .seed import DEMO_TENANT_ID, insert_tenant, seed_database
from .simulate import Simulation, default_start, simulate
from .tenant_scope import acting_tenant
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


@simulate_router.post("/simulate", status_code=201, summary="Write a seeded history of events and attempts")
def simulate_traffic(request: Request, store: StoreDep, body: SimulateRequest | None = None) -> dict[str, Any]:
    body = body or SimulateRequest()
    tenant_id = acting_tenant(request, store, body.tenantId, "simulating traffic") or DEMO_TENANT_ID
    start = parse_timestamp(body.start, "start") if body.start else default_start(body.days)
    plan = Simulation(tenant_id, body.planeId, body.events, body.days, body.seed, body.failureRate, start, body.flowIds)
    return simulate(store, plan)
