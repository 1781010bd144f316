"""Every error row of the Zen Mesh API contract (zen-api.md, sections 2 to 5), produced for real.

Each test sends real HTTP requests to the running sandbox (the ``api`` fixture: the demo
tenant, plan ``team``, on a sandbox just reset to its seed) and checks the one error shape
with :func:`helpers.assert_error`: status, machine code, ``field`` where it applies, a message,
and ``requestId`` equal to the ``X-Request-Id`` header.

The file is laid out by status: 400, 401, 403, 404/405, 409, 413, 422, then the headers that
every response carries, then hostile bodies (deep nesting, huge integers) and a property test
that throws arbitrary JSON and bytes at the write paths and asserts that no request is a 5xx
and that every failure is the error shape. The idempotency in-flight 409 is tested elsewhere.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zen_nb.sandbox.schemas import NAME_RULE

from helpers import Api, assert_error

FLOWS = "{plane}/delivery-flows"
TARGETS = "{plane}/targets"
OTHER_PLANE = "plane_prod_eu_west_1"
OTHER_PLANE_FLOWS = f"clusters/{OTHER_PLANE}/delivery-flows"
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024
STRIPE = {"id": "dest_stripe_prod_us_east_1", "type": "stripe"}
SLACK = {"id": "dest_slack_payments_alerts", "type": "slack"}


def flow_body(name: str = "invoice-flow", **extra: Any) -> dict[str, Any]:
    """A valid create-flow body (the recipe's), with ``extra`` fields merged in."""
    return {"name": name, "source": "ingester_stripe", "target": dict(STRIPE), **extra}


def make_flow(api: Api, name: str = "invoice-flow", **extra: Any) -> dict[str, Any]:
    response = api.post(FLOWS, json=flow_body(name, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def post_raw(api: Api, path: str, data: Any, method: str = "POST", **headers: str) -> requests.Response:
    """Send ``data`` exactly as given (bytes or a generator), with JSON as the default content type."""
    return api.request(method, path, data=data, headers={**JSON, **headers})


def write_endpoint(api: Api, which: str) -> tuple[str, str]:
    """(method, path) of a path that takes a JSON body; ``patch-flow`` creates the flow it patches."""
    if which == "create-flow":
        return "POST", FLOWS
    if which == "create-target":
        return "POST", TARGETS
    assert which == "patch-flow"
    return "PATCH", f"{FLOWS}/{make_flow(api, 'patched-flow')['id']}"


WRITE_ENDPOINTS = ["create-flow", "create-target", "patch-flow"]


# --- 400 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": ',
        b"{name: 'x'}",
        b'{"name": "a",}',
        b'{"name": "a"} trailing',
        b"\xff\xfe{}",
        b'{"name": "\xff"}',
    ],
    ids=["truncated", "single-quotes", "trailing-comma", "trailing-garbage", "bom-junk", "invalid-utf8"],
)
def test_malformed_json_is_invalid_json(api: Api, raw: bytes) -> None:
    assert_error(post_raw(api, FLOWS, raw), 400, "invalid_json", field=None)


def test_empty_body_is_invalid_json(api: Api) -> None:
    assert_error(post_raw(api, FLOWS, b""), 400, "invalid_json", field=None)


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"5", b"true", b'[{"name": "a"}]'])
def test_body_that_is_not_a_json_object_is_invalid_json(api: Api, raw: bytes) -> None:
    error = assert_error(post_raw(api, FLOWS, raw), 400, "invalid_json", field=None)
    assert "object" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
    ids=["no-content-type", "form", "multipart", "text-plain"],
)
def test_body_not_sent_as_json_is_invalid_json(api: Api, content_type: str | None) -> None:
    """A perfectly good flow body is still refused unless it is sent as application/json."""
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(flow_body()).encode()
    error = assert_error(api.post(FLOWS, data=raw, headers=headers), 400, "invalid_json", field=None)
    assert "Content-Type" in error["message"]
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize("missing", ["name", "source", "target"])
def test_create_flow_missing_field(api: Api, missing: str) -> None:
    body = flow_body()
    del body[missing]
    error = assert_error(api.post(FLOWS, json=body), 400, "missing_field", field=missing)
    assert missing in error["message"]


@pytest.mark.parametrize("missing", ["id", "type"])
def test_create_flow_missing_target_subfield(api: Api, missing: str) -> None:
    body = flow_body()
    del body["target"][missing]
    assert_error(api.post(FLOWS, json=body), 400, "missing_field", field=f"target.{missing}")


@pytest.mark.parametrize("missing", ["name", "type"])
def test_create_target_missing_field(api: Api, missing: str) -> None:
    body = {"name": "new-target", "type": "slack"}
    del body[missing]
    assert_error(api.post(TARGETS, json=body), 400, "missing_field", field=missing)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": ["a"]}, "name"),
        ({"source": 5}, "source"),
        ({"source": ""}, "source"),
        ({"target": "x"}, "target"),
        ({"target": {"id": 5, "type": "stripe"}}, "target.id"),
        ({"target": {"id": "dest_stripe_prod_us_east_1", "type": "ftp"}}, "target.type"),
        ({"target": {"id": "dest_stripe_prod_us_east_1", "type": 1}}, "target.type"),
        ({"status": "running"}, "status"),
        ({"description": 5}, "description"),
        ({"description": "x" * 1001}, "description"),
        ({"targets": []}, "targets"),
        ({"targets": "x"}, "targets"),
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else value,
)
def test_create_flow_wrongly_typed_field(api: Api, change: dict[str, Any], field: str) -> None:
    body = {**flow_body(), **change}
    if "targets" in change:
        del body["target"]
    assert_error(api.post(FLOWS, json=body), 400, "invalid_field", field=field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"status": None}, "status"),
        ({"status": "stopped"}, "status"),
        ({"target": {"id": 5, "type": "stripe"}}, "target.id"),
        ({"description": ["x"]}, "description"),
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else value,
)
def test_patch_flow_wrongly_typed_field(api: Api, change: dict[str, Any], field: str) -> None:
    flow = make_flow(api)
    assert_error(api.patch(f"{FLOWS}/{flow['id']}", json=change), 400, "invalid_field", field=field)
    assert api.get(f"{FLOWS}/{flow['id']}").json() == flow


def test_target_and_targets_together_is_refused(api: Api) -> None:
    body = flow_body(targets=[SLACK])
    assert_error(api.post(FLOWS, json=body), 400, "invalid_field", field="targets")


BAD_NAMES = {
    "uppercase": "Invoice-Flow",
    "leading-digit": "1-flow",
    "leading-dash": "-flow",
    "65-chars": "a" * 65,
    "empty": "",
    "underscore": "invoice_flow",
    "space": "invoice flow",
    "unicode": "fl\u00f6w",
    "trailing-newline": "flow\n",
}


@pytest.mark.parametrize("endpoint", ["create-flow", "patch-flow", "create-target"])
@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_bad_name_is_refused_with_the_rule(api: Api, endpoint: str, name: str) -> None:
    method, path = write_endpoint(api, endpoint)
    body = {"name": name}
    if endpoint == "create-flow":
        body = flow_body(name)
    elif endpoint == "create-target":
        body = {"name": name, "type": "slack"}
    error = assert_error(api.request(method, path, json=body), 400, "invalid_field", field="name")
    assert NAME_RULE in error["message"]
    assert "64" in error["message"] and "lowercase" in error["message"]


def test_name_of_64_chars_is_accepted(api: Api) -> None:
    assert api.create_flow("a" + "-9" * 31 + "z").status_code == 201


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("create-flow", flow_body(descripton="typo"), "descripton"),
        ("create-flow", flow_body(target={**STRIPE, "url": "https://x.test"}), "target.url"),
        ("patch-flow", {"descripton": "typo"}, "descripton"),
        ("create-target", {"name": "new-target", "type": "slack", "kind": "x"}, "kind"),
    ],
    ids=["flow-top-level", "flow-target", "patch-flow", "target"],
)
def test_unknown_field(api: Api, endpoint: str, body: dict[str, Any], field: str) -> None:
    method, path = write_endpoint(api, endpoint)
    error = assert_error(api.request(method, path, json=body), 400, "unknown_field", field=field)
    assert field in error["message"]


def test_target_type_mismatch_on_create(api: Api) -> None:
    body = flow_body(target={"id": SLACK["id"], "type": "stripe"})
    error = assert_error(api.post(FLOWS, json=body), 400, "target_type_mismatch", field="target.type")
    assert "slack" in error["message"]
    assert api.all_pages(FLOWS) == []


def test_target_type_mismatch_on_patch(api: Api) -> None:
    flow = make_flow(api)
    change = {"target": {"id": "dest_http_orders_webhook", "type": "slack"}}
    assert_error(api.patch(f"{FLOWS}/{flow['id']}", json=change), 400, "target_type_mismatch", field="target.type")
    assert api.get(f"{FLOWS}/{flow['id']}").json()["target"] == STRIPE


@pytest.mark.parametrize("source", ["ingester_github", "ingester_nope"])
def test_patch_cannot_change_the_source(api: Api, source: str) -> None:
    flow = make_flow(api)
    error = assert_error(
        api.patch(f"{FLOWS}/{flow['id']}", json={"source": source}), 400, "source_immutable", field="source"
    )
    assert "ingester_stripe" in error["message"]
    assert api.get(f"{FLOWS}/{flow['id']}").json()["source"] == "ingester_stripe"


def test_patch_with_the_same_source_is_ok(api: Api) -> None:
    flow = make_flow(api)
    response = api.patch(f"{FLOWS}/{flow['id']}", json={"source": "ingester_stripe", "description": "same"})
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "ingester_stripe"
    assert response.json()["description"] == "same"


@pytest.mark.parametrize("path", [FLOWS, TARGETS, "clusters", "{plane}/ingesters"])
@pytest.mark.parametrize("limit", ["0", "251", "abc", "-1", "1.5", "", str(10**30)])
def test_bad_limit(api: Api, path: str, limit: str) -> None:
    error = assert_error(api.get(path, params={"limit": limit}), 400, "invalid_field", field="limit")
    assert "250" in error["message"]


@pytest.mark.parametrize("limit", ["1", "250"])
def test_limit_bounds_are_accepted(api: Api, limit: str) -> None:
    assert api.get(FLOWS, params={"limit": limit}).status_code == 200


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "", _b64("after:x"), _b64("before:3"), _b64("after:-1"), "%%%", "\u00e9t\u00e9"],
)
@pytest.mark.parametrize("path", [FLOWS, TARGETS])
def test_garbage_cursor(api: Api, path: str, cursor: str) -> None:
    assert_error(api.get(path, params={"cursor": cursor}), 400, "invalid_cursor", field="cursor")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (FLOWS, {"status": "bogus"}, "status"),
        (FLOWS, {"status": "ACTIVE"}, "status"),
        (FLOWS, {"targetType": "bogus"}, "targetType"),
        (FLOWS, {"targetType": "Stripe"}, "targetType"),
        (TARGETS, {"type": "ftp"}, "type"),
    ],
)
def test_bad_list_filter(api: Api, path: str, params: dict[str, str], field: str) -> None:
    assert_error(api.get(path, params=params), 400, "invalid_field", field=field)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "new-webhook", "type": "http"},
        {"name": "new-webhook", "type": "http", "url": None},
        {"name": "new-webhook", "type": "http", "url": "ftp://example.com/x"},
        {"name": "new-webhook", "type": "http", "url": "not a url"},
    ],
    ids=["absent", "null", "ftp", "not-a-url"],
)
def test_http_target_needs_an_http_url(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post(TARGETS, json=body), 400, "invalid_field", field="url")


def test_patch_http_target_url_to_null(api: Api) -> None:
    response = api.patch(f"{TARGETS}/dest_http_orders_webhook", json={"url": None})
    assert_error(response, 400, "invalid_field", field="url")


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_lone_surrogate_in_description(api: Api, endpoint: str) -> None:
    """``"\\ud800"`` is valid JSON syntax but no Unicode text: a 400 naming the field."""
    method, path = write_endpoint(api, endpoint)
    head = {
        "create-flow": json.dumps(flow_body())[:-1] + ", ",
        "create-target": '{"name": "new-target", "type": "slack", ',
        "patch-flow": "{",
    }[endpoint]
    raw = (head + '"description": "bad \\ud800 text"}').encode("ascii")
    assert_error(post_raw(api, path, raw, method=method), 400, "invalid_field", field="description")


def test_lone_surrogate_in_a_key_is_a_400_that_does_not_blame_the_object(api: Api) -> None:
    """The body is a JSON object; the message must not say it is not one."""
    raw = (json.dumps(flow_body())[:-1] + ', "\\ud800": 1}').encode("ascii")
    response = post_raw(api, FLOWS, raw)
    assert response.status_code == 400, response.text
    error = assert_error(response, 400, response.json()["error"]["code"])
    assert error["code"] in {"invalid_json", "invalid_field", "unknown_field"}
    assert "must be a JSON object" not in error["message"], error


# --- 401 ---------------------------------------------------------------------------------

BAD_AUTHORIZATIONS = {
    "no-header": None,
    "empty": "",
    "basic": "Basic dXNlcjpwYXNz",
    "token-scheme": "Token zen_test_sandbox_demo_token",
    "no-scheme": "zen_test_sandbox_demo_token",
    "bearer-without-token": "Bearer",
    "bearer-blank": "Bearer    ",
    "wrong-token": "Bearer zen_wrong_token",
}


def _without_session_auth(api: Api, method: str, path: str, authorization: str | None, **kwargs: Any):
    headers = dict(kwargs.pop("headers", {}))
    headers["Authorization"] = authorization  # None drops the session's header
    return api.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATIONS.values(), ids=BAD_AUTHORIZATIONS.keys())
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("GET", FLOWS, None),
        ("POST", FLOWS, flow_body()),
        ("POST", TARGETS, {"name": "new-target", "type": "slack"}),
    ],
    ids=["get-tenant", "list-flows", "create-flow", "create-target"],
)
def test_unauthenticated(api: Api, method: str, path: str, body: Any, authorization: str | None) -> None:
    response = _without_session_auth(api, method, path, authorization, json=body)
    assert_error(response, 401, "unauthenticated", field=None)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="zen-mesh"'
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[]", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b'{"bogus": 1}', "application/json"),
    ],
    ids=["malformed", "array", "form", "unknown-field"],
)
@pytest.mark.parametrize("authorization", [None, "Bearer zen_wrong_token"], ids=["no-token", "wrong-token"])
def test_auth_is_checked_before_the_body(api: Api, raw: bytes, content_type: str, authorization: str | None) -> None:
    response = _without_session_auth(
        api, "POST", FLOWS, authorization, data=raw, headers={"Content-Type": content_type}
    )
    assert_error(response, 401, "unauthenticated", field=None)


def test_oversized_body_without_token_is_401(api: Api) -> None:
    response = _without_session_auth(api, "POST", FLOWS, None, data=b"x" * (MIB + 1), headers=JSON)
    assert_error(response, 401, "unauthenticated", field=None)


def test_wrong_token_on_unknown_tenant_is_401_not_404(api: Api) -> None:
    """An invalid token learns nothing about which tenants exist."""
    response = requests.get(f"{api.base_url}/tenants/tenant_nope", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert_error(response, 401, "unauthenticated", field=None)


def test_401_message_does_not_echo_the_token(api: Api) -> None:
    secret = "zen_secret_" + uuid.uuid4().hex
    response = _without_session_auth(api, "GET", FLOWS, f"Bearer {secret}")
    assert_error(response, 401, "unauthenticated")
    assert secret not in response.text


# --- 403 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("GET", "clusters", None),
        ("GET", FLOWS, None),
        ("POST", FLOWS, flow_body()),
        ("DELETE", f"{TARGETS}/dest_s3_events_archive", None),
        ("POST", FLOWS, None),
    ],
    ids=["tenant", "planes", "list-flows", "create-flow", "delete-target", "create-flow-no-body"],
)
def test_token_of_another_tenant_is_forbidden(api: Api, new_tenant, method: str, path: str, body: Any) -> None:
    other = new_tenant()
    demo_token_on_other_path = Api(api.box, tenant_id=other.tenant_id)
    response = demo_token_on_other_path.request(method, path, json=body)
    assert_error(response, 403, "forbidden", field=None)
    assert other.all_pages(FLOWS) == []
    assert other.get(f"{TARGETS}/dest_s3_events_archive").status_code == 200


def test_other_tenants_token_on_the_demo_path_is_forbidden(api: Api, new_tenant) -> None:
    other = new_tenant()
    response = requests.get(
        api.url(FLOWS), headers={"Authorization": other.session.headers["Authorization"]}, timeout=30
    )
    assert_error(response, 403, "forbidden", field=None)


FAN_OUTS = {
    "targets-list": {"targets": [STRIPE, SLACK]},
    "target-as-list": {"target": [STRIPE, SLACK]},
}


@pytest.mark.parametrize("fan_out", FAN_OUTS.values(), ids=FAN_OUTS.keys())
def test_fan_out_on_plan_team_needs_an_upgrade(api: Api, fan_out: dict[str, Any]) -> None:
    body = {"name": "fan-out-flow", "source": "ingester_stripe", **fan_out}
    error = assert_error(api.post(FLOWS, json=body), 403, "plan_upgrade_required", field="targets")
    assert "Business+" in error["message"]
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize("fan_out", FAN_OUTS.values(), ids=FAN_OUTS.keys())
def test_fan_out_on_patch_on_plan_team_needs_an_upgrade(api: Api, fan_out: dict[str, Any]) -> None:
    flow = make_flow(api)
    response = api.patch(f"{FLOWS}/{flow['id']}", json=fan_out)
    assert_error(response, 403, "plan_upgrade_required", field="targets")
    assert "targets" not in api.get(f"{FLOWS}/{flow['id']}").json()


@pytest.mark.parametrize("fan_out", FAN_OUTS.values(), ids=FAN_OUTS.keys())
def test_fan_out_on_business_plus_is_created(new_tenant, fan_out: dict[str, Any]) -> None:
    business = new_tenant(plan="business_plus")
    body = {"name": "fan-out-flow", "source": "ingester_stripe", **fan_out}
    response = business.post(FLOWS, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["targets"] == [STRIPE, SLACK]
    assert created["target"] == STRIPE
    assert business.get(f"{FLOWS}/{created['id']}").json() == created


def test_fan_out_on_business_plus_still_checks_each_target(new_tenant) -> None:
    business = new_tenant(plan="business_plus")
    mismatch = {
        "name": "fan-out-flow",
        "source": "ingester_stripe",
        "targets": [STRIPE, {"id": SLACK["id"], "type": "s3"}],
    }
    assert_error(business.post(FLOWS, json=mismatch), 400, "target_type_mismatch", field="targets.type")
    twice = {"name": "fan-out-flow", "source": "ingester_stripe", "targets": [STRIPE, STRIPE]}
    assert_error(business.post(FLOWS, json=twice), 400, "invalid_field", field="targets")
    unknown = {
        "name": "fan-out-flow",
        "source": "ingester_stripe",
        "targets": [STRIPE, {"id": "dest_nope", "type": "s3"}],
    }
    assert_error(business.post(FLOWS, json=unknown), 404, "target_not_found")
    assert business.all_pages(FLOWS) == []


# --- 404 and 405 -------------------------------------------------------------------------


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


# --- 413 ---------------------------------------------------------------------------------


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_body_over_1_mib_is_payload_too_large(api: Api, endpoint: str, chunked: bool) -> None:
    method, path = write_endpoint(api, endpoint)
    raw = b"x" * (MIB + 1)
    response = post_raw(api, path, _chunks(raw) if chunked else raw, method=method)
    assert_error(response, 413, "payload_too_large", field=None)
    assert api.get("").status_code == 200  # the sandbox still answers afterwards


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_valid_json_over_1_mib_is_payload_too_large(api: Api, chunked: bool) -> None:
    raw = json.dumps(flow_body()).encode().ljust(MIB + 1)
    response = post_raw(api, FLOWS, _chunks(raw) if chunked else raw)
    assert_error(response, 413, "payload_too_large")
    assert api.all_pages(FLOWS) == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_junk_of_exactly_1_mib_is_400_not_413(api: Api, chunked: bool) -> None:
    raw = b"x" * MIB
    assert_error(post_raw(api, FLOWS, _chunks(raw) if chunked else raw), 400, "invalid_json")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_valid_json_of_exactly_1_mib_is_accepted(api: Api, chunked: bool) -> None:
    raw = json.dumps(flow_body()).encode().ljust(MIB)
    assert len(raw) == MIB
    response = post_raw(api, FLOWS, _chunks(raw) if chunked else raw)
    assert response.status_code == 201, response.text


def test_body_over_1_mib_with_idempotency_key_is_413(api: Api) -> None:
    response = post_raw(api, FLOWS, b"x" * (MIB + 1), **{"Idempotency-Key": str(uuid.uuid4())})
    assert_error(response, 413, "payload_too_large")


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


# --- headers on every response -----------------------------------------------------------


def _assert_contract_headers(response: requests.Response) -> None:
    headers = response.headers
    assert headers.get("X-Request-Id", "").startswith("req_"), (response.status_code, dict(headers))
    limit = int(headers["X-RateLimit-Limit"])
    remaining = int(headers["X-RateLimit-Remaining"])
    reset = int(headers["X-RateLimit-Reset"])
    assert limit >= 1 and 0 <= remaining <= limit
    now = time.time()
    assert now - 5 <= reset <= now + 24 * 3600, "X-RateLimit-Reset is Unix seconds"


def test_every_response_carries_request_id_and_rate_limit_headers(api: Api, new_tenant) -> None:
    other = new_tenant()
    flow = make_flow(api, "header-flow")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    responses = [
        requests.get(f"{api.base_url}/health", timeout=30),
        api.get(""),
        api.get(FLOWS),
        api.post(TARGETS, json={"name": "new-target", "type": "slack"}, headers=key),
        api.post(TARGETS, json={"name": "new-target", "type": "slack"}, headers=key),  # replayed
        api.patch(f"{FLOWS}/{flow['id']}", json={"description": "x"}),
        api.post(f"{FLOWS}/{flow['id']}/pause"),
        api.delete(f"{FLOWS}/{flow['id']}"),  # 204
        post_raw(api, FLOWS, b"{"),  # 400
        _without_session_auth(api, "GET", FLOWS, None),  # 401
        Api(api.box, tenant_id=other.tenant_id).get(""),  # 403
        api.get(f"{FLOWS}/flow_nope"),  # 404
        requests.get(f"{api.base_url}/nope", timeout=30),  # 404, no route
        api.request("PUT", FLOWS),  # 405
        api.post(TARGETS, json={"name": "orders-webhook", "type": "slack"}),  # 409
        post_raw(api, FLOWS, b"x" * (MIB + 1)),  # 413
        api.post(TARGETS, json={"name": "other-target", "type": "slack"}, headers=key),  # 422
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [200, 200, 200, 201, 201, 200, 200, 204, 400, 401, 403, 404, 404, 405, 409, 413, 422]
    for response in responses:
        _assert_contract_headers(response)
    fresh = [r.headers["X-Request-Id"] for r in responses if not r.headers.get("Idempotent-Replayed")]
    assert len(set(fresh)) == len(fresh), "each request has its own id"


# --- hostile bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000,
        b'{"name": "x", "description": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=["open-arrays", "balanced-arrays", "open-objects", "deep-field"],
)
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_deeply_nested_json_is_400(api: Api, endpoint: str, raw: bytes) -> None:
    method, path = write_endpoint(api, endpoint)
    response = post_raw(api, path, raw, method=method)
    assert response.status_code == 400, response.text[:500]
    assert_error(response, 400, response.json()["error"]["code"])


HUGE = "9" * 5000  # past Python's default int-from-text limit of 4300 digits


@pytest.mark.parametrize(
    "raw",
    [
        HUGE,
        "-" + HUGE,
        '{"name": ' + HUGE + "}",
        json.dumps(flow_body())[:-1] + ', "description": ' + HUGE + "}",
        json.dumps(flow_body(name=10**100)),
        json.dumps(flow_body(target={"id": 10**300, "type": "stripe"})),
        json.dumps(flow_body(description=1e308 * 10)),  # Infinity
        "1e999999",
    ],
    ids=[
        "top-level",
        "negative",
        "name-5000-digits",
        "description-5000-digits",
        "name-101-digits",
        "target-id-301-digits",
        "infinity",
        "float-overflow",
    ],
)
@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_huge_numbers_are_400(api: Api, endpoint: str, raw: str) -> None:
    method, path = write_endpoint(api, endpoint)
    response = post_raw(api, path, raw.encode(), method=method)
    assert response.status_code == 400, response.text[:500]
    error = assert_error(response, 400, response.json()["error"]["code"])
    assert error["code"] in {"invalid_json", "invalid_field", "unknown_field", "missing_field"}


def test_huge_limit_is_400(api: Api) -> None:
    assert_error(api.get(FLOWS, params={"limit": HUGE}), 400, "invalid_field", field="limit")


# --- property test: nothing makes the sandbox answer 5xx --------------------------------

FIELD_NAMES = ["name", "source", "target", "targets", "id", "type", "description", "status", "url"]
PLAUSIBLE = [
    "invoice-flow",
    "ingester_stripe",
    "dest_stripe_prod_us_east_1",
    "dest_http_orders_webhook",
    "stripe",
    "http",
    "slack",
    "active",
    "paused",
    "https://example.com/hook",
    "",
]
TEXT = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates included
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT | st.sampled_from(PLAUSIBLE)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, children, max_size=5)
    ),
    max_leaves=20,
)
#: Bodies shaped like requests (known keys, arbitrary values), so the checks past parsing run too.
OBJECTS = st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, JSON_VALUES, max_size=6)
TARGET_REFS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["dest_stripe_prod_us_east_1", "dest_slack_payments_alerts", "dest_nope"]) | SCALARS,
        "type": st.sampled_from(["stripe", "http", "slack", "s3"]) | SCALARS,
    }
)
VALID_BODIES = {
    "create-flow": flow_body("fuzz-flow"),
    "create-target": {"name": "fuzz-target", "type": "http", "url": "https://example.com/hook"},
    "patch-flow": {"name": "fuzz-flow", "description": "x", "status": "paused", "target": STRIPE},
}


def near_valid(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with up to two fields set to arbitrary values, and maybe one field dropped."""
    values = JSON_VALUES | TARGET_REFS | st.lists(TARGET_REFS, max_size=3)
    changes = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=2)
    dropped = st.sets(st.sampled_from(sorted(base)), max_size=1)
    return st.builds(lambda new, gone: {k: v for k, v in {**base, **new}.items() if k not in gone}, changes, dropped)


RAW_BYTES = st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode()).flatmap(
    lambda raw: st.integers(0, len(raw)).map(lambda cut: raw[:cut])  # truncated JSON
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", None]
)
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_no_fault(response: requests.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 300:
        assert_error(response, response.status_code, response.json()["error"]["code"])


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_arbitrary_json_never_faults(api: Api, endpoint: str) -> None:
    method, path = write_endpoint(api, endpoint)

    @FUZZ
    @given(body=JSON_VALUES | OBJECTS | near_valid(VALID_BODIES[endpoint]))
    def check(body: Any) -> None:
        _assert_no_fault(post_raw(api, path, json.dumps(body).encode(), method=method))

    check()


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_arbitrary_bytes_never_fault(api: Api, endpoint: str) -> None:
    method, path = write_endpoint(api, endpoint)

    @FUZZ
    @given(raw=RAW_BYTES, content_type=CONTENT_TYPES)
    def check(raw: bytes, content_type: str | None) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        _assert_no_fault(api.request(method, path, data=raw, headers=headers))

    check()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"description": "x" * 1001}, "description", "description: must be at most 1000 characters; got 1001"),
        ({"source": ""}, "source", "source: must be at least 1 character; got 0"),
        ({"target": None, "targets": []}, "targets", "targets: must be at least 1 item; got 0"),
    ],
    ids=["long-description", "empty-source", "no-targets"],
)
def test_length_errors_count_characters_of_text_and_items_of_lists(api: Api, change, field, message) -> None:
    body = {key: value for key, value in {**flow_body(), **change}.items() if value is not None}
    response = api.post(FLOWS, json=body)
    assert_error(response, 400, "invalid_field", field=field)
    assert response.json()["error"]["message"] == message
