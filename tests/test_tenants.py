"""Tenants made through /_sandbox/ are isolated from the demo tenant, and the admin surface is guarded."""

from __future__ import annotations

import requests

from helpers import admin_post, assert_error

DEMO_PATHS = [
    ("GET", ""),
    ("GET", "clusters"),
    ("GET", "clusters/plane_dev_us_east_1"),
    ("GET", "clusters/plane_dev_us_east_1/adapters"),
    ("GET", "clusters/plane_dev_us_east_1/ingesters"),
    ("GET", "clusters/plane_dev_us_east_1/ingesters/ingester_stripe"),
    ("GET", "clusters/plane_dev_us_east_1/targets"),
    ("POST", "clusters/plane_dev_us_east_1/targets"),
    ("GET", "clusters/plane_dev_us_east_1/targets/dest_stripe_prod_us_east_1"),
    ("PATCH", "clusters/plane_dev_us_east_1/targets/dest_stripe_prod_us_east_1"),
    ("DELETE", "clusters/plane_dev_us_east_1/targets/dest_stripe_prod_us_east_1"),
    ("GET", "clusters/plane_dev_us_east_1/delivery-flows"),
    ("POST", "clusters/plane_dev_us_east_1/delivery-flows"),
    ("GET", "clusters/plane_dev_us_east_1/delivery-flows/{flow}"),
    ("PATCH", "clusters/plane_dev_us_east_1/delivery-flows/{flow}"),
    ("POST", "clusters/plane_dev_us_east_1/delivery-flows/{flow}/pause"),
    ("POST", "clusters/plane_dev_us_east_1/delivery-flows/{flow}/resume"),
    ("DELETE", "clusters/plane_dev_us_east_1/delivery-flows/{flow}"),
]


def test_every_demo_path_is_403_for_another_tenants_token(api, new_tenant):
    flow_id = api.create_flow("demo-flow").json()["id"]
    other = new_tenant()
    for method, path in DEMO_PATHS:
        url = f"{api.base_url}/tenants/{api.tenant_id}/" + path.format(flow=flow_id)
        response = other.session.request(method, url.rstrip("/"), json={"name": "x"}, timeout=30)
        assert_error(response, 403, "forbidden")
    # ... and nothing changed.
    assert api.get(f"{{plane}}/delivery-flows/{flow_id}").json()["status"] == "active"
    assert api.get("{plane}/targets/dest_stripe_prod_us_east_1").status_code == 200


def test_the_seeded_neighbour_tenant_is_403_to_the_demo_token_on_every_path(api):
    """The recipes' authentication lesson shows a real 403 with the demo token: the neighbour exists."""
    for method, path in DEMO_PATHS:
        url = f"{api.base_url}/tenants/tenant_neighbour/" + path.format(flow="flow_anything")
        response = api.session.request(method, url.rstrip("/"), json={"name": "x"}, timeout=30)
        assert_error(response, 403, "forbidden")
    assert_error(api.session.get(f"{api.base_url}/tenants/tenant_nobody", timeout=30), 404, "tenant_not_found")


def test_a_new_tenant_sees_none_of_the_demo_tenants_objects(api, new_tenant):
    api.create_flow("demo-flow")
    api.post("{plane}/targets", json={"name": "demo-only-target", "type": "slack"})
    empty = new_tenant(seed=False)
    assert empty.get().json()["plan"] == "team"
    assert empty.get("clusters").json() == {"clusters": [], "hasMore": False, "nextCursor": None}
    assert_error(empty.get("{plane}/delivery-flows"), 404, "plane_not_found")

    seeded = new_tenant(plan="free")
    assert seeded.get().json()["plan"] == "free"
    assert seeded.all_pages("{plane}/delivery-flows") == []
    names = {target["name"] for target in seeded.all_pages("{plane}/targets")}
    assert "demo-only-target" not in names and "stripe-prod-us-east-1" in names
    # Its copy of the recipe's objects is its own: the recipe works there, and a flow made
    # there does not appear for the demo tenant.
    assert seeded.create_flow("demo-flow").status_code == 201
    assert [flow["name"] for flow in api.all_pages("{plane}/delivery-flows")] == ["demo-flow"]


def test_the_admin_surface_needs_the_admin_token(api):
    for token in (None, api.box.token, "wrong"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for path in ("reset", "tenants"):
            response = requests.post(f"{api.base_url}/_sandbox/{path}", headers=headers, timeout=30)
            assert_error(response, 401, "unauthenticated")


def test_created_tenant_answers_with_its_token_once(api):
    response = admin_post(api.box, "tenants", json={"name": "trainee 7", "plan": "business_plus"})
    assert response.status_code == 201
    body = response.json()
    assert body["id"].startswith("tenant_") and body["token"].startswith("zen_test_")
    assert body["plan"] == "business_plus" and body["name"] == "trainee 7"
    assert_error(admin_post(api.box, "tenants", json={"plan": "gold"}), 400, "invalid_field", "plan")


def test_reset_returns_to_the_seed(api, new_tenant):
    api.create_flow("gone-after-reset")
    other = new_tenant()
    assert admin_post(api.box, "reset").status_code == 200
    assert api.all_pages("{plane}/delivery-flows") == []
    assert_error(other.get(), 401, "unauthenticated")
    assert api.create_flow("gone-after-reset").status_code == 201
