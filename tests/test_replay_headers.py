"""An idempotent replay (contract section 5) is the first answer again, headers that belong to it included."""

from __future__ import annotations

import uuid

from zen_nb.sandbox import idempotency

FLOW = {
    "name": "replayed-flow",
    "source": "ingester_stripe",
    "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
}


def test_a_replayed_create_keeps_its_location(api):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=key)
    second = api.post("{plane}/delivery-flows", json=FLOW, headers=key)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert second.content == first.content
    flow_path = f"/tenants/{api.tenant_id}/clusters/{api.plane_id}/delivery-flows/{first.json()['id']}"
    assert first.headers["Location"] == flow_path
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Content-Type"] == first.headers["Content-Type"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # Headers of the exchange are not the answer's: once each, the replay's own or the first request's id.
    assert second.headers["X-Request-Id"] == first.headers["X-Request-Id"]
    for name in ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Content-Length"):
        assert "," not in second.headers[name], (name, second.headers[name])
    assert len(api.all_pages("{plane}/delivery-flows")) == 1


def test_a_replay_on_another_spelling_of_the_path_is_the_same_request(api):
    """``/x/`` and ``/x`` are one path (tests/test_paths.py): one key, one flow, the same Location."""
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=key)
    second = api.post("{plane}/delivery-flows/", json=FLOW, headers=key)
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]


def test_only_headers_of_one_exchange_are_left_out_of_a_stored_answer():
    assert {"x-request-id", "x-ratelimit-remaining", "content-length"} <= idempotency.PER_REQUEST_HEADERS
    assert "location" not in idempotency.PER_REQUEST_HEADERS
