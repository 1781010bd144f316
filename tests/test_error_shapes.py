"""Every error body the vendor's pages document (``zen-vendor-docs.md`` §2.0) gives the same error classes.

Each shape is served as it is by a small server on loopback (``helpers.serving``); the client's
call must raise the class of its status (and code), with the body's message and request id, and
the list shapes beside them must be read whole. No transport is mocked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from zen_nb import ZenClient, ZenConfig
from zen_nb.errors import (
    BadRequestError,
    ConflictError,
    FlowNameConflict,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    PayloadTooLargeError,
    PlaneNotFound,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ZenAPIError,
)
from zen_nb.secrets import MASK, masked

from helpers import serving, url_of

HEADER_ID = "req_from_header"


@contextmanager
def answering(status: int, body: Any, headers: dict[str, str] | None = None) -> Iterator[ZenClient]:
    """A client of a server that answers every request with ``status`` and ``body`` (JSON unless bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    content_type = "text/html" if isinstance(body, bytes) else "application/json"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def _answer(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    with serving(Handler) as server:
        env = {"ZEN_API_BASE": url_of(server), "ZEN_API_TOKEN": "tok-1234", "ZEN_TENANT_ID": "tnt_a"}
        env |= {"ZEN_PLANE_ID": "plane_a", "ZEN_ADAPTER_ID": "adapter_a"}
        with ZenClient(ZenConfig(environ=env), retry=0) as client:
            yield client


SHAPES = [
    pytest.param(
        422,
        {
            "type": "https://docs.zen-mesh.io/errors/invalid-parameters",
            "title": "Invalid Parameters",
            "status": 422,
            "detail": "destination_id: must be a valid id",
            "instance": "/tenants/tnt_abc123/destinations",
            "errors": [{"field": "destination_id", "message": "must be a valid id", "code": "invalid_uuid"}],
        },
        {"X-Request-Id": HEADER_ID},
        (BadRequestError, "invalid_parameters", "destination_id: must be a valid id", HEADER_ID, "destination_id"),
        id="rfc9457-docs-host",
    ),
    pytest.param(
        404,
        {
            "type": "https://api.zen-mesh.io/errors/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "Delivery dlv_abc123 not found.",
            "instance": "req_abc123",
        },
        {},
        (NotFoundError, "not_found", "Delivery dlv_abc123 not found.", "req_abc123", None),
        id="rfc9457-api-host-instance-is-request-id",
    ),
    pytest.param(
        409,
        {
            "type": "https://docs.zen-mesh.io/errors/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "a flow named 'x' already exists",
            "instance": "/v1/tenants/t/delivery-flows",
            "code": "flow_name_conflict",
            "field": "name",
            "request_id": "req_v1",
        },
        {"X-Request-Id": "req_v1"},
        (FlowNameConflict, "flow_name_conflict", "a flow named 'x' already exists", "req_v1", "name"),
        id="rfc9457-sandbox-v1",
    ),
    pytest.param(
        409,
        {
            "type": "https://api.zen-mesh.io/errors/idempotency-conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "Idempotency key used with a different set of delivery IDs",
            "idempotency_key": "k1",
        },
        {"X-Request-Id": HEADER_ID},
        (IdempotencyKeyReusedError, "idempotency_conflict", "different set of delivery IDs", HEADER_ID, None),
        id="rfc9457-idempotency-conflict",
    ),
    pytest.param(
        400,
        {"error": "ValidationError", "message": "name: must not be empty", "request_id": "req_recipe"},
        {},
        (BadRequestError, None, "name: must not be empty", "req_recipe", None),
        id="recipe-errors-page",
    ),
    pytest.param(
        409,
        {
            "error": "ConflictError",
            "code": "flow_name_conflict",
            "status": 409,
            "message": "a flow named 'x' already exists on plane 'p'",
            "field": "name",
            "request_id": "req_flat",
        },
        {"X-Request-Id": "req_flat"},
        (FlowNameConflict, "flow_name_conflict", "already exists on plane 'p'", "req_flat", "name"),
        id="recipe-form-with-code",
    ),
    pytest.param(
        401,
        {"error": "Unauthorized", "message": "X-API-Key header is required", "request_id": "req_auth"},
        {},
        (UnauthorizedError, None, "X-API-Key header is required", "req_auth", None),
        id="alternate-auth-page",
    ),
    pytest.param(
        403,
        {
            "error": "InsufficientScope",
            "message": "needs write:destinations",
            "required_scope": "write:destinations",
            "request_id": "req_scope",
        },
        {},
        (ForbiddenError, None, "needs write:destinations", "req_scope", None),
        id="alternate-auth-page-scope",
    ),
    pytest.param(
        403,
        {"error": "write_tool_disabled", "message": "MCP write tools are off"},
        {"X-Request-Id": HEADER_ID},
        (ForbiddenError, "write_tool_disabled", "MCP write tools are off", HEADER_ID, None),
        id="mcp-code-as-error",
    ),
    pytest.param(
        404,
        {"error": "cluster not found"},
        {"X-Request-Id": HEADER_ID},
        (NotFoundError, None, "cluster not found", HEADER_ID, None),
        id="openapi-error-string",
    ),
    pytest.param(
        400,
        {"error": "invalid request body", "details": {"name": "required"}},
        {"X-Request-Id": HEADER_ID},
        (BadRequestError, None, "invalid request body", HEADER_ID, None),
        id="openapi-bad-request-details",
    ),
    pytest.param(
        413,
        {"error": {"code": "PAYLOAD_TOO_LARGE", "message": "Payload exceeds 256 KB", "details": {"size_bytes": 1}}},
        {"X-Request-Id": HEADER_ID},
        (PayloadTooLargeError, "PAYLOAD_TOO_LARGE", "Payload exceeds 256 KB", HEADER_ID, None),
        id="plans-and-limits",
    ),
    pytest.param(
        429,
        {"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit of 60 req/min exceeded"}},
        {"X-Request-Id": HEADER_ID, "Retry-After": "7"},
        (RateLimitedError, "RATE_LIMIT_EXCEEDED", "60 req/min", HEADER_ID, None),
        id="plans-and-limits-429",
    ),
    pytest.param(
        501,
        {"error": {"code": "operation_not_supported", "message": "writes are not supported over MCP"}},
        {},
        (ServerError, "operation_not_supported", "not supported over MCP", None, None),
        id="mcp-error-object",
    ),
    pytest.param(
        404,
        {
            "error": {"status": 404, "code": "plane_not_found", "message": "plane 'x' does not exist", "field": None},
            "requestId": "req_old",
        },
        {"X-Request-Id": "req_old"},
        (PlaneNotFound, "plane_not_found", "plane 'x' does not exist", "req_old", None),
        id="this-kit-before-issue-15",
    ),
    pytest.param(
        502,
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        {"X-Request-Id": HEADER_ID},
        (ServerError, None, "502 Bad Gateway", HEADER_ID, None),
        id="not-json",
    ),
]


@pytest.mark.parametrize(("status", "body", "headers", "expected"), SHAPES)
def test_every_documented_error_body_gives_its_class_message_and_request_id(status, body, headers, expected):
    cls, code, message, request_id, field = expected
    with answering(status, body, headers) as client:
        with pytest.raises(ZenAPIError) as raised:
            client.list_flows()
    error = raised.value
    assert type(error) is cls, (type(error), error)
    assert (error.status, error.code, error.field, error.request_id) == (status, code, field, request_id)
    assert message in error.message, (message, error.message)
    assert error.fix  # always says what to do
    if isinstance(error, RateLimitedError):
        assert error.retry_after == 7.0
    if isinstance(body, dict):
        assert error.body == masked(body)  # kept whole for the caller, but for a secret-looking key's value


def test_an_idempotency_key_in_an_error_body_is_masked_like_any_key():
    with answering(409, {"error": "ConflictError", "message": "reused", "idempotency_key": "k-123456"}) as client:
        with pytest.raises(ConflictError) as raised:
            client.list_flows()
    assert raised.value.body["idempotency_key"] == MASK


def test_a_conflict_of_the_v1_form_is_still_a_conflict():
    body = {"type": "https://docs.zen-mesh.io/errors/conflict", "title": "Conflict", "status": 409, "detail": "x"}
    with answering(409, body) as client:
        with pytest.raises(ConflictError) as raised:
            client.list_flows()
    assert raised.value.code == "conflict" and raised.value.message == "x"


LISTS = [
    pytest.param({"data": [{"id": "a"}, {"id": "b"}], "hasMore": False, "nextCursor": None}, id="data"),
    pytest.param({"items": [{"id": "a"}, {"id": "b"}]}, id="openapi-items"),
    pytest.param({"deliveryFlows": [{"id": "a"}, {"id": "b"}], "hasMore": False, "nextCursor": None}, id="camel-key"),
    pytest.param({"delivery_flows": [{"id": "a"}, {"id": "b"}], "next_cursor": None}, id="snake-key-quickstart"),
    pytest.param({"delivery_flows": [{"id": "a"}, {"id": "b"}], "has_more": False, "next_cursor": "c"}, id="has-more"),
    pytest.param([{"id": "a"}, {"id": "b"}], id="bare-array"),
]


@pytest.mark.parametrize("body", LISTS)
def test_every_documented_list_wrapper_is_read(body):
    with answering(200, body) as client:
        assert [flow.id for flow in client.list_flows()] == ["a", "b"]


def test_snake_case_fields_of_the_recipe_form_are_read_as_camel_case():
    body = {"delivery_flows": [{"id": "a", "source": "s", "created_at": "2024-01-15T10:30:00Z", "target": {"id": "d"}}]}
    with answering(200, body) as client:
        (flow,) = client.list_flows()
    assert flow["createdAt"] == "2024-01-15T10:30:00Z" and flow.created_at == "2024-01-15T10:30:00Z"
