"""Real ``http`` targets on loopback: what the sandbox POSTs, and how their real answers (statuses,
refused connections) become attempts and retries. :class:`deliveries.Hook` is the receiver.
"""

from __future__ import annotations

import json
import socket
import threading
import time

from deliveries import (
    ATTEMPTS,
    DEADLINE,
    QUIET,
    attempts,
    check_shape,
    http_target,
    ingest_ok,
    make_flow,
    settled,
    wait_attempts,
)

UNICODE_PAYLOAD = {
    "type": "invoice.paid",
    "customer": "Zoë Ødegård-Łukasiewicz",
    "memo": "支払い完了 ✓ — «merci» 🚀",
    "amount": 1299,
    "lines": [{"sku": "ß-1", "qty": 2.5, "gift": None, "taxed": True}],
}


def test_an_http_target_on_loopback_receives_the_event_as_sent(fast, hook):
    api = fast
    hook.statuses = [201]
    hook.delay = 0.2
    hook.gate = threading.Event()
    target = http_target(api, "hook-target", hook.url)
    flow = make_flow(api, "hook-flow", target)

    event = ingest_ok(api, UNICODE_PAYLOAD)
    assert event["deliveries"] == [{"flowId": flow["id"], "targetId": target[0], "state": "queued"}]
    assert hook.arrived.wait(DEADLINE), "the hook server got no request"
    [pending] = attempts(api)  # the request is in flight: the attempt is recorded as pending
    check_shape(pending)
    assert (pending["status"], pending["latencyMs"], pending["responseStatus"]) == ("pending", None, None)
    assert (pending["attemptNumber"], pending["trigger"]) == (1, "initial")
    assert api.get(f"{ATTEMPTS}/{pending['id']}").json() == pending
    hook.gate.set()

    [attempt] = wait_attempts(api, settled(1))
    check_shape(attempt)
    assert attempt["id"] == pending["id"]
    assert (attempt["status"], attempt["responseStatus"], attempt["errorCode"]) == ("succeeded", 201, None)
    assert attempt["latencyMs"] >= 200  # the server's deliberate delay, measured for real

    [received] = hook.requests
    assert received["method"] == "POST" and received["path"] == "/hooks/zen?tag=test"
    assert json.loads(received["body"].decode("utf-8")) == UNICODE_PAYLOAD
    assert list(json.loads(received["body"])) == list(UNICODE_PAYLOAD)  # key order kept
    headers = received["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Zen-Event-Id"] == event["id"]
    assert headers["Zen-Flow-Id"] == flow["id"]
    assert headers["Zen-Attempt-Id"] == attempt["id"]
    assert headers["Zen-Attempt-Number"] == "1"
    time.sleep(QUIET)
    assert len(hook.requests) == 1 and len(attempts(api)) == 1  # a 2xx is not retried


def test_real_http_failures_are_retried_until_the_target_answers(fast, hook):
    api = fast
    hook.statuses = [500, 503, 201]
    flow = make_flow(api, "flaky-hook-flow", http_target(api, "flaky-hook", hook.url))
    event = ingest_ok(api, {"n": 1})

    made = wait_attempts(api, settled(3))
    for attempt in made:
        check_shape(attempt)
        assert (attempt["flowId"], attempt["eventId"]) == (flow["id"], event["id"])
    assert [(a["attemptNumber"], a["trigger"], a["status"], a["responseStatus"], a["errorCode"]) for a in made] == [
        (1, "initial", "failed", 500, None),
        (2, "automatic", "failed", 503, None),
        (3, "automatic", "succeeded", 201, None),
    ]
    time.sleep(QUIET)  # succeeded: no 4th attempt
    assert len(attempts(api)) == 3
    assert [r["headers"]["Zen-Attempt-Number"] for r in hook.requests] == ["1", "2", "3"]
    assert [r["headers"]["Zen-Attempt-Id"] for r in hook.requests] == [a["id"] for a in made]
    assert all(json.loads(r["body"]) == {"n": 1} for r in hook.requests)


def test_an_http_target_that_always_fails_gets_every_retry_with_its_real_status(fast, hook):
    api = fast
    hook.statuses = [500]
    make_flow(api, "broken-hook-flow", http_target(api, "broken-hook", hook.url))
    ingest_ok(api)
    made = wait_attempts(api, settled(4))
    assert [(a["attemptNumber"], a["status"], a["responseStatus"]) for a in made] == [
        (n, "failed", 500) for n in (1, 2, 3, 4)
    ]
    time.sleep(QUIET)
    assert len(attempts(api)) == 4 and len(hook.requests) == 4


def test_a_loopback_url_where_nothing_listens_is_connection_refused_and_retried(fast):
    api = fast
    # A port bound but not listening refuses connections, and no other process can take it meanwhile.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks/nobody"
        target = http_target(api, "refused-hook", url)
        flow = make_flow(api, "refused-flow", target)
        event = ingest_ok(api)
        made = wait_attempts(api, settled(4))
        assert [a["attemptNumber"] for a in made] == [1, 2, 3, 4]
        assert [a["trigger"] for a in made] == ["initial"] + ["automatic"] * 3
        for attempt in made:
            check_shape(attempt)
            assert (attempt["flowId"], attempt["eventId"], attempt["targetId"]) == (flow["id"], event["id"], target[0])
            assert attempt["status"] == "failed"
            assert attempt["errorCode"] == "connection_refused", attempt
            assert attempt["responseStatus"] is None
        time.sleep(QUIET)
        assert len(attempts(api)) == 4
