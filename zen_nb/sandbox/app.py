"""The sandbox's FastAPI application: routes, middlewares, error handlers, the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..vocabulary import VERSION
from . import (
    routes_admin,
    routes_attempts,
    routes_catalog,
    routes_class,
    routes_clock,
    routes_events,
    routes_exercises,
    routes_faults,
    routes_flows,
    routes_targets,
    v1,
)
from .auth import AuthMiddleware
from .body_limit import BodyLimitMiddleware
from .data import Store
from .delivery import Deliverer
from .docs import add_docs
from .error_handlers import install_error_handlers
from .fault_middleware import FaultMiddleware
from .faults import FaultEngine
from .hosts import LOOPBACK_ONLY, AllowedHosts, HostMiddleware
from .idempotency import IdempotencyMiddleware
from .join_limit import JoinLimiter
from .openapi import install_openapi
from .paths import PathMiddleware
from .rate_limit import RateLimiter, RateLimitMiddleware
from .request_context import RequestContextMiddleware

DESCRIPTION = """The Zen Mesh delivery-flow API, served locally by zen_nb's sandbox.

Every path under `/tenants/{tenantId}` needs `Authorization: Bearer <token>`; `/_sandbox/`
needs the sandbox's admin token, except a training class's join and exercises (see the
"training class" tag). Errors share one shape, the recipe family's:
`{"error": "<Type>", "code", "status", "message", "field", "request_id"}`; under `/v1/` they are
RFC 9457 problem details (`application/problem+json`).
"""


def create_app(
    store: Store,
    admin_token: str,
    limiter: RateLimiter,
    hosts: AllowedHosts = LOOPBACK_ONLY,
    join_limiter: JoinLimiter | None = None,
    faults: FaultEngine | None = None,
) -> FastAPI:
    """Build the app on a store, answering only to ``hosts``. Middlewares run outermost first in
    the order listed below. ``join_limiter`` counts failed class joins per address (10 a minute
    unless given); ``faults`` holds the fault rules in force at the start (none unless given)."""
    deliverer = Deliverer(store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """The delivery worker runs while the server serves."""
        deliverer.start()
        try:
            yield
        finally:
            deliverer.stop()

    app = FastAPI(
        title="Zen Mesh API (zen_nb sandbox)",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from docs.py, with their assets served locally
        redoc_url=None,
        redirect_slashes=False,  # paths.py serves "/x/" as "/x"; Starlette's redirect would trust Host
    )
    add_docs(app)
    app.state.store = store
    app.state.admin_token = admin_token
    app.state.deliverer = deliverer
    app.state.join_limiter = join_limiter or JoinLimiter()
    app.state.faults = faults if faults is not None else FaultEngine()
    for router in (
        routes_admin.health_router,
        routes_admin.simulate_router,
        routes_clock.router,
        routes_admin.router,
        routes_faults.router,
        routes_catalog.router,
        routes_targets.router,
        routes_targets.alias_router,
        routes_flows.router,
        routes_events.router,
        routes_attempts.router,
        routes_class.join_router,
        routes_class.router,
        routes_class.board_router,
        routes_exercises.router,
        *v1.ROUTERS,
    ):
        app.include_router(router)
    install_error_handlers(app)
    install_openapi(app)
    # add_middleware puts each one outside the previous: the last added runs first.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(IdempotencyMiddleware, store=store)
    app.add_middleware(AuthMiddleware, store=store)
    # Before auth, as a gateway's 503 is; around idempotency and the routes, so that an afterCommit
    # fault replaces an answer that was stored and committed; inside the rate limit, so that a faulted
    # answer counts and carries the X-RateLimit-* headers every answer has (see fault_middleware.py).
    app.add_middleware(FaultMiddleware, engine=app.state.faults)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, store=store, admin_token=admin_token)
    app.add_middleware(PathMiddleware)
    app.add_middleware(HostMiddleware, hosts=hosts)  # inside RequestContext only, so a 403 has a request id
    app.add_middleware(RequestContextMiddleware)
    return app
