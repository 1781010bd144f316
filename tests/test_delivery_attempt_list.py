"""The attempt list: its filters, pages and time windows in creation order, and its isolation per tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

from deliveries import (
    ATTEMPTS,
    S3,
    SLACK,
    STRIPE,
    attempts,
    ingest_ok,
    make_flow,
    parse_time,
    settled,
    wait_attempts,
)
from helpers import assert_error, set_outcome


def test_the_attempt_list_filters_and_pages_in_creation_order(fast):
    api = fast
    set_outcome(api, SLACK[0], successRate=0.0)
    good = make_flow(api, "good-flow", STRIPE)
    bad = make_flow(api, "bad-flow", SLACK)
    first = ingest_ok(api, {"n": 1})
    wait_attempts(api, settled(5))
    second = ingest_ok(api, {"n": 2})
    everything = wait_attempts(api, settled(10))

    ids = [a["id"] for a in everything]
    assert len(set(ids)) == 10
    stamps = [a["createdAt"] for a in everything]
    assert stamps == sorted(stamps)

    paged, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get(ATTEMPTS, params=params).json()
        assert len(body["deliveryAttempts"]) <= 2
        paged += body["deliveryAttempts"]
        pages += 1
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            break
        cursor = body["nextCursor"]
    assert paged == everything and pages == 5

    def listed(**params: Any) -> list[str]:
        return [a["id"] for a in attempts(api, **params)]

    def expected(keep: Callable[[dict], bool]) -> list[str]:
        return [a["id"] for a in everything if keep(a)]

    assert listed(flowId=good["id"]) == expected(lambda a: a["flowId"] == good["id"])
    assert len(listed(flowId=good["id"])) == 2
    assert len(listed(flowId=bad["id"])) == 8
    assert listed(eventId=first["id"]) == expected(lambda a: a["eventId"] == first["id"])
    assert len(listed(eventId=second["id"])) == 5
    assert listed(targetId=SLACK[0]) == expected(lambda a: a["targetId"] == SLACK[0])
    assert listed(status="succeeded") == expected(lambda a: a["status"] == "succeeded")
    assert len(listed(status="failed")) == 8
    assert listed(status="pending") == []
    assert listed(flowId=bad["id"], eventId=second["id"], status="failed") == expected(
        lambda a: a["flowId"] == bad["id"] and a["eventId"] == second["id"]
    )
    assert listed(flowId="flow_nothing") == [] and listed(targetId=S3[0]) == []

    middle = stamps[5]
    assert listed(since=middle) == expected(lambda a: a["createdAt"] >= middle)  # inclusive
    assert listed(until=middle) == expected(lambda a: a["createdAt"] < middle)  # exclusive
    assert listed(since=stamps[0], until=stamps[-1]) == expected(lambda a: a["createdAt"] < stamps[-1])
    offset = (parse_time(middle).astimezone(timezone(timedelta(hours=2)))).isoformat()  # ...+02:00
    assert listed(since=offset) == listed(since=middle)
    later = (parse_time(stamps[-1]) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(since=later) == [] and listed(until=later) == ids

    assert_error(api.get(ATTEMPTS, params={"since": "yesterday"}), 400, "invalid_field", field="since")
    assert_error(api.get(ATTEMPTS, params={"until": "2024-13-45T00:00:00Z"}), 400, "invalid_field", field="until")
    assert_error(api.get(ATTEMPTS, params={"status": "lost"}), 400, "invalid_field", field="status")
    assert_error(api.get(ATTEMPTS, params={"limit": 0}), 400, "invalid_field", field="limit")
    assert_error(api.get(ATTEMPTS, params={"limit": 251}), 400, "invalid_field", field="limit")


def test_attempts_are_isolated_per_tenant(fast, new_tenant):
    api = fast
    make_flow(api, "demo-flow", STRIPE)
    event = ingest_ok(api)
    [attempt] = wait_attempts(api, settled(1))

    other = new_tenant()
    assert other.all_pages(ATTEMPTS) == []
    assert_error(other.get(f"{ATTEMPTS}/{attempt['id']}"), 404, "attempt_not_found")
    assert_error(other.post(f"{ATTEMPTS}/{attempt['id']}/retry"), 404, "attempt_not_found")
    assert other.all_pages(ATTEMPTS, eventId=event["id"]) == []

    demo_path = f"{api.base_url}/tenants/{api.tenant_id}/clusters/{api.plane_id}"
    for method, path in (
        ("GET", "delivery-attempts"),
        ("GET", f"delivery-attempts/{attempt['id']}"),
        ("POST", f"delivery-attempts/{attempt['id']}/retry"),
        ("POST", "ingesters/ingester_stripe/events"),
    ):
        response = other.session.request(method, f"{demo_path}/{path}", json={"x": 1}, timeout=30)
        assert_error(response, 403, "forbidden")
    neighbour = f"{api.base_url}/tenants/tenant_neighbour/clusters/{api.plane_id}/delivery-attempts"
    assert_error(api.session.get(neighbour, timeout=30), 403, "forbidden")

    # The other tenant's own events make its own attempts, which the demo tenant does not see.
    make_flow(other, "other-flow", STRIPE)
    own = ingest_ok(other)
    [its] = wait_attempts(other, settled(1))
    assert its["eventId"] == own["id"]
    assert_error(api.get(f"{ATTEMPTS}/{its['id']}"), 404, "attempt_not_found")
    assert attempts(api) == [attempt]
