"""Each kind of fault rule, over HTTP against a real sandbox: status, Retry-After, latency with a
spread, afterCommit (the write is there after the fault answer) and drop (no HTTP answer at all)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
import requests

from fault_helpers import FLOWS, add_fault, flow_body, get_tenant, rule_now, without_faults
from helpers import Api, assert_error, assert_problem

pytestmark = pytest.mark.usefixtures("faults")


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """No fault rule before or after the test (fault_helpers.without_faults)."""
    yield from without_faults(api)


def test_status_fault_is_the_contract_error_with_the_rule_named(faults: Api) -> None:
    rule = add_fault(faults, status=500, methods=["GET"])
    body = assert_error(get_tenant(faults), 500, "injected_fault", None)
    assert f"sandbox fault rule '{rule['id']}'" in body["message"]
    assert f"DELETE /_sandbox/faults/{rule['id']}" in body["message"]


@pytest.mark.parametrize("after_commit", [False, True])
def test_a_faulted_answer_carries_the_headers_every_answer_has(faults: Api, after_commit: bool) -> None:
    add_fault(faults, status=503, afterCommit=after_commit)
    response = get_tenant(faults)
    assert_error(response, 503, "injected_fault")
    for name in ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert name in response.headers, (name, dict(response.headers))


def test_status_fault_under_v1_is_problem_details(faults: Api) -> None:
    add_fault(faults, status=502)
    response = requests.get(
        f"{faults.base_url}/v1/tenants/{faults.tenant_id}/delivery-flows",
        headers={"Authorization": f"Bearer {faults.token}"},
        timeout=30,
    )
    assert_problem(response, 502, "injected_fault")


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_carry_retry_after(faults: Api, status: int) -> None:
    add_fault(faults, status=status)
    response = get_tenant(faults)
    assert_error(response, status, "injected_fault")
    assert response.headers["Retry-After"] == "1"


@pytest.mark.parametrize("seconds", [0, 7])
def test_retry_after_is_the_rules_own(faults: Api, seconds: int) -> None:
    rule = add_fault(faults, status=503, retryAfterSeconds=seconds)
    assert rule["retryAfterSeconds"] == seconds
    response = get_tenant(faults)
    assert_error(response, 503, "injected_fault")
    assert response.headers["Retry-After"] == str(seconds)


def test_other_statuses_carry_no_retry_after(faults: Api) -> None:
    add_fault(faults, status=400)
    response = get_tenant(faults)
    assert_error(response, 400, "injected_fault")
    assert "Retry-After" not in response.headers


def test_latency_with_spread_delays_the_real_answer(faults: Api) -> None:
    seed = 5
    add_fault(faults, latencyMs=200, latencySpreadMs=400, seed=seed)
    draws = random.Random(seed)
    for _ in range(3):
        expected = (200 + draws.uniform(0, 400)) / 1000
        started = time.monotonic()
        response = get_tenant(faults)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.text  # latency alone: the real answer, late
        assert expected - 0.02 <= elapsed < expected + 5, (expected, elapsed)


def test_after_commit_the_write_is_there_behind_the_fault(faults: Api) -> None:
    rule = add_fault(faults, status=503, afterCommit=True, methods=["POST"], path=FLOWS, count=1)
    key = {"Idempotency-Key": "fault-after-commit-1"}
    response = faults.post("{plane}/delivery-flows", json=flow_body("written-behind-a-503"), headers=key)
    body = assert_error(response, 503, "injected_fault")
    assert "after the request was handled and committed" in body["message"]
    names = [flow["name"] for flow in faults.all_pages("{plane}/delivery-flows")]
    assert names.count("written-behind-a-503") == 1
    # The client's retry with the same key gets the stored answer, not a second flow.
    retried = faults.post("{plane}/delivery-flows", json=flow_body("written-behind-a-503"), headers=key)
    assert retried.status_code == 201 and retried.headers.get("Idempotent-Replayed") == "true", retried.text
    assert [flow["name"] for flow in faults.all_pages("{plane}/delivery-flows")].count("written-behind-a-503") == 1
    assert rule_now(faults, rule["id"])["hits"] == 1


def test_drop_closes_the_connection_with_no_answer(faults: Api) -> None:
    rule = add_fault(faults, drop=True, methods=["GET"], count=1)
    with pytest.raises(requests.ConnectionError) as caught:
        get_tenant(faults)
    assert "without response" in str(caught.value) or "reset" in str(caught.value).lower(), caught.value
    assert get_tenant(faults).status_code == 200  # count=1: the server serves on
    assert rule_now(faults, rule["id"])["hits"] == 1


def test_drop_after_commit_loses_the_answer_not_the_write(faults: Api) -> None:
    add_fault(faults, drop=True, afterCommit=True, methods=["POST"], path=FLOWS, count=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            faults.url("{plane}/delivery-flows"),
            json=flow_body("lost-answer"),
            headers={"Authorization": f"Bearer {faults.token}"},
            timeout=30,
        )
    assert "lost-answer" in [flow["name"] for flow in faults.all_pages("{plane}/delivery-flows")]


def test_a_fault_comes_before_auth(faults: Api) -> None:
    """As a gateway's 503 does: the request without a token is answered by the fault, not a 401."""
    add_fault(faults, status=503)
    response = requests.get(faults.url(), timeout=30)
    assert_error(response, 503, "injected_fault")
