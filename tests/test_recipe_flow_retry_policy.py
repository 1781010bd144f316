"""A flow's own retry policy, set on the v1 surface, shows on the recipe form as ``retryPolicy`` only when set.

The recipe's flow answer has exactly its documented fields (``test_resources.py``); a policy set
through ``PUT /v1/.../delivery-flows/{id}`` adds ``retryPolicy`` with the parts that are set.
"""

from __future__ import annotations

from helpers import Api


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
