"""The sandbox's FastAPI application: routes, middlewares and the one error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from . import routes_admin, routes_attempts, routes_catalog, routes_events, routes_flows, routes_targets
from .auth import AuthMiddleware
from .body_limit import BodyLimitMiddleware
from .delivery import Deliverer
from .docs import add_docs
from .errors import ApiError, error_body, error_response
from .idempotency import IdempotencyMiddleware
from .pagination import MAX_LIMIT
from .rate_limit import RateLimiter, RateLimitMiddleware
from .request_context import RequestContextMiddleware
from .store import Store

DESCRIPTION = """The Zen Mesh delivery-flow API, served locally by zen_nb's sandbox.

Every path under `/tenants/{tenantId}` needs `Authorization: Bearer <token>`; `/_sandbox/`
needs the sandbox's admin token. Errors share one shape:
`{"error": {status, code, message, field}, "requestId"}`.
"""

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_json"}


def create_app(store: Store, admin_token: str, limiter: RateLimiter) -> FastAPI:
    """Build the app on a store. Middlewares run outermost first in the order listed below."""
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
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from docs.py, with their assets served locally
        redoc_url=None,
    )
    add_docs(app)
    app.state.store = store
    app.state.admin_token = admin_token
    app.state.deliverer = deliverer
    for router in (
        routes_admin.health_router,
        routes_admin.simulate_router,
        routes_admin.router,
        routes_catalog.router,
        routes_targets.router,
        routes_flows.router,
        routes_events.router,
        routes_attempts.router,
    ):
        app.include_router(router)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # add_middleware puts each one outside the previous: the last added runs first.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(IdempotencyMiddleware, store=store)
    app.add_middleware(AuthMiddleware, store=store)
    app.add_middleware(RateLimitMiddleware, limiter=limiter)
    app.add_middleware(RequestContextMiddleware)
    return app


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc, _request_id(request))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"no such path: {request.url.path}; /docs lists the API's paths"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 400:
        message = "the request body could not be read as JSON; send a JSON object as UTF-8"
    body = error_body(exc.status_code, code, message, None, _request_id(request))
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = validation_to_api_error(exc.errors(), request.headers.get("content-type"))
    return error_response(error, _request_id(request))


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_to_api_error(errors: Any, content_type: str | None) -> ApiError:
    """Turn pydantic's first complaint into one 400 that names the field and the fix."""
    first = errors[0]
    kind, loc = first["type"], tuple(first["loc"])
    where, rest = loc[0] if loc else "body", loc[1:]
    if kind == "json_invalid":
        detail = first.get("ctx", {}).get("error", "")
        return ApiError(400, "invalid_json", f"the request body is not valid JSON ({detail}); fix its syntax")
    if where == "query":
        field = _field_path(rest)
        if field == "limit":
            return ApiError(400, "invalid_field", f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
        return ApiError(400, "invalid_field", f"query parameter {field}: {_message(first)}", field=field)
    if where == "body" and not rest:
        if kind == "string_unicode":
            return ApiError(
                400,
                "invalid_json",
                "a field name holds a lone surrogate escape (\\ud800-\\udfff); send valid Unicode text",
            )
        if kind == "missing":
            return ApiError(400, "invalid_json", "the request needs a JSON body; send a JSON object")
        if not content_type:
            return ApiError(
                400, "invalid_json", "the request has no Content-Type; send 'Content-Type: application/json'"
            )
        if "json" not in content_type.lower():
            return ApiError(
                400,
                "invalid_json",
                f"the body was sent as '{content_type}'; send JSON with 'Content-Type: application/json'",
            )
        return ApiError(400, "invalid_json", "the request body must be a JSON object ({...})")
    field = _field_path(rest) if where == "body" else _field_path(loc)
    if kind == "missing":
        return ApiError(400, "missing_field", f"'{field}' is required", field=field)
    if kind == "extra_forbidden":
        return ApiError(400, "unknown_field", f"'{field}' is not a field of this request; remove it", field=field)
    return ApiError(400, "invalid_field", f"{field}: {_message(first)}", field=field)


def _message(error: dict[str, Any]) -> str:
    """pydantic's message, in the API's words: lengths of text in characters, of lists in items."""
    kind, limits, value = error.get("type", ""), error.get("ctx") or {}, error.get("input")
    unit = "characters" if isinstance(value, str) else "items"
    if kind in ("too_long", "string_too_long") and "max_length" in limits and hasattr(value, "__len__"):
        return f"must be at most {limits['max_length']} {unit}; got {len(value)}"
    if kind in ("too_short", "string_too_short") and "min_length" in limits and hasattr(value, "__len__"):
        least = limits["min_length"]
        return f"must be at least {least} {unit if least != 1 else unit[:-1]}; got {len(value)}"
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")
