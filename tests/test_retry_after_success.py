"""A delivery that succeeds is not delivered again: its automatic retries still queued are dropped.

A manual retry (a bulk retry after the target was fixed) overtakes the automatic one waiting on
the schedule; without this, the automatic one would deliver the event a second time.
"""

from __future__ import annotations

import time

from deliveries import DEADLINE, QUIET, STRIPE_STAGING, make_flow
from helpers import Api, client_for, set_outcome, set_retry_schedule, wait_until


def test_a_manual_retry_that_succeeds_drops_the_automatic_retry_still_waiting(api: Api) -> None:
    set_retry_schedule(api, [600.0])  # the automatic retry is ten minutes away
    set_outcome(api, STRIPE_STAGING[0], successRate=0.0, latencyMs=1, latencySpread=0)
    flow = make_flow(api, "after-success", STRIPE_STAGING)
    client = client_for(api)
    client.ingest_event("ingester_stripe", {"n": 1})
    first = wait_until(
        lambda: client.list_attempts(flow=flow["id"]),
        lambda found: len(found) == 1 and found[0].status == "failed" and found[0].next_attempt_at is not None,
        DEADLINE,
        "a failed first attempt with its retry queued",
    )[0]
    set_outcome(api, STRIPE_STAGING[0], successRate=1.0, latencyMs=1, latencySpread=0)
    client.retry_attempt(first)
    wait_until(
        lambda: client.list_attempts(flow=flow["id"], status="succeeded"),
        lambda found: len(found) == 1,
        DEADLINE,
        "the retry",
    )
    assert client.advance_clock(3600)["moved"] == 0  # nothing left to bring forward
    time.sleep(QUIET)
    assert [(a.attempt_number, a.trigger, a.status) for a in client.list_attempts(flow=flow["id"])] == [
        (1, "initial", "failed"),
        (2, "manual", "succeeded"),
    ]
