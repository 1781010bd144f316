"""``GET /v1/health``: the sandbox's liveness at the v1 path too, no token needed."""

from __future__ import annotations

from fastapi import APIRouter

from ..routes_admin import health

router = APIRouter(prefix="/v1", tags=["v1"])
router.add_api_route("/health", health, methods=["GET"], operation_id="v1Health", summary="Liveness: no token needed")
