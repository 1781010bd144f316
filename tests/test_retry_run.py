"""Running a bulk retry plan: each planned delivery retried once, however the run is cut short.

Against the real sandbox over HTTP. Each test's journals live in its own folder. The faults are the
sandbox's own fault rules, scoped to the paths of the retry calls.
"""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from retry_helpers import BATCH_PATH, ONE_PATH, failing_flow, fix_target, manual_retries, private_journals, settled

from zen_nb import ZenError
from zen_nb import sandbox as sandbox_pkg
from zen_nb.retry_run import RESULT_COLUMNS, _Sender

from deliveries import DEADLINE, FAST, STRIPE, http_target, make_flow
from helpers import Api, client_for, set_retry_schedule, wait_until


@pytest.fixture(autouse=True)
def journals(tmp_path, monkeypatch):
    """Each test's plans keep their journals apart."""
    return private_journals(tmp_path, monkeypatch)


def test_a_run_retries_each_planned_delivery_once_and_they_are_delivered(fast):
    flow, client = failing_flow(fast, "run-once", 12)
    plan = client.plan_retry(flow=flow["id"])
    fix_target(fast)

    result = plan.run(progress=False, batch_size=5)

    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}
    assert result.summary == {
        "planned": 12,
        "retried": 12,
        "succeeded": 12,
        "still_failing": 0,
        "pending": 0,
        "skipped": 0,
        "delivered": 0,
        "not_found": 0,
        "cancelled": 0,
    }
    assert list(result.table.columns) == list(RESULT_COLUMNS)
    assert set(result.table["outcome"]) == {"retried"} and set(result.table["status"]) == {"succeeded"}
    made = {a.id: a for a in settled(client, flow) if a.trigger == "manual"}
    assert set(result.table["retry_attempt_id"]) == set(made)
    assert not result.cancelled
    assert "retried 12" in repr(result) and "succeeded" in result._repr_html_()


def test_running_again_or_planning_again_in_a_new_kernel_retries_nothing_twice(fast):
    flow, client = failing_flow(fast, "run-again", 8)  # the target stays broken: the retries fail again
    plan = client.plan_retry(flow=flow["id"])
    first = plan.run(progress=False)
    assert first.summary["retried"] == 8 and first.summary["still_failing"] == 8

    again = plan.run(progress=False)
    assert again.summary["retried"] == 0 and again.summary["skipped"] == 8
    assert set(again.table["reason"]) == {"retried by this plan"}
    assert set(again.table["status"]) == {"failed"}  # the earlier run's retries, read again

    new_kernel = client_for(fast).plan_retry(flow=flow["id"])  # a new client: nothing shared in memory
    assert new_kernel.id == plan.id
    assert new_kernel.to_retry == 0
    assert new_kernel.skipped().to_dict() == {"retried by this plan": 8}
    assert new_kernel.run(progress=False).summary["retried"] == 0
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}

    # Without its journal, the plan made again would retry them all a second time.
    new_kernel.forget()
    assert client.plan_retry(flow=flow["id"]).to_retry == 8


def test_a_cancelled_run_goes_on_where_it_stopped(fast):
    flow, client = failing_flow(fast, "run-cancel", 20)
    plan = client.plan_retry(flow=flow["id"])
    fix_target(fast)

    def cancel_after_the_first(done: int, total: int) -> None:
        plan.cancel()

    cut = plan.run(progress=False, workers=1, batch_size=5, on_progress=cancel_after_the_first)
    assert cut.cancelled
    assert cut.summary["retried"] == 5 and cut.summary["cancelled"] == 15
    assert "cancelled" in cut._repr_html_()

    rest = plan.run(progress=False, batch_size=5)
    assert rest.summary["retried"] == 15 and rest.summary["succeeded"] == 15
    assert rest.summary["skipped"] == 5
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_ctrl_c_in_the_middle_then_a_run_again_retries_each_once(fast):
    flow, client = failing_flow(fast, "run-ctrl-c", 20)
    plan = client.plan_retry(flow=flow["id"])
    calls = []

    def press_ctrl_c(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 1:
            _thread.interrupt_main()  # SIGINT's KeyboardInterrupt, in the thread that runs the plan

    with pytest.raises(KeyboardInterrupt):
        plan.run(progress=False, workers=1, batch_size=4, on_progress=press_ctrl_c)
        time.sleep(5)  # the interrupt lands in the run's wait; this only guards the test itself
    assert 4 <= sum(manual_retries(client, flow).values()) < 20

    rest = client_for(fast).plan_retry(flow=flow["id"]).run(progress=False, batch_size=4)
    assert rest.summary["retried"] + rest.summary["skipped"] == 20
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_lost_answers_and_failures_after_the_commit_retry_nothing_twice(fast, sandbox):
    flow, client = failing_flow(fast, "run-faults", 20)
    plan = client.plan_retry(flow=flow["id"])
    fix_target(fast)
    rules = [
        {"path": BATCH_PATH, "tenant": fast.tenant_id, "after_commit": True, "drop": True, "count": 2},
        # six answers lost in a row: more than urllib3's tries of one request, so the run sends it again
        {"path": BATCH_PATH, "tenant": fast.tenant_id, "after_commit": True, "status": 503, "count": 6},
    ]
    with sandbox.faults(*rules) as faults:
        result = plan.run(progress=False, workers=2, batch_size=5)
        assert faults.hits == 8
    assert result.summary["retried"] == 20 and result.summary["succeeded"] == 20
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_a_run_whose_kernel_is_killed_goes_on_in_the_next_one(fast, sandbox, journals):
    flow, client = failing_flow(fast, "run-kill", 16)  # the target stays broken: the retries fail again
    script = (
        "import sys; from zen_nb import ZenClient\n"
        f"plan = ZenClient().plan_retry(flow={flow['id']!r})\n"
        "print('planned', plan.to_retry, flush=True)\n"
        "plan.run(progress=False, workers=1, batch_size=2)\n"
    )
    env = {**os.environ, **sandbox.env(), "ZEN_NB_STATE_DIR": str(journals), "PYTHONPATH": os.pathsep.join(sys.path)}
    journal = journals / "retry-plans" / f"{client.plan_retry(flow=flow['id']).id}.jsonl"
    with sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, latency_ms=400):  # each request takes 0.4 s
        kernel = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        try:
            wait_until(
                lambda: journal.read_text().count('"kind":"sent"') if journal.exists() else 0,
                lambda sent: sent >= 3,
                DEADLINE * 2,
                "the kernel's run to send three requests",
            )
            kernel.send_signal(signal.SIGKILL)  # kill -9: no finally, no flush beyond what was written
        finally:
            kernel.kill()
            kernel.wait(timeout=30)
            kernel.stdout.close()
    cut_short = sum(manual_retries(client, flow).values())
    assert 4 <= cut_short < 16

    rest = client.plan_retry(flow=flow["id"]).run(progress=False, batch_size=2)
    assert rest.summary["retried"] + rest.summary["skipped"] == 16
    assert manual_retries(client, flow) == {
        event: 1 for event in client.plan_retry(flow=flow["id"]).deliveries["event_id"]
    }
    assert all(a.status == "failed" for a in settled(client, flow) if a.trigger == "manual")


def test_without_a_batch_call_each_attempt_is_retried_by_its_own_call(fast, sandbox):
    flow, client = failing_flow(fast, "run-no-batch", 6)
    plan = client.plan_retry(flow=flow["id"])
    fix_target(fast)
    with (
        sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, status=405) as no_batch,
        # the first call's answers lost six times in a row, after its retry was made: more than
        # urllib3's tries, so the run calls again, with the delivery's own key
        sandbox.faults(path=ONE_PATH, tenant=fast.tenant_id, after_commit=True, status=503, count=6) as lost,
    ):
        result = plan.run(progress=False, batch_size=3, workers=1)
        assert no_batch.hits == 1  # asked once, then one call per attempt
        assert lost.hits == 6
    assert result.summary["retried"] == 6 and result.summary["succeeded"] == 6
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}


def test_the_v1_form_runs_through_its_batch_retry(fast, sandbox):
    flow, client = failing_flow(fast, "run-v1", 7)
    v1 = client_for(fast, ZEN_API_BASE=f"{sandbox.base_url}/v1")
    plan = v1.plan_retry(flow=flow["id"])
    fix_target(fast)
    with sandbox.faults(path="/v1/tenants/*/retry/batch", tenant=fast.tenant_id, latency_ms=1) as batches:
        result = plan.run(progress=False, batch_size=3)
        assert batches.hits == 3  # 3 + 3 + 1
    assert result.summary["retried"] == 7 and result.summary["succeeded"] == 7
    assert manual_retries(client, flow) == {event: 1 for event in plan.deliveries["event_id"]}
    assert v1.plan_retry(flow=flow["id"]).run(progress=False).summary["retried"] == 0


def test_no_more_requests_are_in_flight_than_workers(fast, sandbox, monkeypatch):
    flow, client = failing_flow(fast, "run-bounded", 12)
    plan = client.plan_retry(flow=flow["id"])
    in_flight, most, lock = [0], [0], threading.Lock()
    send = _Sender.send

    def counted(self, *args, **kwargs):  # the real send, counted: how many run at once
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return send(self, *args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(_Sender, "send", counted)
    with sandbox.faults(path=BATCH_PATH, tenant=fast.tenant_id, latency_ms=150) as requests_made:
        plan.run(progress=False, workers=2, batch_size=2, wait=False)
        assert requests_made.hits == 6
    assert most[0] == 2


def test_the_rate_limit_is_honoured(tmp_path):
    with sandbox_pkg.start(port=0, db=":memory:", rate_limit=(4, 1)) as box:
        api = Api(box)
        set_retry_schedule(api, FAST)
        flow, client = failing_flow(api, "run-rate-limit", 10)
        time.sleep(1.1)  # the window of the calls above is over
        result = client.plan_retry(flow=flow["id"]).run(progress=False, workers=4, batch_size=1, wait=False)
        assert result.summary["retried"] == 10
        assert manual_retries(client, flow) == {event: 1 for event in result.table["event_id"]}


def test_waiting_ends_at_the_timeout_and_can_go_on(fast, hook):
    target = http_target(fast, "run-wait-hook", hook.url)
    flow = make_flow(fast, "run-wait", target, source="ingester_github")
    client = client_for(fast)
    hook.statuses = [500]
    client.ingest_event("ingester_github", {"n": 1})
    settled_now = wait_until(
        lambda: client.list_attempts(flow=flow["id"]),
        lambda attempts: len(attempts) == 4 and all(a.status == "failed" for a in attempts),
        DEADLINE,
        "four failed attempts",
    )
    assert len(settled_now) == 4
    hook.statuses, hook.delay = [200], 2.0
    result = client.plan_retry(flow=flow["id"]).run(progress=False, timeout=0.3)
    assert result.summary["pending"] == 1 and list(result.table["status"]) == ["pending"]
    assert list(result.wait(timeout=DEADLINE).table["status"]) == ["succeeded"]


def test_delivered_ones_are_sent_again_only_when_asked(fast):
    flow = make_flow(fast, "run-resend", STRIPE)
    client = client_for(fast)
    fix_target(fast, STRIPE)
    client.ingest_event("ingester_stripe", {"n": 1})
    settled(client, flow)
    wait_until(lambda: client.list_attempts(flow=flow["id"]), lambda found: len(found) == 1, DEADLINE, "a delivery")
    assert client.plan_retry(flow=flow["id"]).run(progress=False).summary["delivered"] == 1
    resend = client.plan_retry(flow=flow["id"], only_undelivered=False).run(progress=False)
    assert resend.summary["retried"] == 1 and resend.summary["succeeded"] == 1
    assert sum(manual_retries(client, flow).values()) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"workers": 0}, "workers must be a whole number from 1 to 16, not 0"),
        ({"workers": 2.5}, "workers must be a whole number from 1 to 16, not 2.5"),
        ({"batch_size": 101}, "batch_size must be a whole number from 1 to 100, not 101"),
        ({"timeout": -1}, "timeout must be a number of seconds of 0 or more, not -1"),
    ],
)
def test_bad_run_arguments_are_refused_before_anything_is_sent(fast, arguments, message):
    flow, client = failing_flow(fast, "run-bad-arguments", 1)
    plan = client.plan_retry(flow=flow["id"])
    with pytest.raises(ZenError, match=message) as raised:
        plan.run(progress=False, **arguments)
    assert raised.value.fix.startswith("Pass ")
    assert not manual_retries(client, flow)


def test_no_token_in_a_plan_its_result_or_its_journal(fast, journals):
    flow, client = failing_flow(fast, "run-no-token", 3)
    plan = client.plan_retry(flow=flow["id"])
    result = plan.run(progress=False)
    shown = [repr(plan), plan._repr_html_(), repr(result), result._repr_html_(), result.table.to_csv()]
    shown += [path.read_text() for path in Path(journals).rglob("*.jsonl")]
    assert len(shown) == 6
    for text in shown:
        assert fast.token not in text and fast.box.admin_token not in text
