"""Every response, success or error, carries its own ``X-Request-Id`` and the rate-limit headers."""

from __future__ import annotations

import time
import uuid

import requests

from error_cases import (
    FLOWS,
    MIB,
    TARGETS,
    make_flow,
    post_raw,
    without_session_auth,
)
from helpers import Api


def _assert_contract_headers(response: requests.Response) -> None:
    headers = response.headers
    assert headers.get("X-Request-Id", "").startswith("req_"), (response.status_code, dict(headers))
    limit = int(headers["X-RateLimit-Limit"])
    remaining = int(headers["X-RateLimit-Remaining"])
    reset = int(headers["X-RateLimit-Reset"])
    assert limit >= 1 and 0 <= remaining <= limit
    now = time.time()
    assert now - 5 <= reset <= now + 24 * 3600, "X-RateLimit-Reset is Unix seconds"


def test_every_response_carries_request_id_and_rate_limit_headers(api: Api, new_tenant) -> None:
    other = new_tenant()
    flow = make_flow(api, "header-flow")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    responses = [
        requests.get(f"{api.base_url}/health", timeout=30),
        api.get(""),
        api.get(FLOWS),
        api.post(TARGETS, json={"name": "new-target", "type": "slack"}, headers=key),
        api.post(TARGETS, json={"name": "new-target", "type": "slack"}, headers=key),  # replayed
        api.patch(f"{FLOWS}/{flow['id']}", json={"description": "x"}),
        api.post(f"{FLOWS}/{flow['id']}/pause"),
        api.delete(f"{FLOWS}/{flow['id']}"),  # 204
        post_raw(api, FLOWS, b"{"),  # 400
        without_session_auth(api, "GET", FLOWS, None),  # 401
        Api(api.box, tenant_id=other.tenant_id).get(""),  # 403
        api.get(f"{FLOWS}/flow_nope"),  # 404
        requests.get(f"{api.base_url}/nope", timeout=30),  # 404, no route
        api.request("PUT", FLOWS),  # 405
        api.post(TARGETS, json={"name": "orders-webhook", "type": "slack"}),  # 409
        post_raw(api, FLOWS, b"x" * (MIB + 1)),  # 413
        api.post(TARGETS, json={"name": "other-target", "type": "slack"}, headers=key),  # 422
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [200, 200, 200, 201, 201, 200, 200, 204, 400, 401, 403, 404, 404, 405, 409, 413, 422]
    for response in responses:
        _assert_contract_headers(response)
    fresh = [r.headers["X-Request-Id"] for r in responses if not r.headers.get("Idempotent-Replayed")]
    assert len(set(fresh)) == len(fresh), "each request has its own id"
