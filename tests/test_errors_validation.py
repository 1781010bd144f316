"""The contract's 400 rows for fields, produced for real: missing, wrongly typed, unknown or too long
fields, bad names, type mismatches, list parameters (limit, cursor, filters) and text that is not
valid Unicode. How the error tests work: ``error_cases.py``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from zen_nb.sandbox.schemas import NAME_RULE

from error_cases import (
    FLOWS,
    SLACK,
    STRIPE,
    TARGETS,
    WRITE_ENDPOINTS,
    flow_body,
    make_flow,
    post_raw,
    write_endpoint,
)
from helpers import Api, assert_error


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
    error = assert_error(response, 400, response.json()["code"])
    assert error["code"] in {"invalid_json", "invalid_field", "unknown_field"}
    assert "must be a JSON object" not in error["message"], error


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
    assert response.json()["message"] == message
