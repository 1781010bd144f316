"""Ingested events, delivery attempts and simulated traffic in the sandbox, over real HTTP.

Every test runs against the session's sandbox (the ``api`` fixture resets it to its seed, which
also restores the default retry schedule and outcome models). Delivery happens on the sandbox's
worker thread, so the tests set a fast retry schedule through ``PUT /_sandbox/delivery`` and
fixed outcomes (success rate 0 or 1) per target, then poll the attempt list until it reaches the
expected state or a deadline passes: no fixed sleep decides a positive assertion. A short fixed
wait appears only where a test shows that something does *not* happen (no retry after the
limit, nothing for a deleted flow).

``http`` targets on loopback are real: :class:`Hook` is an HTTP server in the test, on
127.0.0.1, that records what the sandbox POSTs and answers with scripted statuses.
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.outcomes import TYPICAL_LATENCY_MS

from helpers import ATTEMPT_FIELDS, Api, admin_post, assert_error

FLOWS = "{plane}/delivery-flows"
TARGETS = "{plane}/targets"
ATTEMPTS = "{plane}/delivery-attempts"
FAST = [0.05, 0.05, 0.05]  # max attempts 4, all within a fraction of a second
DEFAULT_SCHEDULE = [5.0, 30.0, 120.0, 600.0, 1800.0]
DEADLINE = 10.0
QUIET = 0.25  # how long to watch for something that must not happen (well past FAST)
EVENT_ID = re.compile(r"evt_[0-9a-z]{20}")
ATTEMPT_ID = re.compile(r"att_[0-9a-z]{20}")
STRIPE = ("dest_stripe_prod_us_east_1", "stripe")
STRIPE_STAGING = ("dest_stripe_staging_us_east_1", "stripe")
SLACK = ("dest_slack_payments_alerts", "slack")
SLACK_OPS = ("dest_slack_ops_alerts", "slack")
S3 = ("dest_s3_events_archive", "s3")
S3_AUDIT = ("dest_s3_audit_log", "s3")
HTTP_ORDERS = ("dest_http_orders_webhook", "http")  # simulated traffic only: simulate never POSTs
UNICODE_PAYLOAD = {
    "type": "invoice.paid",
    "customer": "Zoë Ødegård-Łukasiewicz",
    "memo": "支払い完了 ✓ — «merci» 🚀",
    "amount": 1299,
    "lines": [{"sku": "ß-1", "qty": 2.5, "gift": None, "taxed": True}],
}


# -- helpers ------------------------------------------------------------------------------------


def admin(api: Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A request to ``/_sandbox/{path}`` with the admin token."""
    headers = {"Authorization": f"Bearer {api.box.admin_token}"}
    return requests.request(method, f"{api.base_url}/_sandbox/{path}", headers=headers, timeout=30, **kwargs)


def set_schedule(api: Api, schedule: list[float]) -> None:
    response = admin(api, "PUT", "delivery", json={"retrySchedule": schedule})
    assert response.status_code == 200, response.text
    assert response.json() == {"retrySchedule": schedule, "maxAttempts": len(schedule) + 1}


def set_outcome(api: Api, target: tuple[str, str], success_rate: float, **extra: Any) -> dict[str, Any]:
    path = f"tenants/{api.tenant_id}/clusters/{api.plane_id}/targets/{target[0]}/outcome"
    response = admin(api, "PUT", path, json={"successRate": success_rate, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def make_flow(api: Api, name: str, target: tuple[str, str] = STRIPE, source: str = "ingester_stripe") -> dict:
    response = api.create_flow(name, source=source, target=target[0], target_type=target[1])
    assert response.status_code == 201, response.text
    return response.json()


def flow_action(api: Api, flow: dict, action: str) -> dict:
    response = api.post(f"{FLOWS}/{flow['id']}/{action}")
    assert response.status_code == 200, response.text
    return response.json()


def http_target(api: Api, name: str, url: str) -> tuple[str, str]:
    response = api.post(TARGETS, json={"name": name, "type": "http", "url": url})
    assert response.status_code == 201, response.text
    return response.json()["id"], "http"


def ingest(api: Api, payload: Any, ingester: str = "ingester_stripe", **kwargs: Any) -> requests.Response:
    return api.post(f"{{plane}}/ingesters/{ingester}/events", json=payload, **kwargs)


def ingest_ok(api: Api, payload: Any | None = None, ingester: str = "ingester_stripe") -> dict:
    response = ingest(api, payload if payload is not None else {"type": "invoice.paid"}, ingester)
    assert response.status_code == 202, response.text
    return response.json()


def attempts(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every attempt matching ``params``, in list order."""
    return api.all_pages(ATTEMPTS, limit=250, **params)


def wait_attempts(
    api: Api, done: Callable[[list[dict]], bool], deadline: float = DEADLINE, **params: Any
) -> list[dict[str, Any]]:
    """Poll the attempt list (with ``params``) until ``done(list)`` holds; fail with the list at the deadline."""
    until = time.monotonic() + deadline
    while True:
        found = attempts(api, **params)
        if done(found):
            return found
        if time.monotonic() > until:
            raise AssertionError(f"attempts did not settle within {deadline} s: {json.dumps(found, indent=1)}")
        time.sleep(0.02)


def settled(count: int) -> Callable[[list[dict]], bool]:
    """``count`` attempts, none of them pending."""
    return lambda found: len(found) == count and all(a["status"] != "pending" for a in found)


def at_least(count: int) -> Callable[[list[dict]], bool]:
    return lambda found: len(found) >= count and all(a["status"] != "pending" for a in found)


def parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def ms_between(earlier: str, later: str) -> float:
    return (parse_time(later) - parse_time(earlier)).total_seconds() * 1000


def check_shape(attempt: dict[str, Any]) -> None:
    """One attempt has the contract's fields and types."""
    assert set(attempt) == ATTEMPT_FIELDS, attempt
    assert ATTEMPT_ID.fullmatch(attempt["id"]), attempt
    assert EVENT_ID.fullmatch(attempt["eventId"]), attempt
    assert attempt["trigger"] in ("initial", "automatic", "manual", "resume")
    assert attempt["status"] in ("succeeded", "failed", "pending")
    assert attempt["createdAt"].endswith("Z")
    parse_time(attempt["createdAt"])
    if attempt["status"] == "pending":
        assert attempt["latencyMs"] is None and attempt["responseStatus"] is None
    else:
        assert isinstance(attempt["latencyMs"], int) and attempt["latencyMs"] >= 0, attempt
    if attempt["status"] == "succeeded":
        assert 200 <= attempt["responseStatus"] < 300 and attempt["errorCode"] is None, attempt


@pytest.fixture
def fast(api: Api) -> Api:
    """The demo tenant on a freshly reset sandbox whose retry schedule is :data:`FAST`."""
    set_schedule(api, FAST)
    return api


class Hook:
    """A real HTTP server on 127.0.0.1 that records each POST and answers as scripted.

    ``statuses`` gives one status per request, the last one repeating; ``delay`` is slept
    before answering; with ``gate`` set, each request waits for it before answering.
    """

    def __init__(self) -> None:
        self.statuses: list[int] = [200]
        self.delay = 0.0
        self.gate: threading.Event | None = None
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._lock:
                    index = len(hook.requests)
                    hook.requests.append({"method": "POST", "path": self.path, "headers": self.headers, "body": body})
                hook.arrived.set()
                if hook.gate is not None:
                    hook.gate.wait(30)
                time.sleep(hook.delay)
                answer = b'{"received": true}'
                self.send_response(hook.statuses[min(index, len(hook.statuses) - 1)])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/zen?tag=test"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    try:
        yield server
    finally:
        server.stop()


# -- 1. an event, active and paused flows, resume -----------------------------------------------


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


# -- 2. real http targets on loopback ----------------------------------------------------------


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


# -- 3. automatic retries ---------------------------------------------------------------------


def test_a_failing_target_is_retried_on_the_schedule_until_it_is_used_up(api):
    schedule = [0.05, 0.1, 0.15]
    set_schedule(api, schedule)
    model = set_outcome(api, STRIPE, 0.0, failures=[503])
    assert model == {
        "targetId": STRIPE[0],
        "successRate": 0.0,
        "latencyMs": 120.0,
        "latencySpread": 0.35,
        "failures": [503],
    }
    set_outcome(api, SLACK, 0.0, failures=["timeout"])
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
    set_schedule(api, [0.5, 0.05, 0.05])
    set_outcome(api, SLACK, 0.0)
    flow = make_flow(api, "recovering-flow", SLACK)
    ingest_ok(api)
    [first] = wait_attempts(api, settled(1))
    assert (first["status"], first["trigger"]) == ("failed", "initial")
    assert first["responseStatus"] in (429, 500, 503)  # slack's typical failures by default
    set_outcome(api, SLACK, 1.0)  # the target recovers before the retry is due
    made = wait_attempts(api, settled(2), flowId=flow["id"])
    assert [(a["attemptNumber"], a["trigger"], a["status"]) for a in made] == [
        (1, "initial", "failed"),
        (2, "automatic", "succeeded"),
    ]
    time.sleep(QUIET)  # past the next slot of the schedule
    assert len(attempts(api)) == 2


def test_an_empty_schedule_means_one_attempt_and_a_deleted_outcome_model_means_success(api):
    set_schedule(api, [])
    set_outcome(api, S3, 0.0)
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


# -- 4. manual retries ------------------------------------------------------------------------


def test_a_manual_retry_is_a_new_attempt_that_is_not_retried_automatically(fast):
    api = fast
    set_outcome(api, STRIPE, 0.0)
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

    set_outcome(api, STRIPE, 1.0)
    again = api.post(f"{ATTEMPTS}/{manual['id']}/retry")
    assert again.status_code == 202, again.text
    assert (again.json()["attemptNumber"], again.json()["status"]) == (6, "pending")
    done = wait_attempts(api, settled(6))
    assert (done[-1]["id"], done[-1]["status"], done[-1]["trigger"]) == (again.json()["id"], "succeeded", "manual")


def test_a_manual_retry_while_an_automatic_one_is_queued_keeps_attempt_numbers_unique(api):
    """``attemptNumber`` counts the attempts of one delivery: a manual retry and the automatic one both made
    while an automatic retry waits must not share a number."""
    set_schedule(api, [0.5])
    set_outcome(api, STRIPE, 0.0)
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


# -- 5. the attempt list ----------------------------------------------------------------------


def test_the_attempt_list_filters_and_pages_in_creation_order(fast):
    api = fast
    set_outcome(api, SLACK, 0.0)
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
        assert len(body["data"]) <= 2
        paged += body["data"]
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


# -- 6. deleted flows -------------------------------------------------------------------------


def test_a_deleted_flows_held_and_queued_deliveries_are_dropped_and_its_attempts_stay(api):
    retry_after = 0.6
    set_schedule(api, [retry_after, 0.05, 0.05])
    set_outcome(api, SLACK, 0.0)
    failing = make_flow(api, "failing-flow", SLACK, source="ingester_github")
    held = make_flow(api, "held-flow", STRIPE)

    ingest_ok(api, ingester="ingester_github")
    [failed] = wait_attempts(api, settled(1), flowId=failing["id"])
    assert failed["status"] == "failed"  # its automatic retry is queued for later ...
    assert api.delete(f"{FLOWS}/{failing['id']}").status_code == 204  # ... and dropped with the flow
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


# -- 7. ingest errors and idempotency ---------------------------------------------------------


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


# -- 8. delivery settings and simulated traffic -----------------------------------------------


def test_delivery_settings_are_validated_and_reset_restores_the_defaults(api):
    response = admin(api, "GET", "delivery")
    assert response.status_code == 200, response.text
    assert response.json() == {"retrySchedule": DEFAULT_SCHEDULE, "maxAttempts": 6}
    for bad, field in (
        ([-1], "retrySchedule[0]"),
        ([1, -0.5], "retrySchedule[1]"),
        ([86_401], "retrySchedule[0]"),
        ([1] * 11, "retrySchedule"),
        ("5", "retrySchedule"),
    ):
        assert_error(admin(api, "PUT", "delivery", json={"retrySchedule": bad}), 400, "invalid_field", field=field)
    assert_error(admin(api, "PUT", "delivery", json={}), 400, "missing_field")
    set_schedule(api, [])
    set_schedule(api, [0, 2.5, 86_400])
    assert admin(api, "GET", "delivery").json() == {"retrySchedule": [0, 2.5, 86_400], "maxAttempts": 4}
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
    assert admin(api, "GET", "delivery").json() == {"retrySchedule": DEFAULT_SCHEDULE, "maxAttempts": 6}


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
    set_schedule(api, schedule)
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
    set_schedule(api, [60])
    targets = (STRIPE, STRIPE_STAGING, SLACK, SLACK_OPS, S3, S3_AUDIT)
    for n, target in enumerate(targets):
        make_flow(api, f"fleet-{n}", target)
    set_outcome(api, S3_AUDIT, 0.0, failures=["connection_refused"])
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
    assert_error(simulate(api, **small), 400, "invalid_field", field="flows")  # a fresh seed has no flows
    paused = make_flow(api, "only-paused", STRIPE)
    flow_action(api, paused, "pause")
    assert_error(simulate(api, **small), 400, "invalid_field", field="flows")  # paused flows do not count
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
    set_schedule(api, [0.05, 0.05, 0.05])
    make_flow(api, "slow-flow", STRIPE)
    set_outcome(api, STRIPE, 0.0, latencyMs=120_000, latencySpread=0, failures=[503])  # 2 minutes per answer
    response = simulate(api, events=5, days=0.01, seed=1, start=SIM_START)  # a window of 14.4 minutes
    assert response.status_code == 201, response.text
    end = parse_time(response.json()["end"])
    history = attempts(api)
    assert len(history) == response.json()["attempts"] == 20
    late = [a["createdAt"] for a in history if parse_time(a["createdAt"]) >= end]
    assert late == [], f"attempts at or after the end {response.json()['end']}: {late}"


# -- 9. persistence ---------------------------------------------------------------------------


def test_attempts_survive_a_restart_and_a_pending_one_becomes_interrupted(tmp_path, hook):
    hook.gate = threading.Event()  # the hook never answers while the first sandbox runs
    db = tmp_path / "delivery.sqlite3"
    with sandbox_pkg.start(db=db) as box:
        api = Api(box)
        target = http_target(api, "hanging-hook", hook.url)
        hanging = make_flow(api, "hanging-flow", target)
        quick = make_flow(api, "quick-flow", STRIPE)
        waiting = flow_action(api, make_flow(api, "waiting-flow", SLACK), "pause")
        event = ingest_ok(api, {"kept": "ü"})
        assert [d["state"] for d in event["deliveries"]] == ["queued", "queued", "held"]
        assert hook.arrived.wait(DEADLINE)
        before = wait_attempts(api, lambda found: any(a["status"] == "succeeded" for a in found) and len(found) == 2)
        by_flow = {a["flowId"]: a for a in before}
        assert by_flow[hanging["id"]]["status"] == "pending"
        assert by_flow[quick["id"]]["status"] == "succeeded"

    with sandbox_pkg.start(db=db) as box:
        api = Api(box)
        after = attempts(api)
        assert [a["id"] for a in after] == [a["id"] for a in before]
        assert {a["flowId"]: a for a in after}[quick["id"]] == by_flow[quick["id"]]
        interrupted = {a["flowId"]: a for a in after}[hanging["id"]]
        assert (interrupted["status"], interrupted["errorCode"], interrupted["responseStatus"]) == (
            "failed",
            "interrupted",
            None,
        )
        assert interrupted["createdAt"] == by_flow[hanging["id"]]["createdAt"]
        # The held delivery of the paused flow survived too: resuming delivers it.
        flow_action(api, waiting, "resume")
        resumed = wait_attempts(api, settled(1), flowId=waiting["id"])
        assert (resumed[0]["eventId"], resumed[0]["trigger"], resumed[0]["status"]) == (
            event["id"],
            "resume",
            "succeeded",
        )
        assert len(hook.requests) == 1  # the interrupted attempt was not made again
