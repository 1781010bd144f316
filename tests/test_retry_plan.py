"""A bulk retry's plan: what it would retry, why it skips the rest, and that making it changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from retry_helpers import ATTEMPTS_EACH, failing_flow, fix_target, private_journals

from zen_nb import ZenError
from zen_nb.retry_plan import PLAN_COLUMNS

from deliveries import DEADLINE, STRIPE_STAGING, http_target, make_flow
from helpers import client_for, wait_until


@pytest.fixture(autouse=True)
def journals(tmp_path, monkeypatch):
    """Each test's plans keep their journals apart."""
    private_journals(tmp_path, monkeypatch)


def test_a_plan_lists_every_undelivered_delivery_and_changes_nothing(fast):
    flow, client = failing_flow(fast, "plan-nothing-changes", 6)
    before = [dict(a) for a in client.list_attempts()]

    plan = client.plan_retry(flow=flow["id"])

    assert [dict(a) for a in client.list_attempts()] == before  # no attempt made, none changed
    assert list(plan.deliveries.columns) == list(PLAN_COLUMNS)
    assert plan.to_retry == len(plan) == 6
    assert set(plan.deliveries["action"]) == {"retry"}
    assert (plan.deliveries["attempt_number"] == ATTEMPTS_EACH).all()  # the latest attempt of each
    assert (plan.deliveries["attempts"] == ATTEMPTS_EACH).all()
    latest = {a.id for a in client.list_attempts(flow=flow["id"]) if a.attempt_number == ATTEMPTS_EACH}
    assert set(plan.deliveries["attempt_id"]) == latest
    assert plan.summary.loc[(flow["id"], STRIPE_STAGING[0])].to_dict() == {
        "events": 6,
        "attempts": 6 * ATTEMPTS_EACH,
        "to_retry": 6,
        "skipped": 0,
    }
    assert len(plan.sample(4)) == 4
    assert plan.id.startswith("rp_") and len(plan.id) == 19
    assert repr(plan) == f"<RetryPlan {plan.id}: 6 to retry of 6 deliveries>"
    assert "6 of 6 deliveries to retry" in plan._repr_html_()


def test_delivered_and_pending_deliveries_are_skipped_with_their_reason(fast, hook):
    flow, client = failing_flow(fast, "plan-reasons", 3)
    target = http_target(fast, "plan-reasons-hook", hook.url)
    good = make_flow(fast, "plan-reasons-good", target, source="ingester_github")
    client.ingest_event("ingester_github", {"n": "delivered"})
    wait_until(
        lambda: client.list_attempts(flow=good["id"]),
        lambda attempts: len(attempts) == 1 and attempts[0].status == "succeeded",
        DEADLINE,
        "the good flow's delivery",
    )
    hook.delay = 3.0  # the next attempt stays pending while the plans are made
    client.ingest_event("ingester_github", {"n": "pending"})
    wait_until(
        lambda: client.list_attempts(flow=good["id"], status="pending"),
        lambda found: len(found) == 1,
        DEADLINE,
        "pending",
    )

    delivered_too = client.plan_retry(flow=good["id"])
    assert delivered_too.to_retry == 0
    assert delivered_too.skipped().to_dict() == {"delivered": 1, "pending": 1}

    again = client.plan_retry(flow=good["id"], only_undelivered=False)
    assert again.to_retry == 1  # delivered, sent again on demand; the pending one still waits
    assert again.skipped().to_dict() == {"pending": 1}
    assert again.id != delivered_too.id
    assert client.plan_retry(flow=flow["id"]).to_retry == 3


def test_the_window_picks_deliveries_but_judges_them_on_every_later_attempt(fast):
    flow, client = failing_flow(fast, "plan-window", 4)
    attempts = sorted(client.list_attempts(flow=flow["id"]), key=lambda a: a.created_at)
    first = pd.Timestamp(attempts[0].created_at)
    last = pd.Timestamp(attempts[-1].created_at)

    assert client.plan_retry(flow=flow["id"], since=last + timedelta(seconds=1)).to_retry == 0
    assert client.plan_retry(flow=flow["id"], until=first).to_retry == 0
    whole = client.plan_retry(flow=flow["id"], since=first, until=last + timedelta(milliseconds=1))
    assert whole.to_retry == 4

    # One delivery succeeds after the window: it is delivered, not to retry.
    fix_target(fast)
    one = whole.deliveries["attempt_id"].iloc[0]
    client.retry_attempt(one)
    wait_until(
        lambda: client.list_attempts(flow=flow["id"], status="succeeded"),
        lambda found: len(found) == 1,
        DEADLINE,
        "the hand retry to succeed",
    )
    later = client.plan_retry(flow=flow["id"], since=first, until=last + timedelta(milliseconds=1), name="later")
    assert later.to_retry == 3
    assert later.skipped().to_dict() == {"delivered": 1}


def test_the_same_arguments_make_the_same_plan_and_a_name_another(fast):
    flow, client = failing_flow(fast, "plan-ids", 1)
    other_client = client_for(fast)
    first = client.plan_retry(flow=flow["id"], since="2026-01-01")
    assert other_client.plan_retry(flow=flow["id"], since="2026-01-01T00:00:00Z").id == first.id
    assert client.plan_retry(flow=flow["id"], since="2026-01-01", name="second").id != first.id
    assert client.plan_retry(flow=flow["id"]).id != first.id


@pytest.mark.parametrize(
    ("arguments", "message", "fix"),
    [
        (
            {"since": "2026-12-02", "until": "2026-12-01"},
            "until (2026-12-01T00:00:00Z) must be later than since",
            "since=",
        ),
        ({"since": "2026-12-01", "until": "2026-12-01"}, "must be later than since", "until="),
        ({"source": "dead"}, "source must be 'attempts' or 'dlq', not 'dead'", "source='dlq'"),
        ({"name": 7}, "name must be a string, not int", "name="),
        ({"since": "yesterday"}, "since: 'yesterday' is not an ISO 8601 timestamp", "2024-01-15"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_read(client, arguments, message, fix):
    with pytest.raises(ZenError) as raised:
        client.plan_retry(**arguments)
    assert message in str(raised.value)
    assert fix in raised.value.fix


def test_the_v1_form_plans_the_same_deliveries(fast, sandbox):
    flow, client = failing_flow(fast, "plan-v1", 3)
    v1 = client_for(fast, ZEN_API_BASE=f"{sandbox.base_url}/v1")
    recipe_plan, v1_plan = client.plan_retry(flow=flow["id"]), v1.plan_retry(flow=flow["id"])
    columns = ["flow_id", "event_id", "target_id", "attempt_id", "attempt_number", "status", "attempts", "action"]
    pd.testing.assert_frame_equal(
        recipe_plan.deliveries[columns].sort_values("event_id", ignore_index=True),
        v1_plan.deliveries[columns].sort_values("event_id", ignore_index=True),
    )
    assert v1_plan.id != recipe_plan.id  # another service (its base), so another journal


def test_an_empty_plan_reads_well(client):
    plan = client.plan_retry(flow="flow_nothing_here_at_all0")
    assert len(plan) == 0 and plan.to_retry == 0
    assert list(plan.deliveries.columns) == list(PLAN_COLUMNS)
    assert plan.summary.empty and plan.sample().empty
    assert "0 of 0 deliveries to retry" in plan._repr_html_()
    result = plan.run(progress=False)
    assert result.summary["retried"] == 0 and result.table.empty
