"""zen_nb.delivery_metrics: every figure against a hand computation on tests/attempt_frames.HISTORY.

The hand computations are in the comments: latency percentiles interpolate linearly between the
sorted values (position (n - 1) × q), as ``Series.quantile`` does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import zen_nb
from tests.attempt_frames import FLOWS, HISTORY, at, attempts, create_fleet
from zen_nb.metrics import METRIC_COLUMNS, delivery_metrics
from zen_nb.sandbox.seed import DEMO_PLANE_ID

ERRORS = ["errors_connection_refused", "errors_http_429", "errors_http_500", "errors_http_503", "errors_timeout"]


def row(frame: pd.DataFrame, key) -> dict:
    return frame.loc[key].to_dict()


def assert_figures(actual: dict, expected: dict) -> None:
    for name, value in expected.items():
        got = actual[name]
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got), (name, got)
        else:
            assert got == pytest.approx(value, abs=1e-9), (name, got, value)


def test_per_flow_every_figure_is_the_hand_computed_one():
    table = delivery_metrics(attempts())
    assert list(table.columns) == [*METRIC_COLUMNS, *ERRORS]  # reasons: 3 refused, then the 1s by name
    assert table.index.name == "flow_id" and table.index.tolist() == ["f1", "f2", "f3"]
    # f1: e1 fails then succeeds (5 s), e2 succeeds at once, e3 succeeds on its 3rd attempt (150 s).
    # latencies sorted: 20 40 60 80 100 10000; p50 at 2.5: 60 + .5 × 20; p95 at 4.75: 100 + .75 × 9900;
    # p99 at 4.95: 100 + .95 × 9900. Times to deliver sorted 0 5 150: p50 5, p95 at 1.9: 5 + .9 × 145.
    assert_figures(
        row(table, "f1"),
        {
            "events": 3,
            "attempts": 6,
            "first_attempt_success_rate": 1 / 3,
            "delivery_rate": 1.0,
            "pending": 0,
            "p50_ms": 70.0,
            "p95_ms": 7525.0,
            "p99_ms": 9505.0,
            "attempts_per_delivered": (2 + 1 + 3) / 3,
            "time_to_deliver_p50_s": 5.0,
            "time_to_deliver_p95_s": 135.5,
            "failed_attempts": 3,
            "errors_http_500": 1,
            "errors_http_503": 1,
            "errors_timeout": 1,
            "errors_connection_refused": 0,
        },
    )
    # f2: e1 succeeds at once; e4 fails (429), its retry pending. Latencies 200 300 (the pending has none).
    assert_figures(
        row(table, "f2"),
        {
            "events": 2,
            "attempts": 3,
            "first_attempt_success_rate": 0.5,
            "delivery_rate": 0.5,
            "pending": 1,
            "p50_ms": 250.0,
            "p95_ms": 295.0,
            "p99_ms": 299.0,
            "attempts_per_delivered": 1.0,
            "time_to_deliver_p50_s": 0.0,
            "time_to_deliver_p95_s": 0.0,
            "failed_attempts": 1,
            "errors_http_429": 1,
        },
    )
    # f3: no success at all; latencies 3 5 (one refused attempt has none); nothing delivered: NaN.
    assert_figures(
        row(table, "f3"),
        {
            "events": 2,
            "attempts": 3,
            "first_attempt_success_rate": 0.0,
            "delivery_rate": 0.0,
            "pending": 0,
            "p50_ms": 4.0,
            "p95_ms": 4.9,
            "p99_ms": 4.98,
            "attempts_per_delivered": float("nan"),
            "time_to_deliver_p50_s": float("nan"),
            "time_to_deliver_p95_s": float("nan"),
            "failed_attempts": 3,
            "errors_connection_refused": 3,
            "errors_timeout": 0,
        },
    )
    assert table[["events", "attempts", "pending", "failed_attempts", *ERRORS]].dtypes.eq("int64").all()


def test_over_everything_one_row():
    table = delivery_metrics(attempts(), by=None)
    assert len(table) == 1
    # 7 deliveries (e1 counts twice: f1 and f2), 12 attempts; first tries ok: f1 e2, f2 e1.
    # latencies sorted: 3 5 20 40 60 80 100 200 300 10000; p50 at 4.5: 70; p95 at 8.55: 300 + .55 × 9700;
    # p99 at 8.91: 300 + .91 × 9700. Delivered: 4, after 2, 1, 3, 1 attempts; times 0 0 5 150:
    # p50 at 1.5: 2.5, p95 at 2.85: 5 + .85 × 145.
    assert_figures(
        table.iloc[0].to_dict(),
        {
            "events": 7,
            "attempts": 12,
            "first_attempt_success_rate": 2 / 7,
            "delivery_rate": 4 / 7,
            "pending": 1,
            "p50_ms": 70.0,
            "p95_ms": 5635.0,
            "p99_ms": 9127.0,
            "attempts_per_delivered": 7 / 4,
            "time_to_deliver_p50_s": 2.5,
            "time_to_deliver_p95_s": 128.25,
            "failed_attempts": 7,
            "errors_connection_refused": 3,
            "errors_http_429": 1,
        },
    )


def test_hourly_buckets_hold_each_delivery_whole_in_the_hour_of_its_first_attempt():
    table = delivery_metrics(attempts(), freq="1h")
    assert table.index.names == ["flow_id", "period"]
    ten, eleven = at("10:00:00"), at("11:00:00")
    assert table.index.tolist() == [("f1", ten), ("f1", eleven), ("f2", ten), ("f3", ten), ("f3", eleven)]
    # f1 at 10: e1 (first attempt 10:59:58, its success at 11:00:03 still counted here) and e2.
    assert_figures(
        row(table, ("f1", ten)),
        {"events": 2, "attempts": 3, "first_attempt_success_rate": 0.5, "p50_ms": 40.0, "time_to_deliver_p95_s": 4.75},
    )
    # f1 at 11: e3 alone, delivered on its 3rd attempt after 150 s; latencies 60 80 10000.
    assert_figures(
        row(table, ("f1", eleven)),
        {"events": 1, "attempts": 3, "attempts_per_delivered": 3.0, "time_to_deliver_p50_s": 150.0, "p50_ms": 80.0},
    )
    assert_figures(row(table, ("f3", eleven)), {"events": 1, "attempts": 1, "delivery_rate": 0.0, "p99_ms": 5.0})
    assert table["events"].sum() == 7 and table["attempts"].sum() == 12


def test_daily_and_calendar_buckets_and_a_bad_frequency():
    daily = delivery_metrics(attempts(), by=None, freq="1D")
    assert daily.index.name == "period" and daily.index.tolist() == [pd.Timestamp("2026-11-02", tz="UTC")]
    assert daily["events"].tolist() == [7]
    monthly = delivery_metrics(attempts(), by="target", freq="MS")  # a calendar offset: month start
    assert monthly.index.tolist() == [(target, pd.Timestamp("2026-11-01", tz="UTC")) for target in ("t1", "t2", "t3")]
    with pytest.raises(ValueError, match=r"freq is not a pandas frequency: 'hourly'; use None, '1h', '1D'"):
        delivery_metrics(attempts(), freq="hourly")


def test_by_a_list_of_keys_and_by_an_extra_column():
    table = delivery_metrics(attempts(), by=["flow", "target"])
    assert table.index.names == ["flow_id", "target_id"]
    assert table.index.tolist() == [("f1", "t1"), ("f2", "t2"), ("f3", "t3")]
    assert table["events"].tolist() == [3, 2, 2]
    frame = attempts().assign(region=lambda f: np.where(f["flow_id"] == "f2", "eu", "us"))
    by_region = delivery_metrics(frame, by=["region", "flow"])
    assert by_region.index.tolist() == [("eu", "f2"), ("us", "f1"), ("us", "f3")]
    assert by_region.loc[("us", "f3"), "errors_connection_refused"] == 3
    # a column that varies within a delivery: each delivery counts in the group of its first attempt
    by_trigger = delivery_metrics(attempts(), by="trigger")
    assert by_trigger.index.tolist() == ["initial"] and by_trigger["attempts"].tolist() == [12]


def test_by_target_type_joins_the_flows_and_names_them():
    table = delivery_metrics(attempts(), by="target_type", flows=FLOWS)
    assert table.index.name == "target_type" and table.index.tolist() == ["http", "slack"]
    # http: f1 (3 delivered of 3) and f3 (0 of 2); 9 attempts, 6 failed.
    assert_figures(
        row(table, "http"),
        {"events": 5, "attempts": 9, "delivery_rate": 3 / 5, "failed_attempts": 6, "errors_connection_refused": 3},
    )
    named = delivery_metrics(attempts(), flows=FLOWS)
    assert list(named.columns[:2]) == ["flow", "events"]
    assert named["flow"].tolist() == ["billing", "alerts", "archive"]
    with pytest.raises(ValueError, match=r"flows=zen_nb\.load_flows\(\)"):
        delivery_metrics(attempts(), by="target_type")
    own = attempts().assign(target_type="http")  # the attempts' own column wins over the flows'
    assert delivery_metrics(own, by="target_type", flows=FLOWS).index.tolist() == ["http"]


def test_a_flow_missing_from_the_flows_is_its_own_group():
    table = delivery_metrics(attempts(), by="target_type", flows=FLOWS[FLOWS["id"] != "f2"])
    assert table["events"].tolist() == [5, 2] and pd.isna(table.index[-1])


def test_empty_attempts_give_an_empty_frame_with_the_columns():
    empty = attempts([])
    table = delivery_metrics(empty)
    assert table.empty and list(table.columns) == list(METRIC_COLUMNS) and table.index.name == "flow_id"
    assert table["events"].dtype == "int64" and table["p99_ms"].dtype == "float64"
    hourly = delivery_metrics(empty, by=["flow", "target"], freq="1h", flows=FLOWS)
    assert hourly.index.names == ["flow_id", "target_id", "period"] and list(hourly.columns) == [
        "flow",
        *METRIC_COLUMNS,
    ]
    assert delivery_metrics(empty, by=None).empty


def test_only_pending_or_only_failed_attempts():
    pending = attempts([("f1", "e1", "t1", 1, "pending", None, None, None, "10:00:00")])
    assert_figures(
        delivery_metrics(pending).iloc[0].to_dict(),
        {"events": 1, "attempts": 1, "pending": 1, "delivery_rate": 0.0, "p50_ms": float("nan"), "failed_attempts": 0},
    )
    assert "errors_unknown" not in delivery_metrics(pending).columns
    unknown = attempts([("f1", "e1", "t1", 1, "failed", None, None, None, "10:00:00")])  # no status, no code
    assert delivery_metrics(unknown)["errors_unknown"].tolist() == [1]


def test_wrong_input_says_what_to_pass():
    with pytest.raises(TypeError, match=r"takes a DataFrame of attempts \(zen_nb\.load_attempts\(\)\), not list"):
        delivery_metrics([])
    with pytest.raises(ValueError, match=r"lack the columns \['latency_ms'\]: load them with zen_nb\.load_attempts"):
        delivery_metrics(attempts().drop(columns="latency_ms"))
    with pytest.raises(ValueError, match=r"by names no column of the attempts: 'flows'; it takes one of 'flow'"):
        delivery_metrics(attempts(), by="flows")
    with pytest.raises(TypeError, match="by takes a column name"):
        delivery_metrics(attempts(), by=[1])
    with pytest.raises(ValueError, match=r"flows lacks the columns \['target_type'\]"):
        delivery_metrics(attempts(), flows=FLOWS.drop(columns="target_type"))


def test_the_order_of_the_rows_does_not_change_a_figure():
    forward = delivery_metrics(attempts(), by=["flow"], freq="1h")
    backward = delivery_metrics(attempts(HISTORY[::-1]), by=["flow"], freq="1h")
    pd.testing.assert_frame_equal(forward, backward)


def test_exported_from_zen_nb_lazily():
    assert zen_nb.delivery_metrics is delivery_metrics
    assert {"delivery_metrics", "delivery_issues"} <= set(zen_nb.__all__)


def naive_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-flow figures the slow, obvious way: groupby and apply, one delivery at a time."""
    rows = {}
    for flow, of_flow in frame.groupby("flow_id"):
        deliveries = []
        for _, attempts_of in of_flow.groupby(["event_id", "target_id"]):
            ordered = attempts_of.sort_values("attempt_number")
            ok = ordered[ordered["status"] == "succeeded"]
            first = ordered.iloc[0]
            deliveries.append(
                {
                    "first_ok": first["status"] == "succeeded",
                    "delivered": not ok.empty,
                    "pending": ok.empty and ordered.iloc[-1]["status"] == "pending",
                    "up_to": int((ordered["attempt_number"] <= ok["attempt_number"].min()).sum()) if len(ok) else None,
                    "seconds": (ok.iloc[0]["created_at"] - first["created_at"]).total_seconds() if len(ok) else None,
                }
            )
        one = pd.DataFrame(deliveries)
        latency = of_flow["latency_ms"].dropna().astype(float)
        delivered = one[one["delivered"]]
        rows[flow] = {
            "events": len(one),
            "attempts": len(of_flow),
            "first_attempt_success_rate": one["first_ok"].mean(),
            "delivery_rate": one["delivered"].mean(),
            "pending": int(one["pending"].sum()),
            "p50_ms": latency.quantile(0.5),
            "p95_ms": latency.quantile(0.95),
            "p99_ms": latency.quantile(0.99),
            "attempts_per_delivered": delivered["up_to"].astype(float).mean(),
            "time_to_deliver_p50_s": delivered["seconds"].astype(float).quantile(0.5),
            "time_to_deliver_p95_s": delivered["seconds"].astype(float).quantile(0.95),
            "failed_attempts": int((of_flow["status"] == "failed").sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def test_on_a_simulated_week_the_figures_are_the_naive_ones(client):
    create_fleet(client)
    report = client.simulate_traffic(events=600, days=7, seed=18, failure_rate=0.3, start="2026-10-01T00:00:00Z")
    frame = zen_nb.load_attempts(client, planes=DEMO_PLANE_ID, since=report["start"], until=report["end"])
    assert len(frame) == report["attempts"]
    table = delivery_metrics(frame)
    expected = naive_metrics(frame)
    assert table["failed_attempts"].sum() > 0
    assert table["events"].sum() == len(frame[["flow_id", "event_id", "target_id"]].drop_duplicates())
    pd.testing.assert_frame_equal(
        table[list(METRIC_COLUMNS)], expected.rename_axis("flow_id"), check_dtype=False, check_index_type=False
    )
    failed = frame[frame["status"] == "failed"]
    reasons = failed["error_code"].fillna("http_" + failed["response_status"].astype("string"))
    errors = reasons.groupby(failed["flow_id"]).value_counts().unstack(fill_value=0).add_prefix("errors_")
    pd.testing.assert_frame_equal(
        table[list(errors.columns)],
        errors.rename_axis(index="flow_id", columns=None),
        check_dtype=False,
        check_column_type=False,
    )
    daily = delivery_metrics(frame, by=None, freq="1D")
    assert len(daily) == 7 and daily["events"].sum() == table["events"].sum()


def test_a_retry_after_success_a_window_that_cuts_a_delivery_and_reasons_by_frequency():
    rows = [
        ("f1", "e1", "t1", 1, "succeeded", 200, None, 10, "10:00:00"),
        ("f1", "e1", "t1", 2, "pending", None, None, None, "10:01:00"),  # a manual retry of a delivered event
        ("f1", "e2", "t1", 2, "failed", None, "timeout", 10, "10:00:00"),  # its attempt 1 is before the window
        ("f1", "e2", "t1", 3, "succeeded", 200, None, 10, "10:00:30"),
        ("f1", "e3", "t1", 1, "failed", None, "timeout", 10, "10:02:00"),
        ("f1", "e3", "t1", 2, "failed", 500, None, 10, "10:03:00"),
    ]
    figures = delivery_metrics(attempts(rows)).iloc[0]
    assert figures["pending"] == 0  # e1 is delivered, whatever its retry does
    # first attempts in the frame: e1's #1 (ok), e2's #2 (failed), e3's #1 (failed)
    assert figures["first_attempt_success_rate"] == pytest.approx(1 / 3)
    assert figures["attempts_per_delivered"] == 1.5  # e1: 1; e2: #2 and #3
    assert figures["time_to_deliver_p95_s"] == pytest.approx(28.5)  # 0 and 30 s: 0 + .95 × 30
    errors = [name for name in figures.index if name.startswith("errors_")]
    assert errors == ["errors_timeout", "errors_http_500"]  # 2 before 1, though h sorts before t
