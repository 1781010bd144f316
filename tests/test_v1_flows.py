"""v1 delivery flows (``/v1/tenants/{t}/delivery-flows``): every operation, snake_case, the same flows
as the recipe form's, and a flow's own retry policy honoured by the delivery engine."""

from __future__ import annotations

import time

from deliveries import ATTEMPTS, DEADLINE, FLOWS, QUIET, STRIPE, ingest_ok, make_flow, wait_attempts
from helpers import assert_problem, list_items, set_outcome
from v1_api import FLOW_KEYS, V1


def test_a_flow_made_on_v1_is_the_same_flow_on_the_recipe_form(api):
    v1 = V1(api)
    flow = v1.create_flow("v1-made", description="from v1")
    assert set(flow) == FLOW_KEYS, flow
    assert flow["source_id"] == "ingester_stripe" and flow["destination_id"] == STRIPE[0]
    assert flow["destination_type"] == "stripe" and flow["cluster_id"] == api.plane_id
    assert flow["status"] == "active" and flow["config"] == {"retry_policy": None}
    recipe = api.get(f"{FLOWS}/{flow['id']}").json()
    assert recipe["name"] == "v1-made" and recipe["source"] == "ingester_stripe"
    assert recipe["target"] == {"id": STRIPE[0], "type": "stripe"} and "retryPolicy" not in recipe
    assert (recipe["createdAt"], recipe["updatedAt"]) == (flow["created_at"], flow["updated_at"])


def test_a_flow_made_on_the_recipe_form_is_listed_and_changed_on_v1(api):
    v1 = V1(api)
    made = make_flow(api, "recipe-made")
    assert v1.get(f"delivery-flows/{made['id']}").json()["name"] == "recipe-made"
    changed = v1.put(f"delivery-flows/{made['id']}", json={"name": "renamed", "status": "paused"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "paused"
    recipe = api.get(f"{FLOWS}/{made['id']}").json()
    assert (recipe["name"], recipe["status"]) == ("renamed", "paused")
    assert v1.put(f"delivery-flows/{made['id']}", json={"status": "active"}).json()["status"] == "active"
    assert v1.delete(f"delivery-flows/{made['id']}").status_code == 204
    assert api.get(f"{FLOWS}/{made['id']}").status_code == 404
    assert_problem(v1.get(f"delivery-flows/{made['id']}"), 404, "flow_not_found")


def test_flows_are_listed_newest_first_across_planes_with_a_plane_filter(api):
    v1 = V1(api)
    first = v1.create_flow("first")
    eu = v1.create_flow("eu", cluster_id="plane_prod_eu_west_1", destination_id="dest_stripe_prod_eu_west_1")
    assert eu["cluster_id"] == "plane_prod_eu_west_1"
    listed = v1.all_pages("delivery-flows", "delivery_flows")
    assert [flow["id"] for flow in listed] == [eu["id"], first["id"]]
    only_dev = v1.all_pages("delivery-flows", "delivery_flows", cluster_id=api.plane_id)
    assert [flow["id"] for flow in only_dev] == [first["id"]]


def test_the_plane_follows_the_source_and_destination_or_cluster_id(api):
    v1 = V1(api)
    # The seed's ingesters exist on both planes: the destination says which plane is meant.
    eu = v1.create_flow("by-destination", destination_id="dest_stripe_prod_eu_west_1")
    assert eu["cluster_id"] == "plane_prod_eu_west_1"
    assert_problem(
        v1.post("delivery-flows", json={"name": "x", "source_id": "ingester_nope", "destination_id": STRIPE[0]}),
        404,
        "ingester_not_found",
        field="source_id",
    )
    assert_problem(
        v1.post("delivery-flows", json={"name": "x", "source_id": "ingester_stripe", "destination_id": "dest_nope"}),
        404,
        "target_not_found",
        field="destination_id",
    )
    body = {"name": "x", "source_id": "ingester_stripe", "destination_id": STRIPE[0], "cluster_id": "plane_nope"}
    assert_problem(v1.post("delivery-flows", json=body), 404, "plane_not_found", field="cluster_id")


def test_v1_flow_errors_are_problem_details(api):
    v1 = V1(api)
    flow = v1.create_flow("taken")
    again = {"name": "taken", "source_id": "ingester_stripe", "destination_id": STRIPE[0]}
    problem = assert_problem(v1.post("delivery-flows", json=again), 409, "flow_name_conflict", field="name")
    assert problem["type"] == "https://docs.zen-mesh.io/errors/conflict" and problem["title"] == "Conflict"
    assert problem["instance"] == f"/v1/tenants/{api.tenant_id}/delivery-flows"
    assert_problem(
        v1.put(f"delivery-flows/{flow['id']}", json={"source_id": "ingester_github"}),
        400,
        "source_immutable",
        field="source_id",
    )
    assert_problem(v1.post("delivery-flows", json={"name": "no-source"}), 400, "missing_field")
    bad = {**again, "name": "p", "config": {"retry_policy": {"max_attempts": 0}}}
    assert_problem(v1.post("delivery-flows", json=bad), 400, "invalid_field")


def test_a_retry_policy_is_stored_partly_updated_and_cleared(api):
    v1 = V1(api)
    flow = v1.create_flow("policy", config={"retry_policy": {"max_attempts": 5, "backoff_seconds": 10}})
    assert flow["config"] == {"retry_policy": {"max_attempts": 5, "backoff_seconds": 10.0}}
    assert api.get(f"{FLOWS}/{flow['id']}").json()["retryPolicy"] == {"maxAttempts": 5, "backoffSeconds": 10.0}
    path = f"delivery-flows/{flow['id']}"
    changed = v1.put(path, json={"config": {"retry_policy": {"max_attempts": 2}}}).json()
    assert changed["config"] == {"retry_policy": {"max_attempts": 2, "backoff_seconds": 10.0}}
    assert v1.put(path, json={"description": "kept"}).json()["config"] == changed["config"]
    cleared = v1.put(path, json={"config": {"retry_policy": None}}).json()
    assert cleared["config"] == {"retry_policy": None} and cleared["description"] == "kept"


def test_a_flow_retry_policy_of_two_attempts_gives_exactly_two(fast):
    """The sandbox's schedule (``fast``) allows 4 attempts; the flow's policy allows 2, 50 ms apart."""
    v1 = V1(fast)
    set_outcome(fast, STRIPE[0], successRate=0.0, failures=[503])
    two = v1.create_flow("two-attempts", config={"retry_policy": {"max_attempts": 2, "backoff_seconds": 0.05}})
    event = ingest_ok(fast)["id"]
    found = wait_attempts(
        fast, lambda got: len(got) == 2 and all(a["status"] == "failed" for a in got), flowId=two["id"], eventId=event
    )
    time.sleep(QUIET * 2)  # well past the policy's and the schedule's delays: no third attempt
    after = wait_attempts(fast, lambda got: True, flowId=two["id"], eventId=event)
    assert [a["attemptNumber"] for a in after] == [1, 2] == [a["attemptNumber"] for a in found]
    assert [a["trigger"] for a in after] == ["initial", "automatic"]
    # Without the policy the same failing target gets the schedule's 4 attempts.
    assert v1.put(f"delivery-flows/{two['id']}", json={"config": {"retry_policy": None}}).status_code == 200
    other = ingest_ok(fast)["id"]
    wait_attempts(fast, lambda got: len(got) == 4, DEADLINE, flowId=two["id"], eventId=other)
    assert list_items(fast.get(ATTEMPTS, params={"eventId": other}).json(), "deliveryAttempts")
