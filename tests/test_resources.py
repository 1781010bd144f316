"""The resources of the contract over HTTP: the tenant's catalog, targets and the flow life cycle."""

from __future__ import annotations

import re
import time

from zen_nb import sandbox as sandbox_pkg

from helpers import assert_error, start_of_a_fresh_window

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
FLOW_FIELDS = {"id", "name", "source", "target", "status", "createdAt", "updatedAt"}


def test_tenant_planes_adapters_and_ingesters(api):
    assert api.get().json() == {"id": "tenant_demo", "name": "Zen Mesh sandbox demo", "plan": "team"}
    planes = api.all_pages("clusters")
    assert [plane["id"] for plane in planes] == ["plane_dev_us_east_1", "plane_prod_eu_west_1"]
    assert set(planes[0]) == {"id", "name", "region", "status", "createdAt"}
    assert {plane["status"] for plane in planes} == {"ready"}  # the List Planes recipe's word for a usable plane
    assert api.get("clusters/plane_prod_eu_west_1").json() == planes[1]
    adapters = {adapter["id"]: adapter for adapter in api.all_pages("{plane}/adapters")}
    assert adapters["adapter_stripe_ingester"]["kind"] == "stripe"
    assert adapters["adapter_stripe_ingester"]["ingesterIds"] == ["ingester_stripe", "ingester_stripe_connect"]
    assert set(adapters["adapter_stripe_ingester"]) == {"id", "kind", "ingesterIds", "createdAt"}
    ingester = api.get("{plane}/ingesters/ingester_stripe").json()
    assert ingester["adapterId"] == "adapter_stripe_ingester" and ingester["type"] == "stripe"
    assert set(ingester) == {"id", "name", "adapterId", "type", "createdAt"}
    assert TIMESTAMP.fullmatch(ingester["createdAt"])


def test_the_seed_has_several_targets_of_each_type(api):
    targets = api.all_pages("{plane}/targets")
    by_type: dict[str, int] = {}
    for target in targets:
        by_type[target["type"]] = by_type.get(target["type"], 0) + 1
        assert (target["url"] is not None) == (target["type"] == "http")
    assert by_type == {"stripe": 2, "http": 2, "slack": 2, "s3": 2}
    assert any(t["id"] == "dest_stripe_prod_us_east_1" and t["type"] == "stripe" for t in targets)


def test_target_crud(api):
    created = api.post(
        "{plane}/destinations",
        json={"name": "orders-sink", "type": "http", "url": "https://example.test/hook", "description": "orders"},
    )
    assert created.status_code == 201, created.text
    target = created.json()
    assert target["id"].startswith("dest_")
    assert set(target) == {"id", "name", "type", "status", "url", "config", "createdAt", "updatedAt", "description"}
    assert target["status"] == "provisioning" and target["config"] == {}
    assert created.headers["Location"].endswith(f"/destinations/{target['id']}")
    read = api.get(f"{{plane}}/targets/{target['id']}").json()  # the alias reads the same target
    assert {**read, "status": None} == {**target, "status": None}  # provisioning may have ended meanwhile
    time.sleep(0.01)
    patched = api.patch(f"{{plane}}/targets/{target['id']}", json={"url": "https://example.test/v2", "type": "http"})
    assert patched.status_code == 200
    assert patched.json()["url"] == "https://example.test/v2" and patched.json()["updatedAt"] > target["updatedAt"]
    assert_error(api.patch(f"{{plane}}/targets/{target['id']}", json={"type": "slack"}), 400, "type_immutable", "type")
    assert_error(api.patch(f"{{plane}}/targets/{target['id']}", json={"url": None}), 400, "invalid_field", "url")
    assert api.delete(f"{{plane}}/targets/{target['id']}").status_code == 204
    assert_error(api.get(f"{{plane}}/targets/{target['id']}"), 404, "target_not_found")


def test_recipe_flow_has_exactly_the_documented_fields(api):
    response = api.create_flow("production-invoice-claims-flow")
    assert response.status_code == 201
    flow = response.json()
    assert set(flow) == FLOW_FIELDS
    assert flow["id"].startswith("flow_") and flow["status"] == "active"
    assert flow["target"] == {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
    assert TIMESTAMP.fullmatch(flow["createdAt"]) and flow["createdAt"] == flow["updatedAt"]
    assert response.headers["Location"].endswith(f"/delivery-flows/{flow['id']}")
    assert api.get(f"{{plane}}/delivery-flows/{flow['id']}").json() == flow


def test_flow_life_cycle(api):
    flow = api.create_flow("life-cycle", description="first version").json()
    assert flow["description"] == "first version"
    path = f"{{plane}}/delivery-flows/{flow['id']}"
    time.sleep(0.01)
    updated = api.patch(
        path, json={"name": "life-cycle-v2", "description": None, "target": {"id": "dest_s3_audit_log", "type": "s3"}}
    ).json()
    assert updated["name"] == "life-cycle-v2" and "description" not in updated
    assert updated["target"] == {"id": "dest_s3_audit_log", "type": "s3"}
    assert updated["updatedAt"] > flow["updatedAt"] and updated["createdAt"] == flow["createdAt"]

    paused = api.post(f"{path}/pause").json()
    assert paused["status"] == "paused"
    again = api.post(f"{path}/pause")
    assert again.status_code == 200 and again.json() == paused  # idempotent: nothing changes
    assert api.post(f"{path}/resume").json()["status"] == "active"
    assert api.patch(path, json={"status": "paused"}).json()["status"] == "paused"

    # The old target is free again, the new one is in use.
    assert api.delete("{plane}/targets/dest_stripe_prod_us_east_1").status_code == 204
    assert_error(api.delete("{plane}/targets/dest_s3_audit_log"), 409, "target_in_use")

    deleted = api.delete(path)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(api.get(path), 404, "flow_not_found")
    assert_error(api.delete(path), 404, "flow_not_found")
    assert api.delete("{plane}/targets/dest_s3_audit_log").status_code == 204


def test_a_flow_is_found_only_on_its_plane(api):
    flow = api.create_flow("dev-only").json()
    assert_error(api.get(f"clusters/plane_prod_eu_west_1/delivery-flows/{flow['id']}"), 404, "flow_not_found")
    other_plane = api.post(
        "clusters/plane_prod_eu_west_1/delivery-flows",
        json={
            "name": "dev-only",
            "source": "ingester_stripe",
            "target": {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"},
        },
    )
    assert other_plane.status_code == 201, "names are unique per plane, not per tenant"


def test_fan_out_on_business_plus(new_tenant):
    tenant = new_tenant(plan="business_plus")
    targets = [{"id": "dest_stripe_prod_us_east_1", "type": "stripe"}, {"id": "dest_slack_ops_alerts", "type": "slack"}]
    created = tenant.post(
        "{plane}/delivery-flows", json={"name": "fan-out", "source": "ingester_stripe", "targets": targets}
    )
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["target"] == targets[0] and flow["targets"] == targets
    assert tenant.all_pages("{plane}/delivery-flows", targetType="slack")[0]["id"] == flow["id"]
    single = tenant.patch(f"{{plane}}/delivery-flows/{flow['id']}", json={"target": targets[1]}).json()
    assert "targets" not in single and single["target"] == targets[1]
    assert_error(
        tenant.post(
            "{plane}/delivery-flows",
            json={"name": "dup", "source": "ingester_stripe", "targets": [targets[0], targets[0]]},
        ),
        400,
        "invalid_field",
        "targets",
    )


def test_rate_limit_answers_429_with_retry_after():
    with sandbox_pkg.start(rate_limit=(5, 60)) as box:
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {box.token}"
        url = f"{box.base_url}/tenants/{box.tenant_id}"
        start_of_a_fresh_window()
        answers = [session.get(url, timeout=30) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "5" for a in answers)
    assert_error(answers[-1], 429, "rate_limited")
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert int(answers[-1].headers["X-RateLimit-Reset"]) > time.time()


def test_a_base_with_a_trailing_slash_works_in_the_recipes_concatenation(api):
    """The contract lets ZEN_API_BASE end in "/"; "$ZEN_API_BASE/tenants/..." then has "//"."""
    response = api.session.get(f"{api.base_url}//tenants/{api.tenant_id}//clusters", timeout=30)
    assert response.status_code == 200
    assert [plane["id"] for plane in response.json()["clusters"]] == ["plane_dev_us_east_1", "plane_prod_eu_west_1"]
