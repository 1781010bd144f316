"""The error documents of the API, and the exception the sandbox raises to produce them.

Every error, whether a route, a middleware or the framework raises it, leaves the server through
:func:`error_document`: on the recipe form the vendor's family shape with the kit's finer code,
status and field beside it (contract section 4)::

    {"error": "ConflictError", "code": "flow_name_conflict", "status": 409,
     "message": "...", "field": "name", "request_id": "req_..."}

and under ``/v1/`` RFC 9457 problem details (``application/problem+json``), as the vendor's v1
pages show them (contract section 8), carrying the same code, field and request id.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from starlette.responses import JSONResponse

from .data.constraints import DataError, NameTaken, NotFound

JSON_MEDIA = "application/json"
PROBLEM_MEDIA = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.zen-mesh.io/errors/"
V1_PREFIX = "/v1"

# The family's type name of an error, by status (the "Handle Errors and Rate Limits" recipe's
# names, and the same pattern for the statuses it does not list); any other status: HTTPError.
TYPE_NAMES = {
    400: "ValidationError",
    401: "Unauthorized",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    410: "GoneError",
    413: "PayloadTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}
OTHER_TYPE_NAME = "HTTPError"

# The last part of a problem's ``type`` URI, by status (the v1 pages' slugs); any other: "error".
PROBLEM_SLUGS = {
    400: "invalid-parameters",
    401: "authentication",
    403: "insufficient-scope",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    422: "invalid-parameters",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}
OTHER_PROBLEM_SLUG = "error"


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


def is_v1(path: str) -> bool:
    """Whether a request path is on the v1 surface (``/v1`` or under ``/v1/``), whose errors are problems.

    Leading slashes count once, as the router reads them (``paths.py``): a middleware that answers
    before routing sees ``//v1/...`` as the client sent it.
    """
    path = "/" + path.lstrip("/")
    return path == V1_PREFIX or path.startswith(V1_PREFIX + "/")


def type_name(status: int) -> str:
    """The family's ``error`` of a status: ``NotFoundError`` for 404, ``HTTPError`` for one it does not name."""
    return TYPE_NAMES.get(status, OTHER_TYPE_NAME)


def problem_type(status: int) -> str:
    """The ``type`` URI of a v1 problem of this status."""
    return PROBLEM_TYPE_BASE + PROBLEM_SLUGS.get(status, OTHER_PROBLEM_SLUG)


# What a path keeps unencoded in ``instance``: RFC 3986's pchar and "/", and "%" (the routing path
# keeps a client's encoded "%" and "/" as "%25" and "%2F": see paths.py).
_PATH_SAFE = "/!$&'()*+,;=:@%"


def instance(path: str) -> str:
    """A problem's ``instance``: the request's path as a URI reference (other characters percent-encoded)."""
    return quote(sendable(path), safe=_PATH_SAFE)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_document(
    path: str, status: int, code: str, message: str, field: str | None, request_id: str
) -> tuple[dict[str, Any], str]:
    """The error body of a request to ``path``, and its media type: a problem under ``/v1/``, else the family's.

    Its texts may quote what a client sent: they are made sendable (see :func:`sendable`).
    """
    message, field = sendable(message), sendable(field) if field is not None else None
    if is_v1(path):
        problem = {
            "type": problem_type(status),
            "title": _phrase(status),
            "status": status,
            "detail": message,
            "instance": instance(path),
            "code": code,
            "field": field,
            "request_id": request_id,
        }
        return problem, PROBLEM_MEDIA
    family = {
        "error": type_name(status),
        "code": code,
        "status": status,
        "message": message,
        "field": field,
        "request_id": request_id,
    }
    return family, JSON_MEDIA


def error_response(error: ApiError, request_id: str, path: str) -> JSONResponse:
    """Render an :class:`ApiError` for the request with this id to ``path``."""
    body, media = error_document(path, error.status, error.code, error.message, error.field, request_id)
    return JSONResponse(body, status_code=error.status, headers=error.headers, media_type=media)


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
    "target": "GET .../clusters/{plane}/destinations lists the plane's targets",
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
