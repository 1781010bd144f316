"""What the error tests share: the demo plane's paths, a valid flow body to spoil, raw requests, the write paths.

Each error test sends real HTTP requests to the running sandbox (the ``api`` fixture: the demo
tenant, plan ``team``, on a sandbox just reset to its seed) and checks the one error shape
with :func:`helpers.assert_error`: status, machine code, ``field`` where it applies, a message,
and ``request_id`` equal to the ``X-Request-Id`` header. The files are by concern:
``test_errors_validation.py`` (400 for fields), ``test_errors_bodies.py`` (bodies that are not
JSON objects, too large or hostile, and a property test), ``test_errors_auth.py`` (401, 403),
``test_errors_not_found.py`` (404, 405), ``test_errors_conflicts.py`` (409, 422) and
``test_response_headers.py``. The idempotency in-flight 409 is in ``test_idempotency.py``.
"""

from __future__ import annotations

from typing import Any

import requests

from helpers import Api

FLOWS = "{plane}/delivery-flows"
TARGETS = "{plane}/targets"
EVENTS = "{plane}/ingesters/ingester_stripe/events"
OTHER_PLANE = "plane_prod_eu_west_1"
OTHER_PLANE_FLOWS = f"clusters/{OTHER_PLANE}/delivery-flows"
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024
STRIPE = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
SLACK = {"id": "dest_slack_payments_alerts", "type": "slack"}


def flow_body(name: str = "invoice-flow", **extra: Any) -> dict[str, Any]:
    """A valid create-flow body (the recipe's), with ``extra`` fields merged in."""
    return {"name": name, "source": "ingester_stripe", "target": dict(STRIPE), **extra}


def make_flow(api: Api, name: str = "invoice-flow", **extra: Any) -> dict[str, Any]:
    response = api.post(FLOWS, json=flow_body(name, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def post_raw(api: Api, path: str, data: Any, method: str = "POST", **headers: str) -> requests.Response:
    """Send ``data`` exactly as given (bytes or a generator), with JSON as the default content type."""
    return api.request(method, path, data=data, headers={**JSON, **headers})


def write_endpoint(api: Api, which: str) -> tuple[str, str]:
    """(method, path) of a path that takes a JSON body; ``patch-flow`` creates the flow it patches."""
    if which == "create-flow":
        return "POST", FLOWS
    if which == "create-target":
        return "POST", TARGETS
    if which == "ingest-event":
        return "POST", EVENTS
    assert which == "patch-flow"
    return "PATCH", f"{FLOWS}/{make_flow(api, 'patched-flow')['id']}"


WRITE_ENDPOINTS = ["create-flow", "create-target", "patch-flow"]
# ... and the one that takes any JSON object (an event, as its provider sends it): fuzzed for faults too.
BODY_ENDPOINTS = [*WRITE_ENDPOINTS, "ingest-event"]


def without_session_auth(
    api: Api, method: str, path: str, authorization: str | None, **kwargs: Any
) -> requests.Response:
    """A request with ``authorization`` as its header instead of the tenant's token (``None``: no header)."""
    headers = dict(kwargs.pop("headers", {}))
    headers["Authorization"] = authorization  # None drops the session's header
    return api.request(method, path, headers=headers, **kwargs)
