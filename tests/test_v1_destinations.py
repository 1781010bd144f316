"""v1 destinations (``/v1/tenants/{t}/destinations``): the recipe form's targets in snake_case, every
operation, a new one ``provisioning`` and then ``active``, ``config`` echoed, the plane as ``cluster_id``."""

from __future__ import annotations

from deliveries import STRIPE, ingest_ok, make_flow, wait_attempts
from helpers import assert_problem, wait_until
from v1_api import DESTINATION_KEYS, V1

SEED_TARGETS = 12  # the seed's targets on the demo tenant's two planes


def test_a_destination_is_made_on_the_first_plane_and_is_the_recipe_forms_target(api):
    v1 = V1(api)
    body = {"name": "v1-hook", "type": "http", "config": {"url": "http://127.0.0.1:9/x", "apiKey": "sk_v1_secret"}}
    response = v1.post("destinations", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert set(made) == DESTINATION_KEYS, made
    assert made["cluster_id"] == api.plane_id and made["url"] == "http://127.0.0.1:9/x"
    assert made["config"] == body["config"] and made["status"] == "provisioning"
    assert response.headers["Location"] == f"/v1/tenants/{api.tenant_id}/destinations/{made['id']}"
    recipe = api.get(f"{{plane}}/destinations/{made['id']}").json()
    assert (recipe["name"], recipe["config"], recipe["createdAt"]) == ("v1-hook", body["config"], made["created_at"])
    wait_until(lambda: v1.get(f"destinations/{made['id']}").json(), lambda d: d["status"] == "active", 5, "active")


def test_destinations_are_listed_newest_first_and_by_plane(api):
    v1 = V1(api)
    eu = v1.post("destinations", json={"name": "eu-new", "type": "slack", "cluster_id": "plane_prod_eu_west_1"})
    assert eu.status_code == 201 and eu.json()["cluster_id"] == "plane_prod_eu_west_1"
    every = v1.all_pages("destinations", "destinations", limit=5)
    assert len(every) == SEED_TARGETS + 1 and every[0]["id"] == eu.json()["id"]
    only_eu = v1.all_pages("destinations", "destinations", cluster_id="plane_prod_eu_west_1")
    assert {d["cluster_id"] for d in only_eu} == {"plane_prod_eu_west_1"} and len(only_eu) == 5
    assert [d["type"] for d in v1.all_pages("destinations", "destinations", type="s3")] == ["s3"] * 3
    assert_problem(
        v1.post("destinations", json={"name": "x", "type": "slack", "cluster_id": "plane_nope"}),
        404,
        "plane_not_found",
        field="cluster_id",
    )


def test_a_destination_is_changed_and_deleted_on_v1(api):
    v1 = V1(api)
    made = v1.post("destinations", json={"name": "to-change", "type": "slack"}).json()
    changed = v1.patch(f"destinations/{made['id']}", json={"name": "changed", "status": "disabled"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["status"]) == ("changed", "disabled")
    assert api.get(f"{{plane}}/destinations/{made['id']}").json()["name"] == "changed"
    assert_problem(v1.patch(f"destinations/{made['id']}", json={"type": "s3"}), 400, "type_immutable", field="type")
    assert v1.delete(f"destinations/{made['id']}").status_code == 204
    assert_problem(v1.get(f"destinations/{made['id']}"), 404, "target_not_found")
    assert_problem(v1.delete(f"destinations/{made['id']}"), 404, "target_not_found")


def test_a_destination_in_use_is_not_deleted(api):
    v1 = V1(api)
    make_flow(api, "uses-stripe")
    assert_problem(v1.delete(f"destinations/{STRIPE[0]}"), 409, "target_in_use")
    assert_problem(
        v1.post("destinations", json={"name": "stripe-prod-us-east-1", "type": "stripe"}), 409, "target_name_conflict"
    )


def test_a_disabled_destination_s_deliveries_fail_unmade_until_it_is_active_again(fast, hook):
    v1 = V1(fast)
    made = v1.post("destinations", json={"name": "switchable", "type": "http", "url": hook.url}).json()
    make_flow(fast, "to-switchable", (made["id"], "http"), source="ingester_github")
    assert v1.patch(f"destinations/{made['id']}", json={"status": "disabled"}).json()["status"] == "disabled"
    event = ingest_ok(fast, ingester="ingester_github")["id"]
    found = wait_attempts(fast, lambda got: len(got) == 4 and all(a["status"] == "failed" for a in got), eventId=event)
    assert {a["errorCode"] for a in found} == {"target_disabled"} and hook.requests == []
    assert v1.deliveries(event_id=event)[0]["error_message"] == "the destination is disabled"
    assert v1.patch(f"destinations/{made['id']}", json={"status": "active"}).json()["status"] == "active"
    again = ingest_ok(fast, ingester="ingester_github")["id"]
    wait_attempts(fast, lambda got: len(got) == 1 and got[0]["status"] == "succeeded", eventId=again)
    assert len(hook.requests) == 1
