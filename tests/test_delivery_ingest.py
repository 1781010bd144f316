"""Ingested events over real HTTP: active flows deliver them, paused ones hold them until resumed,
a deleted flow drops what it held or had queued, and what ingest refuses (see ``deliveries.py``
for how the tests wait for the sandbox's worker).
"""

from __future__ import annotations

import time

from deliveries import (
    ATTEMPTS,
    EVENT_ID,
    FLOWS,
    QUIET,
    S3,
    SLACK,
    STRIPE,
    STRIPE_STAGING,
    attempts,
    check_shape,
    flow_action,
    ingest,
    ingest_ok,
    make_flow,
    settled,
    wait_attempts,
)
from helpers import assert_error, set_outcome, set_retry_schedule

# -- an event, active and paused flows, resume -----------------------------------------------


def test_an_event_is_delivered_by_the_active_flows_and_held_by_the_paused_one(fast):
    api = fast
    first = make_flow(api, "first-flow", STRIPE)
    second = make_flow(api, "second-flow", SLACK)
    paused = flow_action(api, make_flow(api, "paused-flow", S3), "pause")
    other_source = make_flow(api, "github-flow", STRIPE_STAGING, source="ingester_github")

    response = ingest(api, {"type": "invoice.paid", "id": "in_1"})
    assert response.status_code == 202, response.text
    event = response.json()
    assert set(event) == {"id", "ingesterId", "createdAt", "deliveries"}
    assert EVENT_ID.fullmatch(event["id"])
    assert event["ingesterId"] == "ingester_stripe"
    assert event["deliveries"] == [
        {"flowId": first["id"], "targetId": STRIPE[0], "state": "queued"},
        {"flowId": second["id"], "targetId": SLACK[0], "state": "queued"},
        {"flowId": paused["id"], "targetId": S3[0], "state": "held"},
    ]

    made = wait_attempts(api, settled(2), eventId=event["id"])
    assert {a["flowId"]: a["targetId"] for a in made} == {first["id"]: STRIPE[0], second["id"]: SLACK[0]}
    for attempt in made:
        check_shape(attempt)
        assert attempt["eventId"] == event["id"]
        assert (attempt["attemptNumber"], attempt["trigger"], attempt["status"]) == (1, "initial", "succeeded")
        assert attempt["responseStatus"] == 200 and attempt["errorCode"] is None
        assert attempt["createdAt"] >= event["createdAt"]

    time.sleep(QUIET)  # the paused flow holds its delivery: nothing is attempted
    assert attempts(api, flowId=paused["id"]) == []
    assert attempts(api, flowId=other_source["id"]) == []

    assert flow_action(api, paused, "resume")["status"] == "active"
    resumed = wait_attempts(api, settled(1), flowId=paused["id"])
    assert resumed[0]["eventId"] == event["id"] and resumed[0]["targetId"] == S3[0]
    assert (resumed[0]["attemptNumber"], resumed[0]["trigger"], resumed[0]["status"]) == (1, "resume", "succeeded")
    flow_action(api, paused, "resume")  # idempotent: nothing more to release
    time.sleep(QUIET)
    assert len(attempts(api, eventId=event["id"])) == 3
    assert attempts(api, flowId=other_source["id"]) == []

    later = ingest_ok(api)  # once resumed, the flow delivers as usual
    assert [d["state"] for d in later["deliveries"]] == ["queued"] * 3
    assert {a["trigger"] for a in wait_attempts(api, settled(3), eventId=later["id"])} == {"initial"}


def test_a_flow_paused_and_activated_by_patch_holds_then_delivers(fast):
    api = fast
    flow = make_flow(api, "patched-flow", SLACK)
    patched = api.patch(f"{FLOWS}/{flow['id']}", json={"status": "paused"})
    assert patched.status_code == 200, patched.text
    event = ingest_ok(api)
    assert event["deliveries"] == [{"flowId": flow["id"], "targetId": SLACK[0], "state": "held"}]
    time.sleep(QUIET)
    assert attempts(api) == []
    assert api.patch(f"{FLOWS}/{flow['id']}", json={"status": "active"}).status_code == 200
    [attempt] = wait_attempts(api, settled(1))
    assert (attempt["eventId"], attempt["trigger"], attempt["attemptNumber"]) == (event["id"], "resume", 1)


def test_an_ingester_without_flows_accepts_the_event_and_queues_nothing(fast):
    api = fast
    make_flow(api, "stripe-only", STRIPE)
    event = ingest_ok(api, {"repository": "zen"}, ingester="ingester_github")
    assert event["ingesterId"] == "ingester_github" and event["deliveries"] == []
    time.sleep(QUIET)
    assert attempts(api) == []


# -- deleted flows -------------------------------------------------------------------------


def test_a_deleted_flows_held_and_queued_deliveries_are_dropped_and_its_attempts_stay(api):
    retry_after = 0.6
    set_retry_schedule(api, [retry_after, 0.05, 0.05])
    set_outcome(api, SLACK[0], successRate=0.0)
    failing = make_flow(api, "failing-flow", SLACK, source="ingester_github")
    held = make_flow(api, "held-flow", STRIPE)

    ingest_ok(api, ingester="ingester_github")
    [failed] = wait_attempts(api, settled(1), flowId=failing["id"])
    assert failed["status"] == "failed" and failed["nextAttemptAt"]  # its automatic retry is queued for later ...
    assert api.delete(f"{FLOWS}/{failing['id']}").status_code == 204  # ... and dropped with the flow
    failed = {**failed, "nextAttemptAt": None}  # no retry is due any more
    retry_was_due = time.monotonic() + retry_after

    delivered = ingest_ok(api)
    [past] = wait_attempts(api, settled(1), flowId=held["id"])
    assert (past["eventId"], past["status"]) == (delivered["id"], "succeeded")
    flow_action(api, held, "pause")
    for n in range(3):
        assert ingest_ok(api, {"n": n})["deliveries"][0]["state"] == "held"
    assert api.delete(f"{FLOWS}/{held['id']}").status_code == 204
    assert_error(api.post(f"{FLOWS}/{held['id']}/resume"), 404, "flow_not_found")

    time.sleep(max(QUIET, retry_was_due + QUIET - time.monotonic()))
    assert attempts(api, flowId=held["id"]) == [past]  # past attempts stay listed
    assert attempts(api, flowId=failing["id"]) == [failed]
    assert attempts(api) == [failed, past]
    assert api.get(f"{ATTEMPTS}/{past['id']}").json() == past
    assert api.get(f"{ATTEMPTS}/{failed['id']}").json() == failed


# -- ingest errors and idempotency ---------------------------------------------------------


def test_event_ingest_errors(fast):
    api = fast
    make_flow(api, "any-flow", STRIPE)
    assert_error(ingest(api, {"type": "x"}, ingester="ingester_nobody"), 404, "ingester_not_found")
    unknown_plane = f"{api.url()}/clusters/plane_nowhere/ingesters/ingester_stripe/events"
    assert_error(api.session.post(unknown_plane, json={}, timeout=30), 404, "plane_not_found")
    json_type = {"Content-Type": "application/json"}
    for body in (b"[1, 2]", b"[]", b'"invoice"', b"42", b"null", b"{not json", b""):
        response = api.post("{plane}/ingesters/ingester_stripe/events", data=body, headers=json_type)
        assert_error(response, 400, "invalid_json")
    assert_error(ingest(api, [{"type": "invoice.paid"}]), 400, "invalid_json")
    time.sleep(QUIET)
    assert attempts(api) == []  # nothing refused was delivered


def test_an_event_replayed_with_its_idempotency_key_is_queued_once(fast):
    api = fast
    flow = make_flow(api, "idem-flow", SLACK)
    headers = {"Idempotency-Key": "event-key-1"}
    first = ingest(api, {"type": "invoice.paid", "id": "in_9"}, headers=headers)
    assert first.status_code == 202, first.text
    replay = ingest(api, {"type": "invoice.paid", "id": "in_9"}, headers=headers)
    assert replay.status_code == 202, replay.text
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    assert_error(ingest(api, {"type": "other"}, headers=headers), 422, "idempotency_key_reused")

    [attempt] = wait_attempts(api, settled(1))
    assert attempt["eventId"] == first.json()["id"] and attempt["flowId"] == flow["id"]
    time.sleep(QUIET)
    assert attempts(api) == [attempt]
