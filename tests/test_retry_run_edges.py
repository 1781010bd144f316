"""Bulk retry runs at their edges: a torn journal, a cancel before the run starts or in the middle of
one-call-per-attempt sending, lost answers left unsent, keys that expired, a batch answer without ids.

Found in review of the first version, each reproduced before it was fixed; counted, as in
``test_retry_run.py``, by the manual attempts each event has afterwards.
"""

from __future__ import annotations

import threading
import time

import pytest
from retry_helpers import BATCH_PATH, ONE_PATH, failing_flow, fix_target, manual_retries, private_journals

from zen_nb import ServerError, retry_run
from zen_nb.retry_journal import RetryJournal
from zen_nb.sandbox import idempotency

from helpers import client_for


@pytest.fixture(autouse=True)
def journals(tmp_path, monkeypatch):
    folder = private_journals(tmp_path, monkeypatch)
    monkeypatch.setattr(retry_run, "RESUME_WAIT", 0.05)  # the run's own resumes, short: the tests wait less
    return folder


def test_a_line_torn_by_a_crash_hides_nothing_written_after_it(tmp_path):
    journal = RetryJournal("rp_0123456789abcdef", tmp_path)
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text('{"kind":"sent","key":"k0","attemptIds":["att_a"],"deliv')  # cut short, no newline
    journal.sent("k1", ["att_b"], [("flow_f", "evt_b", "dest_t")])
    journal.answered("k1", [{"attemptId": "att_b", "status": "queued", "retryAttemptId": "att_c"}])
    assert journal.path.read_text().splitlines()[1].startswith('{"kind":"sent","key":"k1"')  # a line of its own
    state = journal.read()
    assert list(state.requests) == ["k1"]
    assert state.retried_deliveries() == {("flow_f", "evt_b", "dest_t")}
    assert state.retry_attempt_ids() == {("flow_f", "evt_b", "dest_t"): "att_c"}


def test_a_journal_torn_by_an_older_version_is_read_past_the_tear(tmp_path):
    journal = RetryJournal("rp_0123456789abcdef", tmp_path)
    journal.path.parent.mkdir(parents=True)
    whole = '{"kind":"sent","key":"k1","attemptIds":["att_b"],"deliveries":[["flow_f","evt_b","dest_t"]]}'
    journal.path.write_text('{"kind":"sent","key":"k0","att' + whole + "\n")  # appended onto the torn line
    assert journal.read().retried_deliveries() == {("flow_f", "evt_b", "dest_t")}


def test_a_cancel_before_the_run_starts_stops_it(fast):
    flow, client = failing_flow(fast, "edge-cancel-first", 4)
    plan = client.plan_retry(flow=flow["id"])
    plan.cancel()  # the form's Cancel, clicked as Run starts its thread
    result = plan.run(progress=False)
    assert result.cancelled and result.summary["cancelled"] == 4
    assert not manual_retries(client, flow)
    assert plan.run(progress=False).summary["retried"] == 4  # the next run is not cancelled


def test_a_cancel_stops_one_call_per_attempt_between_calls(fast, sandbox):
    flow, client = failing_flow(fast, "edge-cancel-single", 20)
    plan = client.plan_retry(flow=flow["id"])
    with (
        sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, status=405),
        sandbox.faults(path=ONE_PATH, tenant=fast.tenant_id, latency_ms=100),
    ):
        threading.Timer(0.45, plan.cancel).start()
        cut = plan.run(progress=False, workers=1, batch_size=20, wait=False)
        assert cut.cancelled
        made = sum(manual_retries(client, flow).values())
        assert 1 <= made < 10 and cut.summary["retried"] == made and cut.summary["cancelled"] == 20 - made
        rest = plan.run(progress=False, workers=1, batch_size=20, wait=False)
    assert rest.summary["retried"] == 20 - made
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_lost_answers_not_sent_again_are_reported_cancelled_not_done(fast, sandbox):
    flow, client = failing_flow(fast, "edge-lost", 6)
    plan = client.plan_retry(flow=flow["id"])
    with sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, status=503, retry_after_seconds=0):
        with pytest.raises(ServerError):
            plan.run(progress=False, workers=1, batch_size=3)
    assert not manual_retries(client, flow)
    again = client_for(fast).plan_retry(flow=flow["id"])
    assert again.skipped().empty and again.to_retry == 6  # 3 lost, sent again by a run; 3 never sent
    again.cancel()  # stopped before it sends anything
    stopped = again.run(progress=False)
    assert stopped.summary["cancelled"] == 6 and stopped.summary["skipped"] == 0
    assert stopped.table["reason"].value_counts().to_dict() == {
        "its answer was lost and it was not sent again yet: run the plan again": 3,
        "not sent: the run was cancelled or stopped": 3,
    }
    done = client_for(fast).plan_retry(flow=flow["id"]).run(progress=False)
    assert done.summary["retried"] == 6
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_a_lost_single_call_sent_again_after_its_key_expired_is_not_made_twice(fast, sandbox, monkeypatch):
    flow, client = failing_flow(fast, "edge-expired", 3)
    plan = client.plan_retry(flow=flow["id"])
    with (
        sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, status=405),
        sandbox.faults(path=ONE_PATH, tenant=fast.tenant_id, after_commit=True, status=503, count=15),
    ):
        with pytest.raises(ServerError):  # the first call made its retry, and every answer was lost
            plan.run(progress=False, workers=1, batch_size=3, wait=False)
    assert sum(manual_retries(client, flow).values()) == 1
    now = time.time
    monkeypatch.setattr(idempotency, "clock", lambda: now() + 25 * 3600)  # a day passes: the keys expire
    with sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, status=405):
        result = client_for(fast).plan_retry(flow=flow["id"]).run(progress=False, workers=1, batch_size=3, wait=False)
    assert result.summary["retried"] == 3
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_retries_that_the_batch_answer_gives_no_id_for_are_found_by_their_delivery(fast, sandbox, monkeypatch):
    flow, client = failing_flow(fast, "edge-no-ids", 5)
    v1 = client_for(fast, ZEN_API_BASE=f"{sandbox.base_url}/v1")
    plan = v1.plan_retry(flow=flow["id"])
    fix_target(fast)
    batch = type(v1)._retry_batch

    def without_ids(self, ids, key=None):  # the vendor's documented answer: {delivery_id, status} only
        return [{**outcome, "retryAttemptId": None} for outcome in batch(self, ids, key)]

    monkeypatch.setattr(type(v1), "_retry_batch", without_ids)
    result = plan.run(progress=False)
    assert result.summary["retried"] == 5 and result.summary["succeeded"] == 5
    made = {a.id for a in client.list_attempts(flow=flow["id"]) if a.trigger == "manual"}
    assert set(result.table["retry_attempt_id"]) == made
