"""The two exercises with prepared material: ``prepare`` over HTTP, and their checks, driven as a trainee.

``retry-the-failing-flow`` gets three flows and a week of attempts (the same week for every
trainee); ``flows-as-a-dataframe`` six flows on both planes. A second prepare adds nothing, a
deleted flow is told and put back, and the hints count, never name, what the trainee must find.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from zen_nb.exercise_catalog import PLANE_ID
from zen_nb.frames import load_attempts, load_flows
from zen_nb.sandbox.data.settings import DEFAULT_RETRY_SCHEDULE

from deliveries import ingest_ok, make_flow, wait_attempts
from exercise_trainee import Trainee
from helpers import assert_error, wait_until

RETRY = "retry-the-failing-flow"
FRAME = "flows-as-a-dataframe"
EU = "plane_prod_eu_west_1"
MAX_ATTEMPTS = len(DEFAULT_RETRY_SCHEDULE) + 1
RETRY_PREPARED = (
    f"prepared the material of '{RETRY}': 3 flows on {PLANE_ID} with a week of delivery history ending now "
    "(120 events, 162 attempts)"
)
RETRY_PASS = "✓ flow 'connect-payouts' is the failing one, and its undelivered event was retried by hand"
FRAME_PASS = "✓ all 3 flows to slack targets are paused, on 2 planes, and the 3 other flows prepared are active"
NOT_PREPARED = (
    "✗ the material of this exercise is not on your tenant\nHint: run zen_nb.exercises.prepare('{name}') first: "
    "it puts the exercise's flows on your tenant"
)
NO_RETRY_YET = (
    "✗ no attempt was retried by hand yet (no attempt with trigger 'manual')\nHint: load the week's attempts as a "
    "DataFrame (load_attempts), find the flow with the most failed attempts, then its event that no attempt "
    "delivered, and retry that event's last attempt with client.retry_attempt (recipe 07-inspect-delivery-attempts)"
)


@pytest.fixture
def trainee(new_tenant) -> Iterator[Trainee]:
    one = Trainee(new_tenant())
    yield one
    one.close()


def failing_flow_and_lost_event(attempts: pd.DataFrame) -> tuple[str, str]:
    """What the trainee works out: the flow with the most failed attempts, and its event never delivered."""
    failing = attempts[attempts.status == "failed"].groupby("flow_id").size().idxmax()
    of_flow = attempts[attempts.flow_id == failing]
    delivered = of_flow.groupby("event_id")["status"].apply(lambda statuses: (statuses == "succeeded").any())
    lost = delivered[~delivered].index
    assert len(lost) == 1
    return str(failing), str(lost[0])


def last_attempt(attempts: pd.DataFrame, event_id: str) -> str:
    return str(attempts[attempts.event_id == event_id].sort_values("attempt_number").iloc[-1]["id"])


def solve_retry(trainee: Trainee) -> str:
    """The trainee's solution; the manual attempt's id."""
    attempts = load_attempts(trainee.client)
    _, event_id = failing_flow_and_lost_event(attempts)
    return trainee.client.retry_attempt(last_attempt(attempts, event_id))["id"]


def solve_frame(trainee: Trainee) -> None:
    flows = load_flows(trainee.client, planes="all")
    for _, flow in flows[flows.target_type == "slack"].iterrows():
        trainee.client.pause_flow(flow["id"], plane=flow["plane_id"])


def comparable(attempts: pd.DataFrame, flow_names: dict[str, str]) -> list[tuple]:
    """The history without ids and times: flows by name, events by order of first appearance."""
    events: dict[str, int] = {}
    return [
        (
            flow_names[row.flow_id],
            events.setdefault(row.event_id, len(events)),
            row.target_id,
            row.attempt_number,
            row.trigger,
            row.status,
            None if pd.isna(row.response_status) else int(row.response_status),
            None if pd.isna(row.error_code) else row.error_code,
            int(row.latency_ms),
        )
        for row in attempts.itertuples()
    ]


def test_the_retry_material_is_the_same_week_for_every_trainee_ending_now(new_tenant):
    first, second = Trainee(new_tenant()), Trainee(new_tenant())
    try:
        started = datetime.now(UTC)
        assert first.prepare(RETRY) == {"exercise": RETRY, "prepared": True, "message": RETRY_PREPARED}
        assert second.prepare(RETRY)["message"] == RETRY_PREPARED
        histories = []
        for one in (first, second):
            flows = one.client.list_flows()
            assert [flow["name"] for flow in flows] == ["orders-archive", "connect-payouts", "repo-audit"]
            assert len({flow["source"] for flow in flows}) == 3
            assert {flow["target"]["type"] for flow in flows} <= {"stripe", "slack", "s3"}  # none leaves the sandbox
            assert all(flow["status"] == "active" for flow in flows)
            attempts = load_attempts(one.client)
            assert len(attempts) == 162
            assert attempts.created_at.min() >= started - timedelta(days=7, minutes=1)
            assert attempts.created_at.max() <= datetime.now(UTC)
            assert attempts.created_at.is_monotonic_increasing
            histories.append(comparable(attempts, {flow["id"]: flow["name"] for flow in flows}))
        assert histories[0] == histories[1]
        attempts = load_attempts(first.client)
        names = {flow["id"]: flow["name"] for flow in first.client.list_flows()}
        failing, lost = failing_flow_and_lost_event(attempts)
        assert names[failing] == "connect-payouts"
        failed = attempts[attempts.status == "failed"].groupby("flow_id").size()
        assert failed[failing] > 30 and all(count <= 5 for flow, count in failed.items() if flow != failing)
        lost_attempts = attempts[attempts.event_id == lost]
        assert list(lost_attempts.attempt_number) == list(range(1, MAX_ATTEMPTS + 1))  # retries ran out
        assert set(lost_attempts.status) == {"failed"}
        # Every other event of the three flows was delivered in the end.
        delivered = attempts.groupby("event_id")["status"].apply(lambda statuses: (statuses == "succeeded").any())
        assert list(delivered[~delivered].index) == [lost]
    finally:
        first.close()
        second.close()


def test_the_retry_check_tells_each_wrong_retry_then_passes(trainee):
    assert trainee.message(RETRY) == NOT_PREPARED.format(name=RETRY)
    trainee.prepare(RETRY)
    assert trainee.message(RETRY) == NO_RETRY_YET
    attempts = load_attempts(trainee.client)
    failing, lost = failing_flow_and_lost_event(attempts)

    # A retry on the trainee's own flow, not the exercise's.
    own = make_flow(trainee.api, "my-own-flow")
    ingest_ok(trainee.api)
    own_attempt = wait_attempts(trainee.api, lambda found: bool(found), flowId=own["id"])[0]
    trainee.client.retry_attempt(own_attempt["id"])
    assert trainee.message(RETRY) == (
        "✗ attempts were retried by hand, but only of flows other than the ones this exercise prepared\nHint: compare "
        "the flows' failed attempts (load_attempts, grouped by flow): the task's flow is the one whose deliveries fail"
    )
    healthy = attempts[attempts.flow_id != failing].iloc[0]
    trainee.client.retry_attempt(healthy["id"])
    assert trainee.message(RETRY) == (
        "✗ attempts were retried by hand, but only of a flow whose deliveries succeed\nHint: compare the flows' "
        "failed attempts (load_attempts, grouped by flow): the task's flow is the one whose deliveries fail"
    )
    of_failing = attempts[(attempts.flow_id == failing) & (attempts.event_id != lost) & (attempts.status == "failed")]
    trainee.client.retry_attempt(of_failing.iloc[0]["id"])
    assert trainee.message(RETRY) == (
        "✗ an attempt of the failing flow was retried by hand, but its event had been delivered already by a later "
        "automatic retry\nHint: among the failing flow's events, find the one with no succeeded attempt at all "
        "(group its attempts by event), and retry that event's last attempt"
    )
    manual = trainee.client.retry_attempt(last_attempt(attempts, lost))
    assert trainee.message(RETRY) == RETRY_PASS
    # The sandbox's engine delivers the retry: the event is delivered now, and the check still passes.
    done = wait_until(
        lambda: trainee.client.get_attempt(manual), lambda found: found["status"] != "pending", 20, "the retry ends"
    )
    assert done["status"] == "succeeded" and done["trigger"] == "manual"
    assert trainee.message(RETRY) == RETRY_PASS


def test_a_deleted_failing_flow_is_told_and_prepare_puts_it_back(trainee):
    trainee.prepare(RETRY)
    flows = {flow["name"]: flow for flow in trainee.client.list_flows()}
    trainee.client.delete_flow(flows["connect-payouts"])
    assert trainee.message(RETRY) == (
        "✗ a flow this exercise prepared was deleted (or renamed): the one whose deliveries fail\nHint: the task "
        f"retries an attempt, it deletes nothing; zen_nb.exercises.prepare('{RETRY}') puts the missing flows back "
        "(or ask your trainer to reset your tenant)"
    )
    # It comes back as it was (its id, its week of attempts): the week still has one failing flow.
    assert trainee.prepare(RETRY) == {
        "exercise": RETRY,
        "prepared": True,
        "message": f"put back the material of '{RETRY}': 1 flow on {PLANE_ID}, back to its week of delivery history",
    }
    assert trainee.client.get_flow(flows["connect-payouts"]["id"])["name"] == "connect-payouts"
    assert len(load_attempts(trainee.client)) == 162
    assert trainee.prepare(RETRY)["prepared"] is False
    assert trainee.message(RETRY) == NO_RETRY_YET
    solve_retry(trainee)
    assert trainee.message(RETRY) == RETRY_PASS

    # A material whose target the trainee deleted cannot be put back: a 409 that says to ask for a reset.
    flows = {flow["name"]: flow for flow in trainee.client.list_flows()}
    trainee.client.delete_flow(flows["connect-payouts"])
    trainee.client.delete_target("dest_stripe_staging_us_east_1")
    error = assert_error(trainee.call(RETRY, "prepare"), 409, "exercise_material_unavailable")
    assert "dest_stripe_staging_us_east_1" in error["message"] and "reset" in error["message"]


def test_prepare_twice_adds_nothing_the_second_time(trainee):
    for name in (RETRY, FRAME):
        assert trainee.prepare(name)["prepared"] is True
    flows = load_flows(trainee.client, planes="all")
    attempts = load_attempts(trainee.client, planes="all")
    for name in (RETRY, FRAME):
        assert trainee.prepare(name) == {
            "exercise": name,
            "prepared": False,
            "message": f"the material of '{name}' is on your tenant already: nothing was added",
        }
    assert load_flows(trainee.client, planes="all")["id"].tolist() == flows["id"].tolist()
    assert load_attempts(trainee.client, planes="all")["id"].tolist() == attempts["id"].tolist()
    assert trainee.prepare("create-a-flow") == {
        "exercise": "create-a-flow",
        "prepared": False,
        "message": "exercise 'create-a-flow' needs no material: it starts from your tenant as it is",
    }


def test_prepares_at_once_prepare_once(trainee):
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda: answers.append(trainee.prepare(FRAME))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer["prepared"] for answer in answers) == [False, False, False, True]
    assert len(load_flows(trainee.client, planes="all")) == 6


def test_the_dataframe_check_counts_what_is_left_and_never_names_it(trainee):
    assert trainee.message(FRAME) == NOT_PREPARED.format(name=FRAME)
    assert trainee.prepare(FRAME) == {
        "exercise": FRAME,
        "prepared": True,
        "message": f"prepared the material of '{FRAME}': 6 flows on {PLANE_ID} and {EU}",
    }
    all_flows = load_flows(trainee.client, planes="all")
    assert len(all_flows) == 6 and set(all_flows.plane_id) == {PLANE_ID, EU}
    assert (all_flows.target_type == "slack").sum() == 3
    messages = [trainee.message(FRAME)]
    assert messages[-1] == (
        "✗ 3 of 3 flows to slack targets are still active\nHint: look on every plane: load_flows(planes='all') has a "
        "target_type column"
    )
    here = load_flows(trainee.client)  # the trainee's first try: only the plane of ZEN_PLANE_ID
    for _, flow in here[here.target_type == "slack"].iterrows():
        trainee.client.pause_flow(flow["id"])
    messages.append(trainee.message(FRAME))
    assert messages[-1] == (
        "✗ 1 of 3 flows to slack targets is still active\nHint: look on every plane: load_flows(planes='all') has a "
        "target_type column"
    )
    other = all_flows[all_flows.target_type != "slack"].iloc[0]
    trainee.client.pause_flow(other["id"], plane=other["plane_id"])
    messages.append(trainee.message(FRAME))
    assert messages[-1] == (
        "✗ 1 of 3 flows to slack targets is still active; 1 flow that does not send to slack was paused too\n"
        "Hint: look on every plane: load_flows(planes='all') has a target_type column; pause only the flows whose "
        "target is a slack target, and resume the others (client.resume_flow)"
    )
    solve_frame(trainee)
    messages.append(trainee.message(FRAME))
    assert messages[-1].startswith("✗ 1 flow that does not send to slack was paused too\n")
    trainee.client.resume_flow(other["id"], plane=other["plane_id"])
    assert trainee.message(FRAME) == FRAME_PASS
    # Every flow to slack counts, the trainee's own too.
    own = trainee.client.create_flow("my-alerts", "ingester_shopify", {"id": "dest_slack_ops_alerts", "type": "slack"})
    messages.append(trainee.message(FRAME))
    assert messages[-1].startswith("✗ 1 of 4 flows to slack targets is still active\n")
    trainee.client.pause_flow(own)
    assert trainee.message(FRAME) == FRAME_PASS.replace("all 3", "all 4")
    assert not [message for message in messages for name in all_flows.name if name in message]


def test_a_deleted_dataframe_flow_is_told_and_prepare_puts_it_back(trainee):
    trainee.prepare(FRAME)
    solve_frame(trainee)
    assert trainee.message(FRAME) == FRAME_PASS
    flows = load_flows(trainee.client, planes="all")
    slack = flows[flows.target_type == "slack"].iloc[-1]
    trainee.client.delete_flow(slack["id"], plane=slack["plane_id"])  # "pause" done the wrong way
    assert trainee.message(FRAME) == (
        "✗ a flow this exercise prepared was deleted (or renamed)\nHint: the task pauses flows, it deletes none; "
        f"zen_nb.exercises.prepare('{FRAME}') puts the missing flows back (or ask your trainer to reset your tenant)"
    )
    assert trainee.prepare(FRAME) == {
        "exercise": FRAME,
        "prepared": True,
        "message": f"put back the material of '{FRAME}': 1 flow on {EU}",
    }
    assert trainee.message(FRAME).startswith("✗ 1 of 3 flows to slack targets is still active\n")
    solve_frame(trainee)
    assert trainee.message(FRAME) == FRAME_PASS


def test_one_tenants_material_and_solutions_are_not_anothers(new_tenant):
    first, second = Trainee(new_tenant()), Trainee(new_tenant())
    try:
        for name in (RETRY, FRAME):
            first.prepare(name)
        solve_retry(first)
        solve_frame(first)
        assert [first.message(name) for name in (RETRY, FRAME)] == [RETRY_PASS, FRAME_PASS]
        assert [second.message(name) for name in (RETRY, FRAME)] == [
            NOT_PREPARED.format(name=RETRY),
            NOT_PREPARED.format(name=FRAME),
        ]
        assert second.prepare(RETRY)["prepared"] is True  # the first's material does not count as the second's
        assert second.message(RETRY) == NO_RETRY_YET
        assert first.prepare(RETRY)["prepared"] is False
    finally:
        first.close()
        second.close()
