"""Simulated traffic (``POST /_sandbox/simulate``): a seeded, repeatable history of attempts in a
time window, following the retry schedule and the targets' profiles, for one tenant and one plane.
"""

from __future__ import annotations

import statistics
from typing import Any

import requests

from zen_nb.sandbox.outcomes import TYPICAL_LATENCY_MS

from deliveries import (
    ATTEMPTS,
    S3,
    S3_AUDIT,
    SLACK,
    SLACK_OPS,
    STRIPE,
    STRIPE_STAGING,
    attempts,
    check_shape,
    flow_action,
    make_flow,
    ms_between,
    parse_time,
)
from helpers import Api, admin, admin_post, assert_error, set_outcome, set_retry_schedule

HTTP_ORDERS = ("dest_http_orders_webhook", "http")  # simulated traffic only: simulate never POSTs
SIM_START = "2024-03-01T00:00:00Z"
SIM_FLOWS = (  # name, source, target
    ("sim-stripe", "ingester_stripe", STRIPE),
    ("sim-slack", "ingester_stripe", SLACK),
    ("sim-archive", "ingester_github", S3),
    ("sim-orders", "ingester_shopify", HTTP_ORDERS),
)


def simulate(api: Api, **body: Any) -> requests.Response:
    return admin(api, "POST", "simulate", json=body)


def simulated_history(api: Api, schedule: list[float], **body: Any) -> tuple[dict, list[dict], dict[str, str]]:
    """Reset, create :data:`SIM_FLOWS` (plus a paused one), simulate; the answer, the attempts, flow names."""
    assert admin_post(api.box, "reset").status_code == 200
    set_retry_schedule(api, schedule)
    names = {}
    for name, source, target in SIM_FLOWS:
        names[make_flow(api, name, target, source)["id"]] = name
    paused = flow_action(api, make_flow(api, "sim-paused", S3_AUDIT), "pause")
    names[paused["id"]] = "sim-paused"
    response = simulate(api, **body)
    assert response.status_code == 201, response.text
    return response.json(), attempts(api), names


def comparable(history: list[dict], names: dict[str, str]) -> list[tuple]:
    """The history with ids left out: flows by name, events by order of first appearance."""
    events: dict[str, int] = {}
    return [
        (
            names[a["flowId"]],
            events.setdefault(a["eventId"], len(events)),
            a["targetId"],
            a["attemptNumber"],
            a["trigger"],
            a["status"],
            a["responseStatus"],
            a["errorCode"],
            a["latencyMs"],
            a["createdAt"],
        )
        for a in history
    ]


def test_simulated_traffic_is_the_same_for_the_same_seed_and_differs_for_another(api):
    body = {"events": 200, "days": 1, "seed": 42, "failureRate": 0.3, "start": SIM_START}
    answer, first, names = simulated_history(api, [60, 600], **body)
    answer_again, second, names_again = simulated_history(api, [60, 600], **body)
    assert {a["id"] for a in first}.isdisjoint(a["id"] for a in second)  # new ids ...
    assert comparable(second, names_again) == comparable(first, names)  # ... the same history
    assert answer_again == answer

    _, third, names_third = simulated_history(api, [60, 600], **{**body, "seed": 43})
    assert comparable(third, names_third) != comparable(first, names)


def test_a_simulated_history_matches_its_answer_stays_in_its_window_and_follows_the_schedule(api):
    schedule = [30.0, 300.0, 1800.0]
    answer, history, names = simulated_history(
        api, schedule, events=300, days=2, seed=7, failureRate=0.5, start="2024-03-01T00:00:00+00:00"
    )
    assert answer == {
        "tenantId": api.tenant_id,
        "events": 300,
        "attempts": len(history),
        "flows": 4,  # the active ones
        "start": "2024-03-01T00:00:00.000Z",
        "end": "2024-03-03T00:00:00.000Z",
        "seed": 7,
    }
    assert len({a["eventId"] for a in history}) == 300
    assert {names[a["flowId"]] for a in history} == {name for name, _, _ in SIM_FLOWS}  # not the paused one
    start, end = parse_time(answer["start"]), parse_time(answer["end"])
    assert all(start <= parse_time(a["createdAt"]) < end for a in history)
    stamps = [a["createdAt"] for a in history]
    assert stamps == sorted(stamps)  # written in time order

    deliveries: dict[tuple[str, str], list[dict]] = {}
    for attempt in history:
        check_shape(attempt)
        assert attempt["status"] != "pending"
        deliveries.setdefault((attempt["flowId"], attempt["eventId"]), []).append(attempt)
    sources = {name: source for name, source, _ in SIM_FLOWS}
    per_event: dict[str, set[str]] = {}
    for (flow_id, event_id), made in deliveries.items():
        per_event.setdefault(event_id, set()).add(sources[names[flow_id]])
        assert [a["attemptNumber"] for a in made] == list(range(1, len(made) + 1))
        assert len(made) <= len(schedule) + 1
        assert [a["trigger"] for a in made] == ["initial"] + ["automatic"] * (len(made) - 1)
        assert all(a["status"] == "failed" for a in made[:-1])
        if len(made) <= len(schedule):
            assert made[-1]["status"] == "succeeded"
        for before, after in zip(made[:-1], made[1:], strict=True):
            expected = before["latencyMs"] + schedule[before["attemptNumber"] - 1] * 1000
            assert abs(ms_between(before["createdAt"], after["createdAt"]) - expected) <= 1, (before, after)
    assert all(len(event_sources) == 1 for event_sources in per_event.values())  # one ingester per event
    # an event from ingester_stripe goes to both of its flows
    stripe_events = [e for e, s in per_event.items() if s == {"ingester_stripe"}]
    assert stripe_events
    for event_id in stripe_events:
        assert {names[f] for f, e in deliveries if e == event_id} == {"sim-stripe", "sim-slack"}
    retried = [made for made in deliveries.values() if len(made) > 1]
    exhausted = [made for made in deliveries.values() if len(made) == len(schedule) + 1]
    assert retried and exhausted  # with failureRate 0.5 both happen


def test_simulated_targets_have_profiles_and_explicit_outcomes_override_them(api):
    assert admin_post(api.box, "reset").status_code == 200
    set_retry_schedule(api, [60])
    targets = (STRIPE, STRIPE_STAGING, SLACK, SLACK_OPS, S3, S3_AUDIT)
    for n, target in enumerate(targets):
        make_flow(api, f"fleet-{n}", target)
    set_outcome(api, S3_AUDIT[0], successRate=0.0, failures=["connection_refused"])
    response = simulate(api, events=400, days=1, seed=3, failureRate=0.1, start=SIM_START)
    assert response.status_code == 201, response.text
    history = attempts(api)
    assert response.json()["attempts"] == len(history)

    rate, latency = {}, {}
    for target_id, kind in targets:
        made = [a for a in history if a["targetId"] == target_id]
        assert len({a["eventId"] for a in made}) == 400  # every event reached every flow
        rate[target_id] = sum(a["status"] == "succeeded" for a in made) / len(made)
        latency[target_id] = statistics.median(a["latencyMs"] for a in made) / TYPICAL_LATENCY_MS[kind]
    # The explicit model wins: every attempt fails, as configured, up to the limit.
    overridden = [a for a in history if a["targetId"] == S3_AUDIT[0]]
    assert len(overridden) == 800 and rate[S3_AUDIT[0]] == 0.0
    assert {(a["errorCode"], a["responseStatus"]) for a in overridden} == {("connection_refused", None)}
    del rate[S3_AUDIT[0]], latency[S3_AUDIT[0]]
    # The seeded profiles: not every target is alike (healthy, flaky, slow ...).
    assert max(rate.values()) - min(rate.values()) >= 0.05, rate
    assert max(latency.values()) / min(latency.values()) >= 2.0, latency


def test_simulating_only_one_plane(api):
    assert admin_post(api.box, "reset").status_code == 200
    make_flow(api, "dev-flow", STRIPE)
    eu = api.session.post(
        f"{api.url()}/clusters/plane_prod_eu_west_1/delivery-flows",
        json={
            "name": "eu-flow",
            "source": "ingester_stripe",
            "target": {"id": "dest_stripe_prod_eu_west_1", "type": "stripe"},
        },
        timeout=30,
    )
    assert eu.status_code == 201, eu.text
    # With the default schedule (2555 s of retries), a history needs more than 0.03 days.
    assert_error(simulate(api, days=0.02), 400, "invalid_field", field="days")
    response = simulate(api, planeId="plane_prod_eu_west_1", events=20, days=1, start=SIM_START)
    assert response.status_code == 201, response.text
    assert response.json()["flows"] == 1
    assert attempts(api) == []  # nothing on the dev plane
    eu_attempts = api.all_pages("clusters/plane_prod_eu_west_1/delivery-attempts", limit=250)
    assert len(eu_attempts) == response.json()["attempts"] >= 20
    assert {a["flowId"] for a in eu_attempts} == {eu.json()["id"]}


def test_simulate_needs_a_token_of_the_tenant_and_active_flows(api, new_tenant):
    url = f"{api.base_url}/_sandbox/simulate"
    small = {"events": 5, "days": 1}
    assert_error(requests.post(url, json=small, timeout=30), 401, "unauthenticated")
    wrong = {"Authorization": "Bearer zen_not_a_token"}
    assert_error(requests.post(url, json=small, headers=wrong, timeout=30), 401, "unauthenticated")
    assert_error(simulate(api, **small), 400, "no_active_flow", field="flows")  # a fresh seed has no flows
    paused = make_flow(api, "only-paused", STRIPE)
    flow_action(api, paused, "pause")
    assert_error(simulate(api, **small), 400, "no_active_flow", field="flows")  # paused flows do not count
    assert_error(simulate(api, tenantId="tenant_nobody", **small), 404, "tenant_not_found", field="tenantId")
    for bad in ({"events": 0}, {"events": 200_001}, {"days": 0}, {"days": 91}, {"failureRate": 1.5}):
        assert_error(simulate(api, **bad), 400, "invalid_field")
    assert_error(simulate(api, start="last tuesday"), 400, "invalid_field", field="start")

    other = new_tenant()
    make_flow(other, "trainee-flow", SLACK)
    own = other.session.post(url, json=small, timeout=30)
    assert own.status_code == 201, own.text
    assert own.json()["tenantId"] == other.tenant_id and own.json()["events"] == 5
    assert len(other.all_pages(ATTEMPTS)) == own.json()["attempts"]
    explicit = other.session.post(url, json={**small, "tenantId": other.tenant_id}, timeout=30)
    assert explicit.status_code == 201, explicit.text
    for tenant_id in (api.tenant_id, "tenant_neighbour"):
        response = other.session.post(url, json={**small, "tenantId": tenant_id}, timeout=30)
        assert_error(response, 403, "forbidden", field="tenantId")
    assert attempts(api) == []  # the demo tenant got nothing from the trainee
    # The admin token may simulate for any tenant.
    by_admin = simulate(api, tenantId=other.tenant_id, **small)
    assert by_admin.status_code == 201, by_admin.text
    assert len(other.all_pages(ATTEMPTS)) == own.json()["attempts"] * 2 + by_admin.json()["attempts"]


def test_simulated_attempts_of_a_slow_target_stay_inside_the_window(api):
    """The window is [start, start + days), even when the target is slow: a retry may not spill past the end."""
    set_retry_schedule(api, [0.05, 0.05, 0.05])
    make_flow(api, "slow-flow", STRIPE)
    # 2 minutes per answer
    set_outcome(api, STRIPE[0], successRate=0.0, latencyMs=120_000, latencySpread=0, failures=[503])
    response = simulate(api, events=5, days=0.01, seed=1, start=SIM_START)  # a window of 14.4 minutes
    assert response.status_code == 201, response.text
    end = parse_time(response.json()["end"])
    history = attempts(api)
    assert len(history) == response.json()["attempts"] == 20
    late = [a["createdAt"] for a in history if parse_time(a["createdAt"]) >= end]
    assert late == [], f"attempts at or after the end {response.json()['end']}: {late}"
