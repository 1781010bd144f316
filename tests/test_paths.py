"""Paths (issue 12): each segment decoded exactly once, no redirects, and a 405 that names every method.

The requests here are sent with the path exactly as written (:func:`send_raw`): ``requests`` would
otherwise decode ``%2D`` and the like before sending, and the test would not test the server.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fastapi.routing import APIRoute

from zen_nb.sandbox.app import create_app
from zen_nb.sandbox.data import Store
from zen_nb.sandbox.paths import IdConvertor
from zen_nb.sandbox.rate_limit import RateLimiter

from helpers import Api, assert_error

FORGED_HOST = "evil.example"


def send_raw(api: Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    """``method`` on ``path`` (from the server's root) sent as written, with the tenant's token."""
    request = requests.Request(method, api.base_url, headers=kwargs.pop("headers", {}), **kwargs)
    prepared = api.session.prepare_request(request)
    prepared.url = api.base_url + path  # after preparing: nothing re-encodes or decodes it
    return api.session.send(prepared, timeout=30, allow_redirects=False)


def flows_path(api: Api, rest: str = "") -> str:
    return f"/tenants/{api.tenant_id}/clusters/{api.plane_id}/delivery-flows{rest}"


def _flow_body(name: str) -> dict[str, Any]:
    return {"name": name, "source": "ingester_stripe", "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}}


@pytest.mark.parametrize(
    ("method", "rest"),
    [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/pause"), ("POST", "/resume")],
)
def test_an_encoded_slash_is_part_of_a_flow_id(api, method, rest):
    """``a%2Fb`` is one segment, the id ``a/b``: no flow has it, so the flow's 404, not the path's."""
    kwargs = {"json": {"description": "x"}} if method == "PATCH" else {}
    response = send_raw(api, method, flows_path(api, f"/a%2Fb{rest}"), **kwargs)
    error = assert_error(response, 404, "flow_not_found")
    assert "'a/b'" in error["message"], error


def test_an_encoded_percent_is_decoded_once(api):
    response = send_raw(api, "GET", flows_path(api, "/a%252Fb"))
    error = assert_error(response, 404, "flow_not_found")
    assert "'a%2Fb'" in error["message"], error


def test_a_flow_id_written_all_percent_encoded_is_the_flow(api):
    created = api.create_flow("encoded-id").json()
    encoded = "".join(f"%{byte:02X}" for byte in created["id"].encode())
    response = send_raw(api, "GET", flows_path(api, f"/{encoded}"))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]


def test_the_tenant_segment_is_decoded_once(api):
    tenant = api.tenant_id
    # Once decoded, "%2574enant..." is "%74enant...", which is no tenant; decoded twice it would be ours.
    response = send_raw(api, "GET", f"/tenants/%25{ord(tenant[0]):02X}{tenant[1:]}")
    error = assert_error(response, 404, "tenant_not_found")
    assert f"'%{ord(tenant[0]):02X}{tenant[1:]}'" in error["message"], error
    # Decoded once, "%74enant..." is our tenant.
    response = send_raw(api, "GET", f"/tenants/%{ord(tenant[0]):02X}{tenant[1:]}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == tenant


def test_an_encoded_unreserved_character_matches_a_literal_segment(api):
    """RFC 3986 6.2.2.2: ``delivery%2Dflows`` is ``delivery-flows``."""
    path = f"/tenants/{api.tenant_id}/clusters/{api.plane_id}/delivery%2Dflows"
    created = send_raw(api, "POST", path, json=_flow_body("via-encoded-segment"))
    assert created.status_code == 201, created.text
    listed = send_raw(api, "GET", path)
    assert listed.status_code == 200, listed.text
    assert [flow["id"] for flow in listed.json()["deliveryFlows"]] == [created.json()["id"]]


def test_an_encoded_slash_in_a_literal_segment_is_no_path(api):
    path = f"/tenants/{api.tenant_id}/clusters%2F{api.plane_id}/delivery-flows"
    assert_error(send_raw(api, "GET", path), 404, "not_found")


@pytest.mark.parametrize("spelling", ["{path}/", "/{path}", "{path}//"])
def test_a_trailing_or_doubled_slash_is_served_as_the_path_without_it(api, spelling):
    """The same answer as without the slash, never a redirect (ZEN_API_BASE may end in '/')."""
    flow = api.create_flow("slashes").json()
    for path in (flows_path(api), flows_path(api, f"/{flow['id']}")):
        plain = send_raw(api, "GET", path)
        other = send_raw(api, "GET", spelling.format(path=path))
        assert other.status_code == plain.status_code == 200, other.text
        assert other.json() == plain.json()
    response = send_raw(api, "POST", spelling.format(path=flows_path(api)), json=_flow_body("slashes-post"))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "{flows}/"),
        ("GET", "{flows}/{flow}/"),
        ("GET", "/tenants/{tenant}/"),
        ("GET", "/tenants/{tenant}/clusters/"),
        ("GET", "/tenants/{tenant}/clusters/nowhere/"),
        ("GET", "{flows}/no-such-flow/"),
        ("GET", "/no/such/path/"),
        ("GET", "/health/"),
        ("GET", "/docs/"),
        ("GET", "/docs-assets"),
        ("GET", "/docs-assets/"),
        ("GET", "/openapi.json/"),
        ("PUT", "{flows}/"),
        ("POST", "{flows}"),
        ("POST", "{flows}/"),
    ],
)
def test_no_answer_is_a_redirect_or_a_location_built_from_the_host_header(api, method, path):
    flow = api.create_flow("host-check").json()
    path = path.format(flows=flows_path(api), flow=flow["id"], tenant=api.tenant_id)
    kwargs = {"json": _flow_body(f"host-{len(path)}-{method.lower()}")} if method == "POST" else {}
    response = send_raw(api, method, path, headers={"Host": FORGED_HOST}, **kwargs)
    assert not 300 <= response.status_code < 400, (response.status_code, response.headers)
    location = response.headers.get("Location")
    assert location is None or (location.startswith("/tenants/") and FORGED_HOST not in location), location


def test_every_path_parameter_uses_the_id_convertor():
    """A plain ``{x}`` would hand the route the routing path's text, with '%' and '/' still encoded."""
    store = Store(":memory:")
    try:
        app = create_app(store, "admin-token", RateLimiter(10, 1))
    finally:
        store.close()
    routes = []
    for route in app.router.routes:
        # FastAPI 0.13x lists included routes flat; later ones keep each included router whole.
        original = getattr(route, "original_router", None)
        routes += original.routes if original is not None else [route]
    api_routes = [route for route in routes if isinstance(route, APIRoute)]
    assert any(route.param_convertors for route in api_routes)
    for route in api_routes:
        for name, convertor in route.param_convertors.items():
            assert isinstance(convertor, IdConvertor), f"{route.path}: '{name}' is not '{{{name}:id}}'"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "{flows}/{flow}", "DELETE, GET, PATCH"),
        ("POST", "{flows}/{flow}", "DELETE, GET, PATCH"),
        ("PUT", "{flows}/{flow}/", "DELETE, GET, PATCH"),
        ("PUT", "{flows}", "GET, POST"),
        ("DELETE", "{flows}", "GET, POST"),
        ("GET", "{flows}/{flow}/pause", "POST"),
        ("PUT", "{plane}/targets/dest_stripe_prod_us_east_1", "DELETE, GET, PATCH"),
        ("DELETE", "{plane}/targets", "GET, POST"),
        ("POST", "/tenants/{tenant}/clusters", "GET"),
        ("DELETE", "{plane}", "GET"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_405_names_every_method_of_the_path(api, method, path, allowed):
    flow = api.create_flow("allow-check").json()
    plane = f"/tenants/{api.tenant_id}/clusters/{api.plane_id}"
    path = path.format(flows=flows_path(api), flow=flow["id"], tenant=api.tenant_id, plane=plane)
    response = send_raw(api, method, path, json={} if method in ("POST", "PUT") else None)
    error = assert_error(response, 405, "method_not_allowed", None)
    assert response.headers["Allow"] == allowed
    assert method in error["message"] and allowed in error["message"], error
