"""Requests that conflict with what exists, produced for real: taken names and a target in use (409),
and an idempotency key reused for another request (422). How the error tests work: ``error_cases.py``.
"""

from __future__ import annotations

import uuid

from error_cases import (
    FLOWS,
    OTHER_PLANE,
    OTHER_PLANE_FLOWS,
    SLACK,
    TARGETS,
    flow_body,
    make_flow,
)
from helpers import Api, assert_error

# --- 409 ---------------------------------------------------------------------------------


def test_flow_name_conflict(api: Api) -> None:
    make_flow(api, "invoice-flow")
    error = assert_error(api.post(FLOWS, json=flow_body("invoice-flow")), 409, "flow_name_conflict", field="name")
    assert "invoice-flow" in error["message"]
    assert len(api.all_pages(FLOWS)) == 1


def test_same_flow_name_on_the_other_plane_is_fine(api: Api) -> None:
    make_flow(api, "invoice-flow")
    body = flow_body("invoice-flow", target={"id": "dest_stripe_prod_eu_west_1", "type": "stripe"})
    response = api.post(OTHER_PLANE_FLOWS, json=body)
    assert response.status_code == 201, response.text


def test_renaming_a_flow_to_a_taken_name_is_a_conflict(api: Api) -> None:
    make_flow(api, "invoice-flow")
    other = make_flow(api, "refund-flow")
    response = api.patch(f"{FLOWS}/{other['id']}", json={"name": "invoice-flow"})
    assert_error(response, 409, "flow_name_conflict", field="name")
    assert api.get(f"{FLOWS}/{other['id']}").json()["name"] == "refund-flow"


def test_target_name_conflict(api: Api) -> None:
    body = {"name": "orders-webhook", "type": "http", "url": "https://example.com/hooks"}
    error = assert_error(api.post(TARGETS, json=body), 409, "target_name_conflict", field="name")
    assert "orders-webhook" in error["message"]
    assert api.post(f"clusters/{OTHER_PLANE}/targets", json=body).status_code == 201


def test_renaming_a_target_to_a_taken_name_is_a_conflict(api: Api) -> None:
    response = api.patch(f"{TARGETS}/dest_http_billing_webhook", json={"name": "orders-webhook"})
    assert_error(response, 409, "target_name_conflict", field="name")


def test_target_in_use_cannot_be_deleted(api: Api) -> None:
    flow = make_flow(api, "alerts-flow", target=dict(SLACK))
    error = assert_error(api.delete(f"{TARGETS}/{SLACK['id']}"), 409, "target_in_use", field=None)
    assert "alerts-flow" in error["message"]
    assert api.get(f"{TARGETS}/{SLACK['id']}").status_code == 200
    assert api.delete(f"{FLOWS}/{flow['id']}").status_code == 204
    assert api.delete(f"{TARGETS}/{SLACK['id']}").status_code == 204
    assert_error(api.get(f"{TARGETS}/{SLACK['id']}"), 404, "target_not_found")


# --- 422 ---------------------------------------------------------------------------------


def test_idempotency_key_reused_with_another_body(api: Api) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post(FLOWS, json=flow_body("invoice-flow"), headers=key)
    assert first.status_code == 201, first.text
    response = api.post(FLOWS, json=flow_body("refund-flow"), headers=key)
    error = assert_error(response, 422, "idempotency_key_reused", field="Idempotency-Key")
    assert "Idempotency-Key" in error["message"]
    assert [flow["name"] for flow in api.all_pages(FLOWS)] == ["invoice-flow"]
    replay = api.post(FLOWS, json=flow_body("invoice-flow"), headers=key)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers.get("Idempotent-Replayed") == "true"


def test_idempotency_key_reused_on_another_path(api: Api) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "new-target", "type": "slack"}
    assert api.post(TARGETS, json=body, headers=key).status_code == 201
    response = api.post(f"clusters/{OTHER_PLANE}/targets", json=body, headers=key)
    assert_error(response, 422, "idempotency_key_reused")
