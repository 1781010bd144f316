"""The recipe form's batch retry, ``POST .../delivery-attempts/retry`` with ``{"attemptIds": [...]}``: the
v1 batch's rules on the recipe form's path, names and errors (``data/retries.py`` is shared by both)."""

from __future__ import annotations

import threading

import pytest
from test_v1_retries import exhausted

from zen_nb.errors import BadRequestError, IdempotencyKeyReusedError
from zen_nb.sandbox import queue_bound

from deliveries import (
    ATTEMPTS,
    DEADLINE,
    FLOWS,
    STRIPE,
    attempts,
    http_target,
    ingest_ok,
    make_flow,
    settled,
    wait_attempts,
)
from helpers import Api, assert_error, set_outcome, set_retry_schedule

BATCH = ATTEMPTS + "/retry"


def batch(api: Api, ids: list, **kwargs) -> dict:
    response = api.post(BATCH, json={"attemptIds": ids}, **kwargs)
    assert response.status_code == 202, response.text
    return response.json()


def test_a_batch_queues_each_deliverys_latest_failure_once_and_says_what_it_skipped(fast):
    flow = make_flow(fast, "fails")
    event, found = exhausted(fast)
    latest, superseded = found[-1]["id"], found[0]["id"]
    set_outcome(fast, STRIPE[0], successRate=1.0)
    delivered_event = ingest_ok(fast)["id"]
    (delivered,) = wait_attempts(fast, lambda got: got and got[0]["status"] == "succeeded", eventId=delivered_event)
    ids = [latest, superseded, delivered["id"], "att_nope", latest]
    body = batch(fast, ids, headers={"Idempotency-Key": "recipe-batch-1"})
    assert body["queued"] == 1
    assert [(item["attemptId"], item["status"]) for item in body["attempts"]] == [
        (latest, "queued"),
        (superseded, "skipped"),
        (delivered["id"], "skipped"),
        ("att_nope", "not_found"),
        (latest, "skipped"),
    ]
    retried = body["attempts"][0]["retryAttemptId"]
    assert all(set(item) == {"attemptId", "status"} for item in body["attempts"][1:])
    after = wait_attempts(fast, lambda got: len(got) == 5 and got[-1]["status"] == "succeeded", eventId=event)
    assert after[-1]["id"] == retried and after[-1]["trigger"] == "manual" and after[-1]["flowId"] == flow["id"]
    assert after[-1]["attemptNumber"] == 5
    # The same key and ids replay the answer and queue nothing more; another set of ids under the key is a 422.
    replay = fast.post(BATCH, json={"attemptIds": ids}, headers={"Idempotency-Key": "recipe-batch-1"})
    assert replay.status_code == 202 and replay.json() == body and replay.headers["Idempotent-Replayed"] == "true"
    assert_error(
        fast.post(BATCH, json={"attemptIds": [superseded]}, headers={"Idempotency-Key": "recipe-batch-1"}),
        422,
        "idempotency_key_reused",
    )
    # Delivered now: the same latest id is skipped, and no attempt was added by any of this.
    again = batch(fast, [latest, retried])
    assert again == {
        "queued": 0,
        "attempts": [{"attemptId": latest, "status": "skipped"}, {"attemptId": retried, "status": "skipped"}],
    }
    assert len(wait_attempts(fast, lambda got: len(got) == 5, eventId=event)) == 5


def test_a_pending_attempt_and_a_deleted_flows_are_skipped(api, hook):
    set_retry_schedule(api, [])  # one attempt per delivery: its failure is final
    hook.statuses, hook.gate = [500], threading.Event()
    flow = make_flow(api, "held", http_target(api, "gated", hook.url))
    event = ingest_ok(api)["id"]
    assert hook.arrived.wait(DEADLINE)
    (pending,) = attempts(api, eventId=event)
    assert pending["status"] == "pending"
    assert batch(api, [pending["id"]]) == {"queued": 0, "attempts": [{"attemptId": pending["id"], "status": "skipped"}]}
    hook.gate.set()
    (failed,) = wait_attempts(api, settled(1), eventId=event)
    assert failed["status"] == "failed"
    assert api.delete(f"{FLOWS}/{flow['id']}").status_code == 204
    assert batch(api, [failed["id"]]) == {"queued": 0, "attempts": [{"attemptId": failed["id"], "status": "skipped"}]}
    assert len(attempts(api, eventId=event)) == 1


def test_another_planes_or_tenants_attempt_is_not_found(fast, new_tenant):
    make_flow(fast, "mine")
    _, found = exhausted(fast)
    latest = found[-1]["id"]
    other = new_tenant()
    assert batch(other, [latest])["attempts"] == [{"attemptId": latest, "status": "not_found"}]
    planes = [p["id"] for p in fast.get("clusters").json()["clusters"]]
    (second,) = [p for p in planes if p != fast.plane_id]
    response = fast.request("POST", f"clusters/{second}/delivery-attempts/retry", json={"attemptIds": [latest]})
    assert response.status_code == 202, response.text
    assert response.json()["attempts"] == [{"attemptId": latest, "status": "not_found"}]
    # Still retryable on its own plane: nothing above touched it.
    assert batch(fast, [latest])["queued"] == 1


def test_a_batch_takes_1_to_100_string_ids(api):
    for bad, rule in (
        ([], "at least 1"),
        ([f"att_{n}" for n in range(101)], "at most 100"),
        (None, "array"),
        ("att_1", "array"),
        ([7], "string"),
        (["x" * 129], "128"),
        ([""], "1"),
    ):
        error = assert_error(api.post(BATCH, json={"attemptIds": bad}), 400, "invalid_field")
        assert error["field"].startswith("attemptIds"), error
        assert rule in error["message"], (bad, error["message"])
    assert_error(api.post(BATCH, json={}), 400, "missing_field", field="attemptIds")
    assert_error(api.post(BATCH, json={"attemptIds": ["a"], "more": 1}), 400, "unknown_field")
    full = batch(api, [f"att_{n}" for n in range(100)])
    assert full["queued"] == 0 and {item["status"] for item in full["attempts"]} == {"not_found"}


def test_a_batch_past_the_queue_bound_is_a_429_and_queues_nothing(fast, monkeypatch):
    make_flow(fast, "bound")
    _, found = exhausted(fast)
    # A bound of 0 (in the sandbox's process: the tests run it in theirs) instead of 10,000 queued deliveries.
    monkeypatch.setattr(queue_bound, "MAX_QUEUED_PER_TENANT", 0)
    response = fast.post(BATCH, json={"attemptIds": [found[-1]["id"]]})
    error = assert_error(response, 429, "delivery_queue_full")
    assert response.headers["Retry-After"] == "10" and "this retry was not stored" in error["message"]
    assert len(wait_attempts(fast, lambda got: len(got) == 4, eventId=found[0]["eventId"])) == 4


def test_the_admin_token_is_not_a_tenants(api):
    response = api.session.post(api.url(BATCH), json={"attemptIds": ["att_1"]}, headers={"Authorization": "Bearer x"})
    assert_error(response, 401, "unauthenticated")


def test_the_clients_low_level_batch_reads_each_outcome(fast, client):
    make_flow(fast, "client")
    _, found = exhausted(fast)
    outcomes = client._retry_batch_recipe([found[-1]["id"], found[0]["id"], "att_nope"], idempotency_key="c-1")
    assert [(o["attemptId"], o["status"]) for o in outcomes] == [
        (found[-1]["id"], "queued"),
        (found[0]["id"], "skipped"),
        ("att_nope", "not_found"),
    ]
    assert outcomes[0]["retryAttemptId"].startswith("att_") and outcomes[1]["retryAttemptId"] is None
    ids = [found[-1]["id"], found[0]["id"], "att_nope"]
    assert client._retry_batch_recipe(ids, idempotency_key="c-1") == outcomes  # replayed: nothing more queued
    with pytest.raises(IdempotencyKeyReusedError):
        client._retry_batch_recipe(ids[:1], idempotency_key="c-1")
    with pytest.raises(BadRequestError, match="at most 100"):
        client._retry_batch_recipe([f"att_{n}" for n in range(101)])


def test_the_batch_path_is_not_read_as_an_attempt_named_retry(api):
    """OpenAPI matches the concrete ``.../delivery-attempts/retry`` before ``.../{attemptId}``: a GET there is
    a 405 that allows POST only, as the document says (Schemathesis checks each 405's Allow)."""
    response = api.get(BATCH)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"
    assert_error(api.get(ATTEMPTS + "/retryx"), 404, "attempt_not_found")  # any other id is an attempt's
