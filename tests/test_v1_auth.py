"""Authentication on the v1 surface, as on the recipe form (the same 401/403/404 rules), by
``Authorization: Bearer`` or ``X-API-Key`` (on both forms); the rate limit counts v1 requests too."""

from __future__ import annotations

import requests

from zen_nb import sandbox as sandbox_pkg

from helpers import Api, assert_error, assert_problem, list_items, start_of_a_fresh_window
from v1_api import V1

PATHS = ("delivery-flows", "destinations", "deliveries")


def test_every_v1_list_needs_the_tenants_token(api):
    for path in PATHS:
        url = V1(api).url(path)
        problem = assert_problem(requests.get(url, timeout=30), 401, "unauthenticated")
        assert problem["type"] == "https://docs.zen-mesh.io/errors/authentication"
        assert_problem(requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30), 401, "unauthenticated")
        assert_problem(requests.get(url, headers={"X-API-Key": "wrong"}, timeout=30), 401, "unauthenticated")
        assert_problem(requests.get(url, headers={"X-API-Key": ""}, timeout=30), 401, "unauthenticated")
        assert V1(api).get(path).status_code == 200
        assert V1(api, api_key=True).get(path).status_code == 200


def test_another_tenants_path_is_403_and_an_unknown_tenant_404(api):
    headers = {"X-API-Key": api.token}
    neighbour = f"{api.base_url}/v1/tenants/tenant_neighbour/deliveries"
    assert_problem(requests.get(neighbour, headers=headers, timeout=30), 403, "forbidden")
    unknown = f"{api.base_url}/v1/tenants/tenant_nobody/deliveries"
    assert_problem(requests.get(unknown, headers=headers, timeout=30), 404, "tenant_not_found")


def test_x_api_key_works_on_the_recipe_form_too(api):
    url = api.url("clusters")
    answer = requests.get(url, headers={"X-API-Key": api.token}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert list_items(answer.json(), "clusters")
    assert_error(requests.get(url, headers={"X-API-Key": "wrong"}, timeout=30), 401, "unauthenticated")


def test_two_different_tokens_are_refused_and_one_token_twice_is_fine(api, new_tenant):
    other = new_tenant()
    url = V1(api).url("deliveries")
    both = {"Authorization": f"Bearer {api.token}", "X-API-Key": other.token}
    problem = assert_problem(requests.get(url, headers=both, timeout=30), 401, "ambiguous_credentials")
    assert api.token not in problem["detail"] and other.token not in problem["detail"]
    same = {"Authorization": f"Bearer {api.token}", "X-API-Key": api.token}
    assert requests.get(url, headers=same, timeout=30).status_code == 200
    assert_error(requests.get(api.url("clusters"), headers=both, timeout=30), 401, "ambiguous_credentials")


def test_v1_health_needs_no_token(api):
    answer = requests.get(f"{api.base_url}/v1/health", timeout=30)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert answer.json() == requests.get(f"{api.base_url}/health", timeout=30).json()


def test_an_unknown_v1_path_is_a_problem_404(api):
    assert_problem(V1(api).get("nothing-here"), 404, "not_found")


def test_the_rate_limit_counts_v1_requests_with_the_recipe_forms():
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(3, 60)) as box:
        api = Api(box)
        v1 = V1(api, api_key=True)
        start_of_a_fresh_window()  # the four requests in one window, or the count would start again
        assert api.get("clusters").status_code == 200
        assert v1.get("deliveries").status_code == 200
        assert V1(api).get("destinations").status_code == 200
        problem = assert_problem(v1.get("deliveries"), 429, "rate_limited")
        assert int(v1.get("deliveries").headers["Retry-After"]) >= 1 and problem["type"].endswith("/rate-limited")
        assert_error(api.get("clusters"), 429, "rate_limited")
