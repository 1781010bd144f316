"""Who may do what, produced for real: a missing or wrong token is 401 before anything else is read,
another tenant's token is 403, and a plan without fan-out is 403 with an upgrade to name.
How the error tests work: ``error_cases.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from error_cases import (
    FLOWS,
    JSON,
    MIB,
    SLACK,
    STRIPE,
    TARGETS,
    flow_body,
    make_flow,
    without_session_auth,
)
from helpers import Api, assert_error

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
    response = without_session_auth(api, method, path, authorization, json=body)
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
    response = without_session_auth(api, "POST", FLOWS, authorization, data=raw, headers={"Content-Type": content_type})
    assert_error(response, 401, "unauthenticated", field=None)


def test_oversized_body_without_token_is_401(api: Api) -> None:
    response = without_session_auth(api, "POST", FLOWS, None, data=b"x" * (MIB + 1), headers=JSON)
    assert_error(response, 401, "unauthenticated", field=None)


def test_wrong_token_on_unknown_tenant_is_401_not_404(api: Api) -> None:
    """An invalid token learns nothing about which tenants exist."""
    response = requests.get(f"{api.base_url}/tenants/tenant_nope", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert_error(response, 401, "unauthenticated", field=None)


def test_401_message_does_not_echo_the_token(api: Api) -> None:
    secret = "zen_secret_" + uuid.uuid4().hex
    response = without_session_auth(api, "GET", FLOWS, f"Bearer {secret}")
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


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "reset", None), ("POST", "tenants", {}), ("GET", "delivery", None), ("POST", "simulate", {"events": 1})],
)
@pytest.mark.parametrize("authorization", [None, "Bearer zen_test_not_a_token"], ids=["none", "wrong"])
def test_the_admin_surface_answers_401_with_its_challenge(api: Api, method, path, body, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.request(method, f"{api.base_url}/_sandbox/{path}", headers=headers, json=body, timeout=30)
    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="zen-nb-sandbox"'
