"""Which requests a fault rule picks, over HTTP: methods, the path glob, the tenant, count and seed."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import requests

from fault_helpers import FLOWS, add_fault, get_tenant, rule_now, without_faults
from helpers import Api, admin

pytestmark = pytest.mark.usefixtures("faults")


@pytest.fixture
def faults(api: Api) -> Iterator[Api]:
    """No fault rule before or after the test (fault_helpers.without_faults)."""
    yield from without_faults(api)


def _status(api: Api, method: str, path: str = "") -> int:
    return requests.request(
        method, api.url(path), headers={"Authorization": f"Bearer {api.token}"}, timeout=30
    ).status_code


def test_methods_pick_only_those_methods(faults: Api) -> None:
    add_fault(faults, status=503, methods=["POST", "PATCH"])
    assert _status(faults, "GET", "{plane}/delivery-flows") == 200
    assert _status(faults, "POST", "{plane}/delivery-flows") == 503
    assert _status(faults, "PATCH", "{plane}/delivery-flows/flow_none") == 503


def test_path_glob_star_is_one_segment(faults: Api) -> None:
    add_fault(faults, status=503, path=FLOWS)
    assert _status(faults, "GET", "{plane}/delivery-flows") == 503
    assert _status(faults, "GET", "{plane}/delivery-flows/") == 503  # served as the same path
    assert _status(faults, "GET", "{plane}/delivery-flows/flow_none") == 404  # one segment more: not matched
    assert _status(faults, "GET", "{plane}") == 200
    assert _status(faults, "GET", "{plane}/destinations") == 200


def test_path_glob_double_star_crosses_segments(faults: Api) -> None:
    add_fault(faults, status=503, path="/tenants/*/delivery-flows")  # one * never spans a '/'
    assert _status(faults, "GET", "{plane}/delivery-flows") == 200
    add_fault(faults, status=503, path="/tenants/**/delivery-flows/*")
    assert _status(faults, "GET", "{plane}/delivery-flows/flow_none") == 503
    assert _status(faults, "GET", "{plane}/delivery-flows") == 200


def test_tenant_picks_only_that_tenant(faults: Api, new_tenant) -> None:
    other = new_tenant()
    add_fault(faults, status=503, tenant=other.tenant_id)
    assert get_tenant(faults).status_code == 200
    assert get_tenant(other).status_code == 503
    v1 = requests.get(
        f"{other.base_url}/v1/tenants/{other.tenant_id}/delivery-flows",
        headers={"Authorization": f"Bearer {other.token}"},
        timeout=30,
    )
    assert v1.status_code == 503  # the v1 paths name the tenant too


def test_count_limits_the_rule_to_the_first_matches(faults: Api) -> None:
    rule = add_fault(faults, status=503, count=2, methods=["GET"])
    assert _status(faults, "POST", "{plane}/delivery-flows") != 503  # not a match: not counted
    assert [get_tenant(faults).status_code for _ in range(4)] == [503, 503, 200, 200]
    now = rule_now(faults, rule["id"])
    assert (now["hits"], now["matched"]) == (2, 2)


def test_count_counts_matches_not_faults(faults: Api) -> None:
    """With a probability, the first ``count`` matches each draw; the rule is spent after them."""
    rule = add_fault(faults, status=503, probability=0.5, count=6, seed=3)
    draws = random.Random(3)
    expected = [503 if draws.random() < 0.5 else 200 for _ in range(6)] + [200, 200]
    assert [get_tenant(faults).status_code for _ in range(8)] == expected
    assert rule_now(faults, rule["id"])["hits"] == expected.count(503)


def _run(api: Api, **rule: object) -> list[int]:
    added = add_fault(api, status=503, probability=0.5, **rule)
    statuses = [get_tenant(api).status_code for _ in range(24)]
    assert admin(api, "DELETE", f"faults/{added['id']}").status_code == 204
    return statuses


def test_a_rule_seed_repeats_the_sequence(faults: Api) -> None:
    first, second = _run(faults, seed=42), _run(faults, seed=42)
    assert first == second
    assert set(first) == {200, 503}  # a real mix, not all one way
    assert _run(faults, seed=43) != first


def test_the_seed_for_all_repeats_the_sequence(faults: Api) -> None:
    assert admin(faults, "PUT", "faults", json={"seed": 7}).json() == {"seed": 7}
    first = _run(faults)
    assert admin(faults, "PUT", "faults", json={"seed": 7}).status_code == 200
    second = _run(faults)
    assert first == second and set(first) == {200, 503}
    assert admin(faults, "GET", "faults").json()["seed"] == 7


def test_rules_apply_in_order_the_first_that_fires_decides(faults: Api) -> None:
    first = add_fault(faults, status=429, count=1)
    second = add_fault(faults, status=503)
    assert [get_tenant(faults).status_code for _ in range(3)] == [429, 503, 503]
    assert rule_now(faults, first["id"])["hits"] == 1 and rule_now(faults, second["id"])["hits"] == 2
