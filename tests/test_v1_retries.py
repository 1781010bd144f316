"""v1 retries by hand: ``POST /v1/tenants/{t}/events/{eventId}/retry`` and ``.../retry/batch``, each a
manual attempt as on the recipe form, with ``Idempotency-Key`` replays and 409 on a reused key."""

from __future__ import annotations

from deliveries import STRIPE, ingest_ok, make_flow, wait_attempts
from helpers import Api, assert_error, assert_problem, set_outcome
from v1_api import V1


def exhausted(api: Api) -> tuple[str, list[dict]]:
    """An event whose delivery failed every attempt of the ``fast`` schedule (4); its attempts."""
    set_outcome(api, STRIPE[0], successRate=0.0, failures=[503])
    event = ingest_ok(api)["id"]
    found = wait_attempts(api, lambda got: len(got) == 4 and all(a["status"] == "failed" for a in got), eventId=event)
    return event, found


def test_retrying_an_event_retries_its_failed_delivery_by_hand(fast):
    v1 = V1(fast)
    make_flow(fast, "fails")
    event, found = exhausted(fast)
    set_outcome(fast, STRIPE[0], successRate=1.0)
    response = v1.post(f"events/{event}/retry")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and body["message"] == "Retry initiated"
    assert body["delivery_ids"] == [body["delivery_id"]] and body["delivery_id"] not in {a["id"] for a in found}
    after = wait_attempts(fast, lambda got: len(got) == 5 and got[-1]["status"] == "succeeded", eventId=event)
    assert after[-1]["id"] == body["delivery_id"] and after[-1]["trigger"] == "manual"
    assert v1.get(f"deliveries/{body['delivery_id']}").json()["status"] == "delivered"
    # Delivered now: nothing is left to retry.
    assert_problem(v1.post(f"events/{event}/retry"), 409, "nothing_to_retry")
    assert_problem(v1.post("events/evt_nope/retry"), 404, "event_not_found")


def test_an_event_retry_with_a_key_is_replayed_and_makes_one_attempt(fast):
    v1 = V1(fast)
    make_flow(fast, "fails")
    event, _ = exhausted(fast)
    headers = {"Idempotency-Key": "retry-once"}
    first = v1.post(f"events/{event}/retry", headers=headers)
    again = v1.post(f"events/{event}/retry", headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    wait_attempts(fast, lambda got: len(got) == 5 and got[-1]["status"] == "failed", eventId=event)
    # The same key on another request: 409 on v1 (the recipe form keeps its 422).
    other = ingest_ok(fast)["id"]
    assert_problem(v1.post(f"events/{other}/retry", headers=headers), 409, "idempotency_key_reused")
    recipe = fast.post("{plane}/delivery-flows", json={"name": "k"}, headers=headers)
    assert_error(recipe, 422, "idempotency_key_reused")


def test_a_batch_queues_the_latest_failures_and_says_what_it_skipped(fast):
    v1 = V1(fast)
    make_flow(fast, "fails")
    _, found = exhausted(fast)
    latest, superseded = found[-1]["id"], found[0]["id"]
    set_outcome(fast, STRIPE[0], successRate=1.0)
    delivered_event = ingest_ok(fast)["id"]
    (delivered,) = wait_attempts(fast, lambda got: got and got[0]["status"] == "succeeded", eventId=delivered_event)
    ids = [latest, superseded, delivered["id"], "att_nope", latest]
    response = v1.post("retry/batch", json={"delivery_ids": ids}, headers={"Idempotency-Key": "batch-1"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["queued"] == 1
    assert [(d["delivery_id"], d["status"]) for d in body["deliveries"]] == [
        (latest, "queued"),
        (superseded, "skipped"),
        (delivered["id"], "skipped"),
        ("att_nope", "not_found"),
        (latest, "skipped"),
    ]
    retried = body["deliveries"][0]["retry_delivery_id"]
    assert all("retry_delivery_id" not in d for d in body["deliveries"][1:])
    assert v1.get(f"deliveries/{retried}").json()["trigger"] == "manual"
    replay = v1.post("retry/batch", json={"delivery_ids": ids}, headers={"Idempotency-Key": "batch-1"})
    assert replay.json() == body and replay.headers["Idempotent-Replayed"] == "true"
    assert_problem(
        v1.post("retry/batch", json={"delivery_ids": [superseded]}, headers={"Idempotency-Key": "batch-1"}),
        409,
        "idempotency_key_reused",
        field="Idempotency-Key",
    )


def test_a_batch_takes_1_to_100_ids(api):
    v1 = V1(api)
    for bad in ([], [f"att_{n}" for n in range(101)], None, ["x" * 129]):
        assert_problem(v1.post("retry/batch", json={"delivery_ids": bad}), 400, "invalid_field")
    full = v1.post("retry/batch", json={"delivery_ids": [f"att_{n}" for n in range(100)]})
    assert full.status_code == 202 and full.json()["queued"] == 0
    assert {d["status"] for d in full.json()["deliveries"]} == {"not_found"}
