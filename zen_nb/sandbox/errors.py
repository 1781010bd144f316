"""The one error shape of the API, and the exception the sandbox raises to produce it.

Every error leaves the server as ``{"error": {status, code, message, field}, "requestId"}``
(contract section 4), whether it is raised by a route, a middleware or the framework.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import JSONResponse

from .data.constraints import DataError, NameTaken, NotFound


class ApiError(Exception):
    """An error answer: the status, a stable machine code, and a message that says the fix."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


# Half of a UTF-16 pair: JSON may escape one alone ("\ud800"), and Python decodes it to a string
# with no UTF-8 form, which a message that quotes it could not be sent in.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sendable(text: str) -> str:
    """``text`` with every lone surrogate as U+FFFD, the replacement character: encodable as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def error_body(status: int, code: str, message: str, field: str | None, request_id: str) -> dict[str, Any]:
    """The contract's error document (its texts may quote what a client sent: made sendable)."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": sendable(message),
            "field": sendable(field) if field is not None else None,
        },
        "requestId": request_id,
    }


def error_response(error: ApiError, request_id: str) -> JSONResponse:
    """Render an :class:`ApiError` for the given request."""
    return JSONResponse(
        error_body(error.status, error.code, error.message, error.field, request_id),
        status_code=error.status,
        headers=error.headers,
    )


def not_found(kind: str, ident: str, hint: str = "") -> ApiError:
    """A 404 for a missing object of a kind (``plane``, ``ingester``, ``target``, ``flow``)."""
    message = f"{kind} '{ident}' does not exist"
    if hint:
        message = f"{message}; {hint}"
    return ApiError(404, f"{kind}_not_found", message)


# What each kind of missing object's 404 suggests (``{plane}`` is the plane of the request).
NOT_FOUND_HINTS = {
    "plane": "check ZEN_PLANE_ID (GET /tenants/{{tenantId}}/clusters lists your planes)",
    "ingester": "GET .../clusters/{plane}/ingesters lists the plane's ingesters",
    "target": "GET .../clusters/{plane}/targets lists the plane's targets",
    "flow": "GET .../clusters/{plane}/delivery-flows lists the plane's flows",
    "attempt": "GET .../clusters/{plane}/delivery-attempts lists them",
    "tenant": "check ZEN_TENANT_ID",
}

# A name conflict's fix, by kind.
NAME_TAKEN_FIXES = {
    "flow": "names are unique per plane: choose another name, or update the existing flow",
    "target": "choose another name",
}


def api_error_for(error: DataError) -> ApiError:
    """The API's answer to an error of the data layer: the one place that maps them."""
    if isinstance(error, NameTaken):
        fix = NAME_TAKEN_FIXES.get(error.kind, "choose another name")
        return ApiError(409, f"{error.kind}_name_conflict", f"{error}; {fix}", field="name")
    if isinstance(error, NotFound):
        hint = NOT_FOUND_HINTS.get(error.kind, "").format(plane=error.plane_id)
        return ApiError(404, f"{error.kind}_not_found", f"{error}; {hint}" if hint else str(error), field=error.field)
    raise TypeError(f"no API error for {error!r}")
