"""The app's exception handlers: every error leaves as the error document of its path (``errors.py``).

``ApiError`` from a route, the data layer's errors, pydantic's complaints, and Starlette's
own 404/405/400 are all rendered here, so no route formats an error by hand.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..vocabulary import MAX_PAGE_SIZE
from .data import DataError
from .errors import ApiError, api_error_for, error_response, is_v1
from .v1.listing import MAX_LIMIT as V1_MAX_LIMIT
from .validation import validation_to_api_error

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_json"}
# The methods a 405's Allow may name: those of HTTP that a route can declare.
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "")


def _respond(request: Request, error: ApiError) -> JSONResponse:
    # The routing path (paths.py), as the middlewares' send_error reads it: /v1/... gets a problem.
    return error_response(error, _request_id(request), request.scope["path"])


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(request, exc)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DataError)
    return _respond(request, api_error_for(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    headers = dict(getattr(exc, "headers", None) or {})
    # The routing path (paths.py): what the router matched, an encoded '/' still encoded. Not
    # request.url, which is built from the Host header the client chose.
    path = request.scope["path"]
    if exc.status_code == 404:
        message = f"no such path: {path}; /docs lists the API's paths"
    elif exc.status_code == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        message = f"{request.method} is not allowed on {path}; it allows {headers.get('Allow', 'no method')}"
    elif exc.status_code == 400:
        message = "the request body could not be read as JSON; send a JSON object as UTF-8"
    return _respond(request, ApiError(exc.status_code, code, message, headers=headers))


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route that matches the request's path, sorted (RFC 9110 15.5.6: a 405's Allow).

    Starlette's own Allow names the methods of the first route that matched the path only; a
    path such as a flow's is served by one route per method. Each method is tried against the
    app's routes as the router would, so routes included from routers count as well.
    """
    if request.method in _METHODS and _matches(request, request.method):
        return []  # the 405 came from inside an endpoint (e.g. static files): its own Allow stands
    return [method for method in _METHODS if _matches(request, method)]


def _matches(request: Request, method: str) -> bool:
    # A copy, with FastAPI's own per-request routing notes left out: matching writes to them.
    scope = {key: value for key, value in request.scope.items() if key not in ("fastapi", "route", "endpoint")}
    scope["method"] = method
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    max_limit = V1_MAX_LIMIT if is_v1(request.scope["path"]) else MAX_PAGE_SIZE
    error = validation_to_api_error(exc.errors(), request.headers.get("content-type"), max_limit)
    return _respond(request, error)
