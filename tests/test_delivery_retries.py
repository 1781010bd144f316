"""Retries: the admin settings that drive them (retry schedule, outcome models), automatic retries
on that schedule, and manual retries through ``POST .../delivery-attempts/{id}/retry``.
"""

from __future__ import annotations

import json
import time

import requests

from deliveries import (
    ATTEMPTS,
    FLOWS,
    QUIET,
    S3,
    SLACK,
    STRIPE,
    attempts,
    check_shape,
    http_target,
    ingest_ok,
    make_flow,
    ms_between,
    settled,
    wait_attempts,
)
from helpers import admin, admin_post, assert_error, set_outcome, set_retry_schedule

DEFAULT_SCHEDULE = [5.0, 30.0, 120.0, 600.0, 1800.0]


# -- delivery settings -------------------------------------------------------------------------


def test_delivery_settings_are_validated_and_reset_restores_the_defaults(api):
    response = admin(api, "GET", "delivery")
    assert response.status_code == 200, response.text
    assert response.json() == {"retrySchedule": DEFAULT_SCHEDULE, "maxAttempts": 6, "outcomes": []}
    for bad, field in (
        ([-1], "retrySchedule[0]"),
        ([1, -0.5], "retrySchedule[1]"),
        ([86_401], "retrySchedule[0]"),
        ([1] * 11, "retrySchedule"),
        ("5", "retrySchedule"),
    ):
        assert_error(admin(api, "PUT", "delivery", json={"retrySchedule": bad}), 400, "invalid_field", field=field)
    assert_error(admin(api, "PUT", "delivery", json={}), 400, "missing_field")
    set_retry_schedule(api, [])
    set_retry_schedule(api, [0, 2.5, 86_400])
    assert admin(api, "GET", "delivery").json() == {
        "retrySchedule": [0, 2.5, 86_400],
        "maxAttempts": 4,
        "outcomes": [],
    }
    tenant_token = {"Authorization": f"Bearer {api.box.token}"}
    for method in ("GET", "PUT"):
        response = requests.request(
            method, f"{api.base_url}/_sandbox/delivery", headers=tenant_token, json={"retrySchedule": []}, timeout=30
        )
        assert_error(response, 401, "unauthenticated")

    outcome = f"tenants/{api.tenant_id}/clusters/{api.plane_id}/targets"
    assert_error(admin(api, "PUT", f"{outcome}/dest_nobody/outcome", json={}), 404, "target_not_found")
    assert_error(admin(api, "PUT", f"{outcome}/{SLACK[0]}/outcome", json={"successRate": 1.5}), 400, "invalid_field")
    assert_error(admin(api, "PUT", f"{outcome}/{SLACK[0]}/outcome", json={"failures": [200]}), 400, "invalid_field")
    model = admin(api, "PUT", f"{outcome}/{SLACK[0]}/outcome", json={"successRate": 0.5})
    assert model.status_code == 200, model.text
    assert model.json()["failures"] == [429, 500, 503]  # slack's by default
    assert admin(api, "DELETE", f"{outcome}/{SLACK[0]}/outcome").status_code == 204

    assert admin_post(api.box, "reset").status_code == 200
    assert admin(api, "GET", "delivery").json() == {"retrySchedule": DEFAULT_SCHEDULE, "maxAttempts": 6, "outcomes": []}


# -- automatic retries ---------------------------------------------------------------------


def test_a_failing_target_is_retried_on_the_schedule_until_it_is_used_up(api):
    schedule = [0.05, 0.1, 0.15]
    set_retry_schedule(api, schedule)
    model = set_outcome(api, STRIPE[0], successRate=0.0, failures=[503])
    assert model == {
        "targetId": STRIPE[0],
        "successRate": 0.0,
        "latencyMs": 120.0,
        "latencySpread": 0.35,
        "failures": [503],
    }
    set_outcome(api, SLACK[0], successRate=0.0, failures=["timeout"])
    stripe_flow = make_flow(api, "failing-stripe", STRIPE)
    slack_flow = make_flow(api, "failing-slack", SLACK)
    event = ingest_ok(api)

    wait_attempts(api, settled(8))
    for flow, status, error in ((stripe_flow, 503, None), (slack_flow, None, "timeout")):
        made = attempts(api, flowId=flow["id"])
        assert [a["attemptNumber"] for a in made] == [1, 2, 3, 4]
        assert [a["trigger"] for a in made] == ["initial", "automatic", "automatic", "automatic"]
        for attempt in made:
            check_shape(attempt)
            assert attempt["eventId"] == event["id"]
            assert (attempt["status"], attempt["responseStatus"], attempt["errorCode"]) == ("failed", status, error)
        for before, after, delay in zip(made[:-1], made[1:], schedule, strict=True):
            # attempt n+1 starts retrySchedule[n-1] after attempt n ended (createdAt has ms precision)
            assert ms_between(before["createdAt"], after["createdAt"]) >= delay * 1000 - 1, (before, after)
    time.sleep(QUIET)  # well past the schedule: no 5th attempt
    assert len(attempts(api)) == 8


def test_a_simulated_target_that_fails_then_succeeds_is_not_retried_after_success(api):
    set_retry_schedule(api, [0.5, 0.05, 0.05])
    set_outcome(api, SLACK[0], successRate=0.0)
    flow = make_flow(api, "recovering-flow", SLACK)
    ingest_ok(api)
    [first] = wait_attempts(api, settled(1))
    assert (first["status"], first["trigger"]) == ("failed", "initial")
    assert first["responseStatus"] in (429, 500, 503)  # slack's typical failures by default
    set_outcome(api, SLACK[0], successRate=1.0)  # the target recovers before the retry is due
    made = wait_attempts(api, settled(2), flowId=flow["id"])
    assert [(a["attemptNumber"], a["trigger"], a["status"]) for a in made] == [
        (1, "initial", "failed"),
        (2, "automatic", "succeeded"),
    ]
    time.sleep(QUIET)  # past the next slot of the schedule
    assert len(attempts(api)) == 2


def test_an_empty_schedule_means_one_attempt_and_a_deleted_outcome_model_means_success(api):
    set_retry_schedule(api, [])
    set_outcome(api, S3[0], successRate=0.0)
    make_flow(api, "archive-flow", S3)
    ingest_ok(api)
    [only] = wait_attempts(api, settled(1))
    assert (only["attemptNumber"], only["status"]) == (1, "failed")
    time.sleep(QUIET)
    assert len(attempts(api)) == 1

    path = f"tenants/{api.tenant_id}/clusters/{api.plane_id}/targets/{S3[0]}/outcome"
    assert admin(api, "DELETE", path).status_code == 204
    event = ingest_ok(api)
    [attempt] = wait_attempts(api, settled(1), eventId=event["id"])
    assert (attempt["status"], attempt["responseStatus"]) == ("succeeded", 200)


# -- manual retries ------------------------------------------------------------------------


def test_a_manual_retry_is_a_new_attempt_that_is_not_retried_automatically(fast):
    api = fast
    set_outcome(api, STRIPE[0], successRate=0.0)
    flow = make_flow(api, "manual-flow", STRIPE)
    event = ingest_ok(api)
    made = wait_attempts(api, settled(4))
    assert [a["attemptNumber"] for a in made] == [1, 2, 3, 4]

    response = api.post(f"{ATTEMPTS}/{made[1]['id']}/retry")  # any attempt of the delivery: numbers go on
    assert response.status_code == 202, response.text
    manual = response.json()
    check_shape(manual)
    assert manual["id"] not in {a["id"] for a in made}
    assert (manual["flowId"], manual["eventId"], manual["targetId"]) == (flow["id"], event["id"], STRIPE[0])
    assert (manual["attemptNumber"], manual["trigger"], manual["status"]) == (5, "manual", "pending")
    assert (manual["latencyMs"], manual["responseStatus"], manual["errorCode"]) == (None, None, None)

    done = wait_attempts(api, settled(5))
    final = api.get(f"{ATTEMPTS}/{manual['id']}").json()
    assert done[-1] == final
    assert (final["status"], final["trigger"], final["attemptNumber"]) == ("failed", "manual", 5)
    assert final["createdAt"] == manual["createdAt"]
    time.sleep(QUIET)  # a failed manual attempt is not retried automatically
    assert len(attempts(api)) == 5

    set_outcome(api, STRIPE[0], successRate=1.0)
    again = api.post(f"{ATTEMPTS}/{manual['id']}/retry")
    assert again.status_code == 202, again.text
    assert (again.json()["attemptNumber"], again.json()["status"]) == (6, "pending")
    done = wait_attempts(api, settled(6))
    assert (done[-1]["id"], done[-1]["status"], done[-1]["trigger"]) == (again.json()["id"], "succeeded", "manual")


def test_a_manual_retry_while_an_automatic_one_is_queued_keeps_attempt_numbers_unique(api):
    """``attemptNumber`` counts the attempts of one delivery: a manual retry and the automatic one both made
    while an automatic retry waits must not share a number."""
    set_retry_schedule(api, [0.5])
    set_outcome(api, STRIPE[0], successRate=0.0)
    make_flow(api, "busy-flow", STRIPE)
    ingest_ok(api)
    [first] = wait_attempts(api, settled(1))  # failed: attempt 2 (automatic) is due 0.5 s later
    manual = api.post(f"{ATTEMPTS}/{first['id']}/retry")
    assert manual.status_code == 202, manual.text
    assert manual.json()["attemptNumber"] == 2
    made = wait_attempts(api, settled(3))
    assert sorted(a["trigger"] for a in made) == ["automatic", "initial", "manual"]
    numbers = [a["attemptNumber"] for a in made]
    assert sorted(numbers) == [1, 2, 3], [(a["attemptNumber"], a["trigger"]) for a in made]


def test_a_manual_retry_of_a_succeeded_attempt_delivers_again(fast, hook):
    api = fast
    flow = make_flow(api, "redeliver-flow", http_target(api, "redeliver-hook", hook.url))
    event = ingest_ok(api, {"k": "v"})
    [first] = wait_attempts(api, settled(1))
    retried = api.post(f"{ATTEMPTS}/{first['id']}/retry")
    assert retried.status_code == 202, retried.text
    made = wait_attempts(api, settled(2))
    assert [(a["attemptNumber"], a["trigger"], a["status"]) for a in made] == [
        (1, "initial", "succeeded"),
        (2, "manual", "succeeded"),
    ]
    assert [r["headers"]["Zen-Attempt-Number"] for r in hook.requests] == ["1", "2"]
    assert hook.requests[1]["headers"]["Zen-Attempt-Id"] == retried.json()["id"]
    assert hook.requests[1]["headers"]["Zen-Flow-Id"] == flow["id"]
    assert hook.requests[1]["headers"]["Zen-Event-Id"] == event["id"]
    assert json.loads(hook.requests[1]["body"]) == {"k": "v"}


def test_retrying_an_attempt_of_a_deleted_flow_or_an_unknown_attempt_is_404(fast):
    api = fast
    flow = make_flow(api, "doomed-flow", STRIPE)
    ingest_ok(api)
    [attempt] = wait_attempts(api, settled(1))
    assert api.delete(f"{FLOWS}/{flow['id']}").status_code == 204
    assert_error(api.post(f"{ATTEMPTS}/{attempt['id']}/retry"), 404, "flow_not_found")
    assert api.get(f"{ATTEMPTS}/{attempt['id']}").json() == attempt  # the attempt itself stays
    unknown = "att_00000000000000000000"
    assert_error(api.get(f"{ATTEMPTS}/{unknown}"), 404, "attempt_not_found")
    assert_error(api.post(f"{ATTEMPTS}/{unknown}/retry"), 404, "attempt_not_found")
    time.sleep(QUIET)
    assert attempts(api) == [attempt]
