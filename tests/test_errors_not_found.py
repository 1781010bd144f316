"""The contract's 404 and 405 rows, produced for real: unknown tenants, planes, ingesters, targets
and flows (also once deleted, or on the other plane), unknown paths and wrong methods, all in the
error shape. How the error tests work: ``error_cases.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from error_cases import (
    FLOWS,
    OTHER_PLANE_FLOWS,
    TARGETS,
    flow_body,
    make_flow,
)
from helpers import Api, assert_error


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "", None), ("GET", "clusters", None), ("GET", FLOWS, None), ("POST", FLOWS, flow_body())],
    ids=["tenant", "planes", "list-flows", "create-flow"],
)
def test_unknown_tenant(api: Api, method: str, path: str, body: Any) -> None:
    nowhere = Api(api.box, tenant_id="tenant_nope")
    error = assert_error(nowhere.request(method, path, json=body), 404, "tenant_not_found", field=None)
    assert "tenant_nope" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "clusters/plane_nope", None),
        ("GET", "clusters/plane_nope/delivery-flows", None),
        ("POST", "clusters/plane_nope/delivery-flows", flow_body()),
        ("GET", "clusters/plane_nope/delivery-flows/flow_x", None),
        ("GET", "clusters/plane_nope/targets", None),
        ("POST", "clusters/plane_nope/targets", {"name": "new-target", "type": "slack"}),
        ("GET", "clusters/plane_nope/ingesters", None),
    ],
    ids=["get-plane", "list-flows", "create-flow", "get-flow", "list-targets", "create-target", "list-ingesters"],
)
def test_unknown_plane(api: Api, method: str, path: str, body: Any) -> None:
    error = assert_error(api.request(method, path, json=body), 404, "plane_not_found", field=None)
    assert "plane_nope" in error["message"]


def test_unknown_ingester_as_source(api: Api) -> None:
    response = api.post(FLOWS, json=flow_body(source="ingester_nope"))
    error = assert_error(response, 404, "ingester_not_found", field=None)
    assert "ingester_nope" in error["message"]
    assert api.all_pages(FLOWS) == []


def test_unknown_ingester(api: Api) -> None:
    assert_error(api.get("{plane}/ingesters/ingester_nope"), 404, "ingester_not_found")


def test_unknown_target_in_a_flow(api: Api) -> None:
    response = api.post(FLOWS, json=flow_body(target={"id": "dest_nope", "type": "stripe"}))
    error = assert_error(response, 404, "target_not_found", field=None)
    assert "dest_nope" in error["message"]
    flow = make_flow(api)
    response = api.patch(f"{FLOWS}/{flow['id']}", json={"target": {"id": "dest_nope", "type": "stripe"}})
    assert_error(response, 404, "target_not_found")


def test_target_of_the_other_plane_is_not_found(api: Api) -> None:
    body = flow_body(target={"id": "dest_stripe_prod_eu_west_1", "type": "stripe"})
    assert_error(api.post(FLOWS, json=body), 404, "target_not_found")


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"description": "x"}), ("DELETE", None)])
def test_unknown_target(api: Api, method: str, body: Any) -> None:
    assert_error(api.request(method, f"{TARGETS}/dest_nope", json=body), 404, "target_not_found", field=None)


FLOW_OPERATIONS = [
    ("GET", "", None),
    ("PATCH", "", {"description": "x"}),
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("DELETE", "", None),
]
FLOW_OPERATION_IDS = ["get", "patch", "pause", "resume", "delete"]


@pytest.mark.parametrize(("method", "suffix", "body"), FLOW_OPERATIONS, ids=FLOW_OPERATION_IDS)
def test_unknown_flow(api: Api, method: str, suffix: str, body: Any) -> None:
    response = api.request(method, f"{FLOWS}/flow_nope{suffix}", json=body)
    error = assert_error(response, 404, "flow_not_found", field=None)
    assert "flow_nope" in error["message"]


@pytest.mark.parametrize(("method", "suffix", "body"), FLOW_OPERATIONS, ids=FLOW_OPERATION_IDS)
def test_flow_is_gone_after_delete(api: Api, method: str, suffix: str, body: Any) -> None:
    flow = make_flow(api)
    assert api.delete(f"{FLOWS}/{flow['id']}").status_code == 204
    assert_error(api.request(method, f"{FLOWS}/{flow['id']}{suffix}", json=body), 404, "flow_not_found")
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize(("method", "suffix", "body"), FLOW_OPERATIONS, ids=FLOW_OPERATION_IDS)
def test_flow_is_not_found_on_the_other_plane(api: Api, method: str, suffix: str, body: Any) -> None:
    flow = make_flow(api)
    response = api.request(method, f"{OTHER_PLANE_FLOWS}/{flow['id']}{suffix}", json=body)
    assert_error(response, 404, "flow_not_found")
    assert api.get(f"{FLOWS}/{flow['id']}").json() == flow


@pytest.mark.parametrize(
    ("method", "url_path"),
    [
        ("GET", "/nope"),
        ("POST", "/nope"),
        ("GET", "/tenants"),
        ("GET", "/tenants/tenant_demo/nope"),
        ("GET", "/tenants/tenant_demo/clusters/plane_dev_us_east_1/nope"),
        ("GET", "/tenants/tenant_demo/clusters/plane_dev_us_east_1/delivery-flows/flow_x/nope"),
    ],
)
def test_unknown_path_is_404_in_the_error_shape(api: Api, method: str, url_path: str) -> None:
    response = api.session.request(method, api.base_url + url_path, timeout=30)
    error = assert_error(response, 404, "not_found", field=None)
    assert url_path in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", FLOWS),
        ("DELETE", FLOWS),
        ("PATCH", FLOWS),
        ("PUT", f"{FLOWS}/flow_x"),
        ("POST", f"{FLOWS}/flow_x"),
        ("GET", f"{FLOWS}/flow_x/pause"),
        ("POST", "clusters"),
        ("DELETE", ""),
    ],
)
def test_wrong_method_is_405_in_the_error_shape(api: Api, method: str, path: str) -> None:
    error = assert_error(api.request(method, path), 405, "method_not_allowed", field=None)
    assert method in error["message"]


def test_wrong_method_on_health_is_405(api: Api) -> None:
    assert_error(requests.post(f"{api.base_url}/health", timeout=30), 405, "method_not_allowed")
