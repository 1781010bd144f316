"""What the delivery tests share: the seed's targets, flows and events made over HTTP, attempts polled, a hook.

Delivery happens on the sandbox's worker thread, so the tests set a fast retry schedule
(:data:`FAST`, through ``PUT /_sandbox/delivery``) and fixed outcomes (success rate 0 or 1) per
target, then poll the attempt list until it reaches the expected state or :data:`DEADLINE`
passes (:func:`wait_attempts`): no fixed sleep decides a positive assertion. A short fixed wait
(:data:`QUIET`) appears only where a test shows that something does *not* happen.

``http`` targets on loopback are real: :class:`Hook` is an HTTP server in the test, on
127.0.0.1, that records what the sandbox POSTs and answers with scripted statuses.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from helpers import SANDBOX_ATTEMPT_FIELDS, Api, serving, url_of, wait_until

FLOWS = "{plane}/delivery-flows"
TARGETS = "{plane}/targets"
ATTEMPTS = "{plane}/delivery-attempts"
FAST = [0.05, 0.05, 0.05]  # max attempts 4, all within a fraction of a second
DEADLINE = 10.0
QUIET = 0.25  # how long to watch for something that must not happen (well past FAST)
EVENT_ID = re.compile(r"evt_[0-9a-z]{20}")
ATTEMPT_ID = re.compile(r"att_[0-9a-z]{20}")
# The seed's targets on the demo plane: (id, type).
STRIPE = ("dest_stripe_prod_us_east_1", "stripe")
STRIPE_STAGING = ("dest_stripe_staging_us_east_1", "stripe")
SLACK = ("dest_slack_payments_alerts", "slack")
SLACK_OPS = ("dest_slack_ops_alerts", "slack")
S3 = ("dest_s3_events_archive", "s3")
S3_AUDIT = ("dest_s3_audit_log", "s3")


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
    return wait_until(lambda: attempts(api, **params), done, deadline, f"the attempts with {params} settled")


def settled(count: int) -> Callable[[list[dict]], bool]:
    """``count`` attempts, none of them pending."""
    return lambda found: len(found) == count and all(a["status"] != "pending" for a in found)


def parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def ms_between(earlier: str, later: str) -> float:
    return (parse_time(later) - parse_time(earlier)).total_seconds() * 1000


def check_shape(attempt: dict[str, Any]) -> None:
    """One attempt has the contract's fields (and the sandbox's ``nextAttemptAt``) and types."""
    assert set(attempt) == SANDBOX_ATTEMPT_FIELDS, attempt
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


class Hook:
    """A real HTTP server on 127.0.0.1 that records each POST and answers as scripted (the ``hook`` fixture).

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

        self._running = ExitStack()
        self.server = self._running.enter_context(serving(Handler))
        self.url = f"{url_of(self.server)}/hooks/zen?tag=test"

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self._running.close()
