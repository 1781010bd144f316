"""``/_sandbox/faults`` itself, over HTTP: listing with hits, clearing one and all, the admin token,
the paths never faulted, and a 400 naming the field for every rule that cannot be applied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fault_helpers import add_fault, get_tenant, rule_now, without_faults
from helpers import Api, admin, assert_error

pytestmark = pytest.mark.usefixtures("faults")


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """No fault rule before or after the test (fault_helpers.without_faults)."""
    yield from without_faults(api)


def test_list_shows_the_rules_with_their_hits(faults: Api) -> None:
    rule = add_fault(faults, status=503, methods=["GET"], path="/tenants/*", count=5)
    assert rule["id"].startswith("fault_") and rule["hits"] == 0
    for _ in range(3):
        get_tenant(faults)
    listed = admin(faults, "GET", "faults").json()
    assert listed["seed"] is None
    assert [(r["id"], r["hits"], r["matched"]) for r in listed["rules"]] == [(rule["id"], 3, 3)]
    assert rule_now(faults, rule["id"]) == {**rule, "hits": 3, "matched": 3}


def test_delete_one_rule_leaves_the_others(faults: Api) -> None:
    gone = add_fault(faults, status=503, methods=["GET"])
    kept = add_fault(faults, status=429, methods=["POST"])
    assert admin(faults, "DELETE", f"faults/{gone['id']}").status_code == 204
    assert get_tenant(faults).status_code == 200
    assert [r["id"] for r in admin(faults, "GET", "faults").json()["rules"]] == [kept["id"]]
    assert_error(admin(faults, "DELETE", f"faults/{gone['id']}"), 404, "fault_rule_not_found", "ruleId")
    assert_error(admin(faults, "GET", f"faults/{gone['id']}"), 404, "fault_rule_not_found", "ruleId")


def test_delete_all_clears_every_rule(faults: Api) -> None:
    for status in (500, 502, 503):
        add_fault(faults, status=status)
    assert admin(faults, "DELETE", "faults").status_code == 204
    assert admin(faults, "GET", "faults").json()["rules"] == []
    assert get_tenant(faults).status_code == 200


def test_the_admin_token_is_needed(faults: Api) -> None:
    url = f"{faults.base_url}/_sandbox/faults"
    for method, token in (("GET", None), ("POST", faults.token), ("DELETE", None)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, url, json={"status": 503}, headers=headers, timeout=30)
        assert_error(response, 401, "unauthenticated")
    assert admin(faults, "GET", "faults").json()["rules"] == []


def test_the_sandbox_surface_and_health_are_never_faulted(faults: Api) -> None:
    add_fault(faults, status=503)
    add_fault(faults, drop=True)
    assert requests.get(f"{faults.base_url}/health", timeout=30).status_code == 200
    assert requests.get(f"{faults.base_url}/v1/health", timeout=30).status_code == 200
    assert admin(faults, "GET", "faults").status_code == 200
    assert admin(faults, "DELETE", "faults").status_code == 204  # the way out always works


INVALID: list[tuple[dict[str, Any], str]] = [
    ({}, "status"),
    ({"probability": 1}, "status"),
    ({"status": 503, "probability": 1.5}, "probability"),
    ({"status": 503, "probability": -0.1}, "probability"),
    ({"status": 302}, "status"),
    ({"status": 600}, "status"),
    ({"status": "503"}, "status"),
    ({"status": 503.5}, "status"),
    ({"status": True}, "status"),
    ({"status": 503, "drop": True}, "drop"),
    ({"afterCommit": True}, "afterCommit"),
    ({"afterCommit": True, "latencyMs": 10}, "afterCommit"),
    ({"drop": "yes"}, "drop"),
    ({"latencyMs": -1}, "latencyMs"),
    ({"latencyMs": 60_001}, "latencyMs"),
    ({"status": 503, "latencySpreadMs": -5}, "latencySpreadMs"),
    ({"status": 503, "methods": ["FETCH"]}, "methods"),
    ({"status": 503, "methods": "POST"}, "methods"),
    ({"status": 503, "path": "tenants/*"}, "path"),
    ({"status": 503, "path": ""}, "path"),
    ({"status": 503, "tenant": ""}, "tenant"),
    ({"status": 503, "count": 0}, "count"),
    ({"status": 503, "seed": -1}, "seed"),
    ({"status": 503, "statuss": 1}, "statuss"),
    ({"status": 500, "retryAfterSeconds": 3}, "retryAfterSeconds"),
    ({"status": 503, "retryAfterSeconds": 3601}, "retryAfterSeconds"),
    ({"status": 503, "retryAfterSeconds": 1.5}, "retryAfterSeconds"),
]


@pytest.mark.parametrize(("rule", "field"), INVALID, ids=[str(rule) for rule, _ in INVALID])
def test_a_rule_that_cannot_be_applied_is_a_400_naming_its_field(faults: Api, rule: dict[str, Any], field: str) -> None:
    response = admin(faults, "POST", "faults", json=rule)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["field"].startswith(field), body  # "methods[0]" names the item
    assert field in body["message"], body
    assert admin(faults, "GET", "faults").json()["rules"] == []


@pytest.mark.parametrize("payload", [b"", b"null", b"[]", b"{", b'"x"'])
def test_a_body_that_is_not_a_rule_is_a_400(faults: Api, payload: bytes) -> None:
    response = requests.post(
        f"{faults.base_url}/_sandbox/faults",
        data=payload,
        headers={"Authorization": f"Bearer {faults.box.admin_token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
