"""zen_nb.delivery_issues: the failure groups of tests/attempt_frames.HISTORY, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import zen_nb
from tests.attempt_frames import FLOWS, HISTORY, at, attempts
from zen_nb.metrics import ISSUE_COLUMNS, delivery_issues
from zen_nb.sandbox.seed import DEMO_PLANE_ID


def test_each_flow_target_and_reason_with_counts_times_and_whether_it_still_fails():
    issues = delivery_issues(attempts())
    assert list(issues.columns) == list(ISSUE_COLUMNS)
    # Still failing first: f3 refuses every connection (3 attempts of e5 and e6, no success ever);
    # f2's 429 at 10:30 came after its only success (10:00:01). Then, newest first, f1's failures,
    # each followed by a success of f1 (11:00:03 after the 500, 11:07:30 after the timeout and 503).
    expected = pd.DataFrame(
        {
            "flow_id": ["f3", "f2", "f1", "f1", "f1"],
            "target_id": ["t3", "t2", "t1", "t1", "t1"],
            "reason": ["connection_refused", "http_429", "http_503", "timeout", "http_500"],
            "failed_attempts": [3, 1, 1, 1, 1],
            "events": [2, 1, 1, 1, 1],
            "first_seen": [at("10:20:00"), at("10:30:00"), at("11:05:30"), at("11:05:00"), at("10:59:58")],
            "last_seen": [at("11:30:00"), at("10:30:00"), at("11:05:30"), at("11:05:00"), at("10:59:58")],
            "still_failing": [True, True, False, False, False],
        }
    )
    expected = expected.astype({"flow_id": "string[python]", "target_id": "string[python]", "reason": "string[python]"})
    expected[["first_seen", "last_seen"]] = expected[["first_seen", "last_seen"]].apply(lambda c: c.dt.as_unit("ns"))
    pd.testing.assert_frame_equal(issues, expected)


def test_a_success_on_another_flow_or_at_the_same_moment_does_not_end_an_issue():
    rows = [
        ("f1", "e1", "t1", 1, "failed", 500, None, 10, "10:00:00"),
        ("f2", "e1", "t1", 1, "succeeded", 200, None, 10, "10:05:00"),  # the same target, another flow
        ("f3", "e2", "t3", 1, "failed", 502, None, 10, "10:00:00"),
        ("f3", "e3", "t3", 1, "succeeded", 200, None, 10, "10:00:00"),  # the same moment: not after
        ("f4", "e4", "t4", 1, "failed", 503, None, 10, "10:00:00"),
        ("f4", "e5", "t4", 1, "succeeded", 200, None, 10, "10:00:01"),  # one second after: over
    ]
    issues = delivery_issues(attempts(rows))
    assert issues[["flow_id", "still_failing"]].values.tolist() == [["f1", True], ["f3", True], ["f4", False]]


def test_the_flows_add_the_name_and_target_type_after_the_reason():
    issues = delivery_issues(attempts(), flows=FLOWS)
    assert list(issues.columns) == [*ISSUE_COLUMNS[:3], "flow", "target_type", *ISSUE_COLUMNS[3:]]
    assert issues[["flow", "target_type"]].values.tolist()[:2] == [["archive", "http"], ["alerts", "slack"]]


def test_no_failure_or_no_attempt_gives_no_rows_and_the_columns():
    for frame in (attempts([]), attempts([row for row in HISTORY if row[4] != "failed"])):
        issues = delivery_issues(frame)
        assert issues.empty and list(issues.columns) == list(ISSUE_COLUMNS)
        assert issues["last_seen"].dtype == "datetime64[ns, UTC]" and issues["still_failing"].dtype == bool
    assert list(delivery_issues(attempts([]), flows=FLOWS).columns)[3:5] == ["flow", "target_type"]


def test_wrong_input_says_what_to_pass():
    with pytest.raises(TypeError, match=r"delivery_issues takes a DataFrame of attempts"):
        delivery_issues(None)
    with pytest.raises(ValueError, match=r"delivery_issues: the attempts lack the columns \['error_code'\]"):
        delivery_issues(attempts().drop(columns="error_code"))


def naive_issues(frame: pd.DataFrame) -> pd.DataFrame:
    """The groups the obvious way: a groupby, then the last success of each flow and target."""
    failed = frame[frame["status"] == "failed"].copy()
    failed["reason"] = failed["error_code"].fillna("http_" + failed["response_status"].astype("string"))
    groups = failed.groupby(["flow_id", "target_id", "reason"]).agg(
        failed_attempts=("id", "size"),
        events=("event_id", "nunique"),
        first_seen=("created_at", "min"),
        last_seen=("created_at", "max"),
    )
    ok = frame[frame["status"] == "succeeded"].groupby(["flow_id", "target_id"])["created_at"].max()
    groups = groups.reset_index()
    last_ok = [ok.get((flow, target)) for flow, target in zip(groups["flow_id"], groups["target_id"], strict=True)]
    groups["still_failing"] = [
        last is None or last <= seen for last, seen in zip(last_ok, groups["last_seen"], strict=True)
    ]
    return groups


def test_on_a_simulated_week_the_groups_are_the_naive_ones(client):
    client.create_flow("invoices", "ingester_stripe", "dest_stripe_prod_us_east_1")
    client.create_flow("orders", "ingester_shopify", "dest_http_orders_webhook")
    report = client.simulate_traffic(events=500, days=7, seed=5, failure_rate=0.3, start="2026-10-01T00:00:00Z")
    frame = zen_nb.load_attempts(client, planes=DEMO_PLANE_ID, since=report["start"], until=report["end"])
    issues = delivery_issues(frame)
    assert len(issues) > 2
    by_key = ["flow_id", "target_id", "reason"]
    pd.testing.assert_frame_equal(
        issues.sort_values(by_key, ignore_index=True),
        naive_issues(frame).sort_values(by_key, ignore_index=True),
        check_dtype=False,
    )
    assert issues["still_failing"].is_monotonic_decreasing  # True first
