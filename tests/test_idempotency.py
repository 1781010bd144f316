"""Idempotency keys on POST (contract section 5)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from helpers import assert_error

FLOW = {
    "name": "idem-flow",
    "source": "ingester_stripe",
    "target": {"id": "dest_stripe_prod_us_east_1", "type": "stripe"},
}


def _flows(api) -> list[dict]:
    return api.all_pages("{plane}/delivery-flows")


def test_replay_gives_the_same_status_and_body_and_creates_one_flow(api):
    headers = {"Idempotency-Key": "key-replay-1"}
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=headers)
    second = api.post("{plane}/delivery-flows", json=FLOW, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["X-Request-Id"] == first.headers["X-Request-Id"]
    assert len(_flows(api)) == 1


def test_an_error_is_not_stored_so_it_is_never_replayed(api):
    """A 409 changed nothing: the same key is answered afresh (tests/test_idempotency_growth.py has more)."""
    assert api.create_flow("idem-flow").status_code == 201
    headers = {"Idempotency-Key": "key-conflict"}
    first = api.post("{plane}/delivery-flows", json=FLOW, headers=headers)
    assert_error(first, 409, "flow_name_conflict")
    second = api.post("{plane}/delivery-flows", json=FLOW, headers=headers)
    assert_error(second, 409, "flow_name_conflict")
    assert "Idempotent-Replayed" not in second.headers
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def test_another_body_with_the_same_key_is_422(api):
    headers = {"Idempotency-Key": "key-reused"}
    assert api.post("{plane}/delivery-flows", json=FLOW, headers=headers).status_code == 201
    other = {**FLOW, "name": "another-flow"}
    assert_error(api.post("{plane}/delivery-flows", json=other, headers=headers), 422, "idempotency_key_reused")
    assert [flow["name"] for flow in _flows(api)] == ["idem-flow"]


def test_the_same_key_on_another_path_is_422(api):
    headers = {"Idempotency-Key": "key-path"}
    assert api.post("{plane}/delivery-flows", json=FLOW, headers=headers).status_code == 201
    target = {"name": "idem-target", "type": "slack"}
    assert_error(api.post("{plane}/targets", json=target, headers=headers), 422, "idempotency_key_reused")


def test_keys_are_scoped_to_the_token(api, new_tenant):
    other = new_tenant()
    headers = {"Idempotency-Key": "shared-key"}
    assert api.post("{plane}/delivery-flows", json=FLOW, headers=headers).status_code == 201
    response = other.post("{plane}/delivery-flows", json=FLOW, headers=headers)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert len(_flows(other)) == 1


def test_a_rejected_body_is_not_stored_so_the_fixed_request_can_use_the_key(api):
    headers = {"Idempotency-Key": "key-fix-me"}
    assert_error(
        api.post("{plane}/delivery-flows", json={**FLOW, "name": "Bad Name"}, headers=headers), 400, "invalid_field"
    )
    assert api.post("{plane}/delivery-flows", json=FLOW, headers=headers).status_code == 201


def test_a_key_over_255_characters_is_400(api):
    response = api.post("{plane}/delivery-flows", json=FLOW, headers={"Idempotency-Key": "k" * 256})
    assert_error(response, 400, "invalid_idempotency_key", "Idempotency-Key")
    assert api.post("{plane}/delivery-flows", json=FLOW, headers={"Idempotency-Key": "k" * 255}).status_code == 201


def _slow_start(api, key: str, body: bytes) -> socket.socket:
    """Send a POST's headers and the first bytes of its body, and leave it waiting."""
    url = urlsplit(api.url("{plane}/delivery-flows"))
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: {api.session.headers['Authorization']}\r\n"
        f"Content-Type: application/json\r\nIdempotency-Key: {key}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    slow = socket.create_connection((url.hostname, url.port), timeout=30)
    slow.sendall(head + body[:10])
    return slow


def _finish(slow: socket.socket, body: bytes) -> bytes:
    slow.sendall(body[10:])
    answer = b""
    while chunk := slow.recv(65536):
        answer += chunk
    slow.close()
    return answer


def test_a_key_in_flight_is_409_and_the_first_request_still_completes(api):
    """The first request sends its headers and part of its body, then waits: its key is in flight.

    The second request must arrive after the server has read the first one's headers; if it
    overtakes them (a slow machine), the attempt is repeated with a fresh key.
    """
    for attempt in range(5):
        key, flow = f"key-in-flight-{attempt}", {**FLOW, "name": f"in-flight-{attempt}"}
        body = json.dumps(flow).encode()
        slow = _slow_start(api, key, body)
        time.sleep(0.2 * (attempt + 1))
        second = api.post("{plane}/delivery-flows", json=flow, headers={"Idempotency-Key": key})
        answer = _finish(slow, body)
        if second.status_code == 201:  # overtaken: the first request then replayed the second's answer
            assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
            continue
        assert_error(second, 409, "idempotency_key_in_use", "Idempotency-Key")
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        third = api.post("{plane}/delivery-flows", json=flow, headers={"Idempotency-Key": key})
        assert third.status_code == 201 and third.headers["Idempotent-Replayed"] == "true"
        break
    else:
        pytest.fail("the second request overtook the first one's headers five times")
    assert sorted(f["name"] for f in _flows(api)) == [f"in-flight-{n}" for n in range(attempt + 1)]


def test_a_client_that_goes_away_releases_its_key(api):
    url = urlsplit(api.url("{plane}/delivery-flows"))
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: {api.session.headers['Authorization']}\r\n"
        "Content-Type: application/json\r\nIdempotency-Key: key-abandoned\r\n"
        'Content-Length: 500\r\n\r\n{"name"'
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as slow:
        slow.sendall(head)
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while True:
        response = api.post("{plane}/delivery-flows", json=FLOW, headers={"Idempotency-Key": "key-abandoned"})
        if response.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.status_code == 201, response.text


def test_a_client_that_has_its_answer_never_meets_its_own_key_in_flight(api):
    """The answer is stored before it is sent, and a rejected request's key is freed before its 400."""
    for number in range(40):
        key = {"Idempotency-Key": f"key-back-to-back-{number}"}
        body = {**FLOW, "name": f"back-to-back-{number}"}
        assert api.post("{plane}/delivery-flows", json=body, headers=key).status_code == 201
        again = api.post("{plane}/delivery-flows", json=body, headers=key)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true", again.text
        bad_key = {"Idempotency-Key": f"key-bad-then-fixed-{number}"}
        assert api.post("{plane}/delivery-flows", json={**body, "name": "Bad"}, headers=bad_key).status_code == 400
        fixed = api.post("{plane}/delivery-flows", json={**body, "name": f"fixed-{number}"}, headers=bad_key)
        assert fixed.status_code == 201, fixed.text
