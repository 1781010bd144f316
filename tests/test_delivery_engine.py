"""The delivery engine under faults: no attempt is stranded, the work in flight is bounded, and its
settings live in the database (a restart keeps them, a reset restores the defaults).

Faults are real where they can be: a URL that ``requests`` refuses, an outcome model written
into the database by hand, a sandbox stopped while a delivery hangs.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from zen_nb import sandbox as sandbox_pkg
from zen_nb.sandbox.data import Store
from zen_nb.sandbox.data import settings as stored_settings
from zen_nb.sandbox.data.attempts import finish_attempt, insert_attempt
from zen_nb.sandbox.data.deliveries import queue_manual
from zen_nb.sandbox.data.events import insert_event
from zen_nb.sandbox.delivery import WORKERS

from deliveries import (
    ATTEMPTS,
    DEADLINE,
    FLOWS,
    QUIET,
    SLACK,
    STRIPE,
    attempts,
    check_shape,
    http_target,
    ingest_ok,
    make_flow,
    settled,
    wait_attempts,
)
from helpers import Api, admin, serving, set_outcome, set_retry_schedule, url_of, wait_until

DEFAULTS = {"retrySchedule": [5.0, 30.0, 120.0, 600.0, 1800.0], "maxAttempts": 6, "outcomes": []}


def test_a_url_that_requests_refuses_fails_at_once_is_logged_once_and_retried(api, caplog):
    set_retry_schedule(api, [0.05, 0.05])
    url = "http://127.0.0.1:99999/x"  # a valid URL for the API, one requests will not even try
    target = http_target(api, "bad-port-hook", url)
    flow = make_flow(api, "bad-port-flow", target)
    with caplog.at_level(logging.WARNING, logger="zen_nb.sandbox"):
        started = time.monotonic()
        ingest_ok(api)
        first = wait_attempts(api, lambda found: found and found[0]["status"] != "pending", deadline=1.0)
        assert time.monotonic() - started < 1.0
        made = wait_attempts(api, settled(3))
    assert first[0]["errorCode"] == "invalid_url"
    assert [(a["attemptNumber"], a["trigger"], a["status"], a["errorCode"]) for a in made] == [
        (1, "initial", "failed", "invalid_url"),
        (2, "automatic", "failed", "invalid_url"),
        (3, "automatic", "failed", "invalid_url"),
    ]
    for attempt in made:
        check_shape(attempt)
        assert attempt["flowId"] == flow["id"] and attempt["responseStatus"] is None
        logged = [record for record in caplog.records if attempt["id"] in record.getMessage()]
        assert len(logged) == 1, [record.getMessage() for record in caplog.records]
    ours = [record for record in caplog.records if record.name == "zen_nb.sandbox"]
    assert not [record for record in ours if "99999" in record.getMessage() or record.exc_info]
    time.sleep(QUIET)
    assert len(attempts(api)) == 3  # the schedule is used up: nothing stays queued or pending


def test_a_broken_outcome_model_in_the_database_fails_the_attempt_and_the_engine_goes_on(tmp_path, caplog):
    db = tmp_path / "broken-model.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        api = Api(box)
        set_retry_schedule(api, [0.05])
        make_flow(api, "broken-flow", SLACK)
        make_flow(api, "healthy-flow", STRIPE)
        # A model that no API call can write (it is validated), as a newer zen_nb or a hand might leave it.
        other = Store(db)
        try:
            with other.transaction() as conn:
                stored_settings.set_outcome(conn, api.tenant_id, api.plane_id, SLACK[0], {"successRate": "often"})
        finally:
            other.close()
        with caplog.at_level(logging.ERROR, logger="zen_nb.sandbox"):
            ingest_ok(api)
            made = wait_attempts(api, settled(3))
        by_target = {(a["targetId"], a["attemptNumber"]): a for a in made}
        assert by_target[(STRIPE[0], 1)]["status"] == "succeeded"
        for number, trigger in ((1, "initial"), (2, "automatic")):
            broken = by_target[(SLACK[0], number)]
            check_shape(broken)
            assert (broken["trigger"], broken["status"], broken["errorCode"]) == (trigger, "failed", "delivery_error")
        for number in (1, 2):  # each failure logged once, with its traceback (a bug's, to be fixed)
            attempt_id = by_target[(SLACK[0], number)]["id"]
            logged = [record for record in caplog.records if attempt_id in record.getMessage()]
            assert len(logged) == 1 and logged[0].levelno == logging.ERROR and logged[0].exc_info


class _SlowReceiver:
    """An HTTP receiver on loopback that answers each POST after ``delay`` s, counting the requests it
    holds at once."""

    def __init__(self, delay: float) -> None:
        self.now = self.most = self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.now += 1
                    receiver.count += 1
                    receiver.most = max(receiver.most, receiver.now)
                time.sleep(delay)
                with receiver.lock:
                    receiver.now -= 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.Handler = Handler


def test_attempts_in_flight_never_exceed_the_workers_and_the_rest_wait_in_the_queue(api):
    events = 3 * WORKERS
    receiver = _SlowReceiver(delay=0.3)
    with serving(receiver.Handler) as server:
        flow = make_flow(api, "slow-flow", http_target(api, "slow-hook", f"{url_of(server)}/slow"))
        for number in range(events):
            ingest_ok(api, {"n": number})
        most_pending = 0
        give_up = time.monotonic() + 30
        while True:
            found = attempts(api, flowId=flow["id"])
            pending = sum(1 for a in found if a["status"] == "pending")
            most_pending = max(most_pending, pending)
            if len(found) == events and not pending:
                break
            assert time.monotonic() < give_up, f"{len(found)} attempts, {pending} pending"
            time.sleep(0.02)
    assert [a["status"] for a in found] == ["succeeded"] * events
    assert receiver.count == events
    assert 2 <= receiver.most <= WORKERS
    # An attempt is pending from the moment it is taken from the queue: never more than the workers.
    assert 2 <= most_pending <= WORKERS


def test_a_queued_manual_retry_of_a_deleted_flow_ends_failed_flow_deleted(api, hook):
    hook.gate = threading.Event()  # every worker hangs on the hook: a manual retry has to wait in the queue
    flow = make_flow(api, "hanging-flow", http_target(api, "hanging-hook", hook.url))
    set_outcome(api, STRIPE[0], successRate=0.0)
    stripe_flow = make_flow(api, "failing-flow", STRIPE)
    set_retry_schedule(api, [])
    ingest_ok(api)  # one hanging attempt, one failed one
    failed = wait_attempts(api, settled(1), flowId=stripe_flow["id"])
    more = make_flow(api, "more-hanging", http_target(api, "more-hook", hook.url), source="ingester_shopify")
    for number in range(WORKERS - 1):
        ingest_ok(api, {"n": number}, ingester="ingester_shopify")
    wait_until(lambda: len(hook.requests), lambda n: n == WORKERS, DEADLINE, "every worker holds a hook request")
    retried = api.post(f"{ATTEMPTS}/{failed[0]['id']}/retry")
    assert retried.status_code == 202, retried.text
    time.sleep(QUIET)
    assert api.get(f"{ATTEMPTS}/{retried.json()['id']}").json()["status"] == "pending"  # waiting for a worker
    assert api.delete(f"{FLOWS}/{stripe_flow['id']}").status_code == 204
    cancelled = api.get(f"{ATTEMPTS}/{retried.json()['id']}").json()
    assert (cancelled["status"], cancelled["errorCode"], cancelled["trigger"]) == ("failed", "flow_deleted", "manual")
    check_shape(cancelled)
    hook.gate.set()
    done = wait_attempts(
        api, lambda found: len(found) == WORKERS and all(a["status"] == "succeeded" for a in found), status="succeeded"
    )
    assert {a["flowId"] for a in done} == {flow["id"], more["id"]}
    assert api.get(f"{ATTEMPTS}/{retried.json()['id']}").json() == cancelled  # no worker made it after all


def test_delivery_settings_and_outcome_models_survive_a_restart_and_drive_the_engine(tmp_path):
    db = tmp_path / "settings.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        api = Api(box)
        set_retry_schedule(api, [0.05, 0.1])
        model = set_outcome(api, SLACK[0], successRate=0.0, latencyMs=7, failures=[418])
        flow = make_flow(api, "kept-flow", SLACK)
    with sandbox_pkg.start(port=0, db=db) as box:
        api = Api(box)
        shown = admin(api, "GET", "delivery")
        assert shown.status_code == 200, shown.text
        assert shown.json() == {
            "retrySchedule": [0.05, 0.1],
            "maxAttempts": 3,
            "outcomes": [
                {
                    "tenantId": api.tenant_id,
                    "planeId": api.plane_id,
                    "targetId": SLACK[0],
                    "successRate": 0.0,
                    "latencyMs": 7.0,
                    "latencySpread": model["latencySpread"],
                    "failures": [418],
                }
            ],
        }
        ingest_ok(api)
        made = wait_attempts(api, settled(3), flowId=flow["id"])
        assert [(a["attemptNumber"], a["status"], a["responseStatus"]) for a in made] == [
            (1, "failed", 418),
            (2, "failed", 418),
            (3, "failed", 418),
        ]
        time.sleep(QUIET)
        assert len(attempts(api)) == 3


def test_reset_brings_back_the_default_schedule_and_models(api):
    set_retry_schedule(api, [1.0])
    set_outcome(api, SLACK[0], successRate=0.5)
    assert len(admin(api, "GET", "delivery").json()["outcomes"]) == 1
    assert admin(api, "POST", "reset").status_code == 200
    assert admin(api, "GET", "delivery").json() == DEFAULTS
    gone = admin(api, "DELETE", f"tenants/{api.tenant_id}/clusters/{api.plane_id}/targets/{SLACK[0]}/outcome")
    assert gone.status_code == 204  # deleting a model that is not set is no error


def test_attempts_a_stopped_process_was_making_end_interrupted_and_their_deliveries_go_on(tmp_path):
    """A crash leaves attempts ``pending``: reopening the database ends them ``failed`` ``interrupted``
    and queues each delivery's next automatic attempt, unless it was manual or the schedule's last. A
    manual retry still waiting in the queue is not interrupted: it is made."""
    db = tmp_path / "crashed.sqlite3"
    with sandbox_pkg.start(port=0, db=db) as box:
        api = Api(box)
        set_retry_schedule(api, [0.05])
        stripe = make_flow(api, "stripe-flow", STRIPE)
        slack = make_flow(api, "slack-flow", SLACK, source="ingester_github")
    # What a process killed mid-delivery leaves behind, written through the data layer.
    crashed = Store(db)
    try:
        with crashed.transaction() as conn:
            rows = {}
            for name, flow, ingester, target in (
                ("initial", stripe, "ingester_stripe", STRIPE[0]),
                ("manual", slack, "ingester_github", SLACK[0]),
                ("last", stripe, "ingester_stripe", STRIPE[0]),
            ):
                event_id = f"evt_crashed{name}"
                insert_event(conn, api.tenant_id, api.plane_id, event_id, ingester, "{}", "2026-01-05T00:00:00.000Z")
                if name == "last":  # attempt 1 failed already; attempt 2 is the schedule's last
                    first = insert_attempt(conn, api.tenant_id, api.plane_id, flow["id"], event_id, target, "initial")
                    finish_attempt(conn, first["id"], "failed", 503, None, 1)
                trigger = {"initial": "initial", "manual": "manual", "last": "automatic"}[name]
                rows[name] = insert_attempt(conn, api.tenant_id, api.plane_id, flow["id"], event_id, target, trigger)
            waiting = insert_attempt(
                conn, api.tenant_id, api.plane_id, slack["id"], "evt_crashedmanual", SLACK[0], "manual"
            )
            queue_manual(conn, waiting)  # a manual retry still in the queue: not interrupted
    finally:
        crashed.close()

    with sandbox_pkg.start(port=0, db=db) as box:
        api = Api(box)
        made = wait_attempts(api, lambda found: len(found) == 6 and all(a["status"] != "pending" for a in found))
        by_id = {a["id"]: a for a in made}
        for name in ("initial", "manual", "last"):
            ended = by_id[rows[name]["id"]]
            assert (ended["status"], ended["errorCode"], ended["latencyMs"]) == ("failed", "interrupted", 0), ended
        assert by_id[waiting["id"]]["status"] == "succeeded"
        follow_up = [a for a in made if a["id"] not in {r["id"] for r in rows.values()} | {waiting["id"]}]
        follow_up = [a for a in follow_up if a["trigger"] == "automatic"]
        assert [(a["eventId"], a["attemptNumber"], a["status"]) for a in follow_up] == [
            ("evt_crashedinitial", 2, "succeeded")
        ]
        time.sleep(QUIET)
        assert len(attempts(api)) == 6  # nothing more: the manual and the last attempts are not retried
