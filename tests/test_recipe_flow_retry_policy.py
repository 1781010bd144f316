"""A flow's own retry policy: set on either form, shown on the recipe form as ``retryPolicy`` only when set.

The recipe's flow answer has exactly its documented fields (``test_resources.py``); a policy set
through ``PUT /v1/.../delivery-flows/{id}`` adds ``retryPolicy`` with the parts that are set.
"""

from __future__ import annotations

import time

import pytest

from deliveries import QUIET, STRIPE_STAGING, wait_attempts
from helpers import Api, set_outcome


def test_retry_policy_appears_on_the_recipe_forms_flow_only_once_set(api: Api) -> None:
    flow = api.create_flow("own-retries").json()
    assert "retryPolicy" not in flow
    v1 = f"{api.base_url}/v1/tenants/{api.tenant_id}/delivery-flows/{flow['id']}"
    only_attempts = api.session.put(v1, json={"config": {"retry_policy": {"max_attempts": 3}}}, timeout=30)
    assert only_attempts.status_code == 200, only_attempts.text
    assert api.get(f"{{plane}}/delivery-flows/{flow['id']}").json()["retryPolicy"] == {"maxAttempts": 3}
    both = {"config": {"retry_policy": {"max_attempts": 4, "backoff_seconds": 2.5}}}
    assert api.session.put(v1, json=both, timeout=30).status_code == 200
    listed = api.get("{plane}/delivery-flows").json()["deliveryFlows"]
    assert [f["retryPolicy"] for f in listed if f["id"] == flow["id"]] == [{"maxAttempts": 4, "backoffSeconds": 2.5}]


def test_the_recipe_form_sets_a_flows_retry_policy_on_create_and_patch(fast: Api) -> None:
    body = {"name": "own-policy", "source": "ingester_stripe", "target": {"id": STRIPE_STAGING[0], "type": "stripe"}}
    created = fast.post(
        "{plane}/delivery-flows", json={**body, "retryPolicy": {"maxAttempts": 2, "backoffSeconds": 0.05}}
    )
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["retryPolicy"] == {"maxAttempts": 2, "backoffSeconds": 0.05}
    set_outcome(fast, STRIPE_STAGING[0], successRate=0.0)
    fast.post("{plane}/ingesters/ingester_stripe/events", json={"n": 1})
    attempts = wait_attempts(fast, lambda found: len(found) == 2 and found[-1]["status"] == "failed", flowId=flow["id"])
    time.sleep(QUIET)  # the policy's two attempts, and no third from the sandbox's schedule
    assert len(fast.all_pages("{plane}/delivery-attempts", flowId=flow["id"])) == len(attempts) == 2

    path = f"{{plane}}/delivery-flows/{flow['id']}"
    only_backoff = fast.patch(path, json={"retryPolicy": {"backoffSeconds": 3}})
    assert only_backoff.json()["retryPolicy"] == {"maxAttempts": 2, "backoffSeconds": 3.0}
    assert fast.patch(path, json={"retryPolicy": {"maxAttempts": None}}).json()["retryPolicy"] == {
        "backoffSeconds": 3.0
    }
    assert "retryPolicy" not in fast.patch(path, json={"retryPolicy": None}).json()  # the schedule again


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"maxAttempts": 0}, "retryPolicy.maxAttempts"),
        ({"maxAttempts": 21}, "retryPolicy.maxAttempts"),
        ({"maxAttempts": 2.5}, "retryPolicy.maxAttempts"),
        ({"backoffSeconds": -1}, "retryPolicy.backoffSeconds"),
        ({"backoffSeconds": 86_401}, "retryPolicy.backoffSeconds"),
        ({"maxAttempt": 3}, "retryPolicy.maxAttempt"),
    ],
)
def test_a_bad_retry_policy_is_a_400_naming_its_field(api: Api, policy: dict, field: str) -> None:
    body = {"name": "bad-policy", "source": "ingester_stripe", "target": {"id": STRIPE_STAGING[0], "type": "stripe"}}
    response = api.post("{plane}/delivery-flows", json={**body, "retryPolicy": policy})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_the_client_creates_a_flow_with_a_retry_policy_on_the_recipe_form(client) -> None:
    flow = client.create_flow(
        "client-policy", "ingester_stripe", {"id": STRIPE_STAGING[0], "type": "stripe"},
        retry_policy={"maxAttempts": 3, "backoffSeconds": 600},
    )  # fmt: skip
    assert flow.retry_policy == {"maxAttempts": 3, "backoffSeconds": 600.0}
    assert client.get_flow(flow).retry_policy == flow.retry_policy
