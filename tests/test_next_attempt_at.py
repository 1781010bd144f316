"""``nextAttemptAt`` on the recipe form's attempts: when the delivery's next automatic attempt is due, on its
latest failed attempt while that retry waits in the queue; null everywhere else (the DLQ rule: latest
``failed`` with ``nextAttemptAt`` null). Read from the list and from one attempt, over HTTP."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from zen_nb.sandbox.data import attempts as attempt_rows
from zen_nb.sandbox.server import open_store

from deliveries import ATTEMPTS, FLOWS, STRIPE, attempts, flow_action, ingest_ok, make_flow, parse_time, wait_attempts
from helpers import Api, set_outcome, set_retry_schedule

WAIT = 30.0  # the retry delay under test: long enough that the retry never happens while a test reads


def failed_once(api: Api, schedule: list[float]) -> tuple[str, dict]:
    """An event whose first attempt failed, with ``schedule`` as the retry schedule; its id and that attempt."""
    set_retry_schedule(api, schedule)
    set_outcome(api, STRIPE[0], successRate=0.0, failures=[503])
    event = ingest_ok(api)["id"]
    (failed,) = wait_attempts(api, lambda got: len(got) == 1 and got[0]["status"] == "failed", eventId=event)
    return event, failed


def one(api: Api, attempt_id: str) -> dict:
    response = api.get(f"{ATTEMPTS}/{attempt_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_failed_attempt_with_a_retry_waiting_says_when_it_is_due(api):
    make_flow(api, "later")
    before = time.time()
    event, failed = failed_once(api, [WAIT])
    after = time.time()
    due = failed["nextAttemptAt"]
    assert due is not None and due.endswith("Z") and len(due) == len("2024-01-15T10:30:00.000Z"), failed
    assert before + WAIT - 1 <= parse_time(due).timestamp() <= after + WAIT + 1, (due, before, after)
    assert one(api, failed["id"])["nextAttemptAt"] == due  # the same on the one attempt's read
    assert attempts(api, status="failed", eventId=event)[0]["nextAttemptAt"] == due  # and filtered


def test_a_retry_by_hand_supersedes_it_and_its_own_attempt_has_none(api):
    make_flow(api, "by-hand")
    _, failed = failed_once(api, [WAIT])
    retry = api.post(f"{ATTEMPTS}/{failed['id']}/retry")
    assert retry.status_code == 202 and retry.json()["nextAttemptAt"] is None  # pending: nothing follows it yet
    # No longer its delivery's latest: the manual attempt is.
    assert one(api, failed["id"])["nextAttemptAt"] is None
    manual = wait_attempts(api, lambda got: len(got) == 2 and got[1]["status"] == "failed", eventId=failed["eventId"])
    # A manual attempt is never retried itself, but the automatic retry queued before it still waits:
    # the delivery's next attempt is due when it was, now shown on its latest attempt, the manual one.
    assert manual[1]["trigger"] == "manual" and manual[1]["nextAttemptAt"] == failed["nextAttemptAt"]
    assert manual[0]["nextAttemptAt"] is None


def test_the_last_attempt_a_success_and_a_paused_flows_have_none(api):
    flow = make_flow(api, "none")
    _, exhausted = failed_once(api, [])  # one attempt in all: its failure is final, a dead letter
    assert exhausted["nextAttemptAt"] is None
    set_outcome(api, STRIPE[0], successRate=1.0)
    delivered_event = ingest_ok(api)["id"]
    (delivered,) = wait_attempts(api, lambda got: got and got[0]["status"] == "succeeded", eventId=delivered_event)
    assert delivered["nextAttemptAt"] is None
    # A retry waiting for a paused flow is held when it comes due: none is due until the flow resumes.
    _, waiting = failed_once(api, [WAIT])
    assert waiting["nextAttemptAt"] is not None
    flow_action(api, flow, "pause")
    assert one(api, waiting["id"])["nextAttemptAt"] is None
    flow_action(api, flow, "resume")
    assert one(api, waiting["id"])["nextAttemptAt"] == waiting["nextAttemptAt"]
    assert api.delete(f"{FLOWS}/{flow['id']}").status_code == 204  # its queue goes with it
    assert one(api, waiting["id"])["nextAttemptAt"] is None


def test_the_dlq_rule_on_the_recipe_form_matches_v1s_failed_view(fast):
    """The latest failed attempts with nextAttemptAt null are the v1 DLQ (``status=failed``), id for id."""
    make_flow(fast, "dlq")
    set_outcome(fast, STRIPE[0], successRate=0.0, failures=[503])
    events = [ingest_ok(fast)["id"] for _ in range(3)]
    for event in events:  # FAST: 4 attempts each, all failed
        wait_attempts(fast, lambda got: len(got) == 4 and all(a["status"] == "failed" for a in got), eventId=event)
    set_retry_schedule(fast, [WAIT])
    waiting = ingest_ok(fast)["id"]
    wait_attempts(fast, lambda got: len(got) == 1 and got[0]["status"] == "failed", eventId=waiting)
    every = attempts(fast)
    latest = {}
    for attempt in every:
        latest[attempt["flowId"], attempt["eventId"], attempt["targetId"]] = attempt
    dlq = {a["id"] for a in latest.values() if a["status"] == "failed" and a["nextAttemptAt"] is None}
    v1 = fast.session.get(f"{fast.base_url}/v1/tenants/{fast.tenant_id}/deliveries", params={"status": "failed"})
    assert dlq == {d["id"] for d in v1.json()["deliveries"]} and len(dlq) == 3


def test_a_page_seeks_each_attempts_delivery_by_index(tmp_path: Path):
    """The list's query walks ``attempts_by_plane`` and finds each row's later attempt and queued retry
    by index seeks (``attempts_numbered``, ``deliveries_by_delivery``): a page costs the same on any history."""
    store = open_store(tmp_path / "plan.db")
    store.close()
    db = sqlite3.connect(tmp_path / "plan.db")
    for filters in ({}, {"status": "failed"}, {"flow_id": "flow_x"}):
        sql, params = attempt_rows.attempts_query("tenant_demo", "plane_dev_us_east_1", 0, 50, **filters)
        plan = " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "AUTOMATIC" not in plan and "TEMP B-TREE" not in plan, plan
        assert "deliveries_by_delivery" in plan and "attempts_numbered" in plan, plan
        assert "SCAN" not in plan.replace("SCAN f", ""), plan  # the flow is read by its primary key
    db.close()
