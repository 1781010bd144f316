"""zen_nb.delivery_metrics of a DuckDB relation: the very frame the pandas code gives for the same attempts.

The relations are made as a user gets them: ``con.from_df(frame)``, and the Parquet history in its
layout (``day=YYYY-MM-DD/attempts.parquet``) read with hive partitioning; filtered, on a connection
in another TimeZone. The pandas answer is the reference (tests/test_delivery_metrics.py checks it by
hand); a few hand-computed figures are checked here again, on the DuckDB answer itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import zen_nb
from tests.attempt_frames import FLOWS, HISTORY, at, attempts, create_fleet
from zen_nb.metrics import METRIC_COLUMNS, delivery_metrics
from zen_nb.sandbox.seed import DEMO_PLANE_ID

BYS = ["flow", "target", None, ["flow", "target"], "trigger", "status", ["target", "flow"]]
FREQS = [None, "1h", "1D", "15min", "W", "MS"]


#: one connection for the relations the tests make: DuckDB 1.1 (the lowest version allowed) closes a
#: connection when its Python object goes, and a relation made on it with it
CONNECTION = duckdb.connect()


def relation_of(frame: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyRelation:
    return (con or CONNECTION).from_df(frame)


def write_dataset(frame: pd.DataFrame, root: Path) -> str:
    """``frame`` as the Parquet history: one file per UTC day, ``created_at`` as timestamp[us, tz=UTC]; its glob."""
    days = frame["created_at"].dt.strftime("%Y-%m-%d")
    for day, part in frame.groupby(days):
        table = pa.Table.from_pandas(part.astype({"trigger": "string", "status": "string"}), preserve_index=False)
        table = table.set_column(
            table.schema.get_field_index("created_at"),
            "created_at",
            table["created_at"].cast(pa.timestamp("us", tz="UTC")),
        )
        (root / f"day={day}").mkdir(parents=True)
        pq.write_table(table, root / f"day={day}" / "attempts.parquet")
    return str(root / "day=*" / "attempts.parquet")


def assert_same(relation, frame: pd.DataFrame, **options) -> pd.DataFrame:
    answer = delivery_metrics(relation, **options)
    pd.testing.assert_frame_equal(answer, delivery_metrics(frame, **options))
    return answer


@pytest.mark.parametrize("freq", FREQS)
@pytest.mark.parametrize("by", BYS, ids=str)
def test_every_by_and_freq_gives_the_pandas_frame(by, freq):
    assert_same(relation_of(attempts()), attempts(), by=by, freq=freq)


def test_the_hand_computed_figures_come_out_of_duckdb():
    table = delivery_metrics(relation_of(attempts()))
    assert table.index.tolist() == ["f1", "f2", "f3"]
    f1 = table.loc["f1"]  # latencies 20 40 60 80 100 10000; times to deliver 0 5 150 s (see test_delivery_metrics)
    assert (f1["p50_ms"], f1["p95_ms"], f1["p99_ms"]) == pytest.approx((70.0, 7525.0, 9505.0))
    assert (f1["time_to_deliver_p50_s"], f1["time_to_deliver_p95_s"]) == pytest.approx((5.0, 135.5))
    assert f1["attempts_per_delivered"] == 2.0 and f1["first_attempt_success_rate"] == pytest.approx(1 / 3)
    assert table.loc["f2", "pending"] == 1 and pd.isna(table.loc["f3", "attempts_per_delivered"])
    errors = [name for name in table.columns if name.startswith("errors_")]
    reasons = ("connection_refused", "http_429", "http_500", "http_503", "timeout")
    assert errors == [f"errors_{reason}" for reason in reasons]
    hourly = delivery_metrics(relation_of(attempts()), freq="1h")  # e1's first attempt at 10:59:58 keeps it at 10
    assert hourly.loc[("f1", at("10:00:00")), "events"] == 2 and hourly.loc[("f1", at("11:00:00")), "events"] == 1


def test_an_error_code_http_500_and_a_status_500_are_one_reason():
    rows = [
        ("f1", "e1", "t1", 1, "failed", None, "http_500", 10, "10:00:00"),
        ("f1", "e2", "t1", 1, "failed", 500, None, 10, "10:00:01"),
        ("f1", "e3", "t1", 1, "failed", None, None, None, "10:00:02"),
        ("f1", "e4", "t1", 1, "failed", 502, "timeout", 10, "10:00:03"),  # the error code wins over the status
    ]
    table = assert_same(relation_of(attempts(rows)), attempts(rows))
    assert table["errors_http_500"].tolist() == [2] and table["errors_unknown"].tolist() == [1]
    assert table["errors_timeout"].tolist() == [1] and "errors_http_502" not in table.columns


def test_a_retry_after_success_and_a_window_that_cuts_a_delivery():
    rows = [
        ("f1", "e1", "t1", 1, "succeeded", 200, None, 10, "10:00:00"),
        ("f1", "e1", "t1", 2, "pending", None, None, None, "10:01:00"),
        ("f1", "e2", "t1", 2, "failed", None, "timeout", 10, "10:00:00"),
        ("f1", "e2", "t1", 3, "succeeded", 200, None, 10, "10:00:30"),
        ("f1", "e3", "t1", 1, "failed", None, "timeout", 10, "10:02:00"),
        ("f1", "e3", "t1", 2, "failed", 500, None, 10, "10:03:00"),
        ("f1", "e4", "t1", 1, "failed", 503, None, 12, "23:59:59"),
        ("f1", "e4", "t1", 2, "succeeded", 200, None, 9, "23:59:59"),
        ("f1", "e5", "t1", 1, "pending", None, None, None, "10:20:00"),  # pending, then failed: not pending
        ("f1", "e5", "t1", 2, "failed", 500, None, 10, "10:21:00"),
        ("f1", "e6", "t1", 1, "failed", 503, None, 10, "10:16:00"),  # clocks apart: #2 before #1, in another
        ("f1", "e6", "t1", 2, "failed", 503, None, 10, "10:14:00"),  # quarter hour; #1 places the delivery
    ]
    frame = attempts(rows)  # e4 fails 1 µs before midnight, and is delivered 2 µs later, the next day
    frame.loc[6, "created_at"] += pd.Timedelta(microseconds=999_999)
    frame.loc[7, "created_at"] += pd.Timedelta(microseconds=1_000_001)
    table = assert_same(relation_of(frame), frame, by=None, freq="1D")
    assert table["attempts_per_delivered"].tolist() == [pytest.approx((1 + 2 + 2) / 3)]  # e3 never delivered
    assert table["time_to_deliver_p50_s"].tolist() == [pytest.approx(2e-6)]  # 0, 2 µs, 30 s: the median
    assert table["pending"].tolist() == [0]  # e1 is delivered, whatever its retry does
    quarters = assert_same(relation_of(frame), frame, by=None, freq="15min")
    assert quarters.loc[at("10:15:00"), "events"] == 2 and quarters.loc[at("10:00:00"), "events"] == 3


def test_by_target_type_and_the_flow_names_from_the_flows():
    relation = relation_of(attempts())
    by_type = assert_same(relation, attempts(), by="target_type", flows=FLOWS)
    assert by_type.index.tolist() == ["http", "slack"] and by_type["events"].tolist() == [5, 2]
    named = assert_same(relation, attempts(), flows=FLOWS, freq="1h")
    assert named["flow"].tolist()[:2] == ["billing", "billing"] and list(named.columns[:2]) == ["flow", "events"]
    assert_same(relation, attempts(), by=["target_type", "flow"], flows=FLOWS, freq="W")
    unlisted = assert_same(relation, attempts(), by="target_type", flows=FLOWS[FLOWS["id"] != "f2"])
    assert pd.isna(unlisted.index[-1])  # a flow missing from the flows is a group of its own, last
    odd = FLOWS.assign(name=["it's", 'say "hi"', None])  # quotes travel into SQL intact
    assert_same(relation, attempts(), flows=odd)
    # the attempts' own column wins over the flows'
    own = attempts().assign(target_type="http").astype({"target_type": "string[python]"})
    assert_same(relation_of(own), own, by="target_type", flows=FLOWS)


def test_an_extra_column_and_a_filtered_relation():
    regions = {"f1": "us", "f2": "eu", "f3": "us"}
    frame = attempts().assign(region=lambda f: f["flow_id"].map(regions).astype("string[python]"))
    assert_same(relation_of(frame), frame, by=["region", "flow"], freq="1h")
    relation = relation_of(attempts()).filter("created_at >= TIMESTAMPTZ '2026-11-02 10:30:00+00'")
    kept = attempts()[attempts()["created_at"] >= at("10:30:00")].reset_index(drop=True)
    table = assert_same(relation, kept, by="target", freq="1h")
    assert table["attempts"].sum() == 8


def test_empty_relations_give_the_empty_frames():
    empty = attempts([])
    relation = relation_of(attempts()).filter("false")
    for options in [{}, {"by": None}, {"freq": "W"}, {"by": ["flow", "target"], "freq": "1h", "flows": FLOWS}]:
        table = assert_same(relation, empty, **options)
        assert table.empty and list(table.columns[-len(METRIC_COLUMNS) :]) == list(METRIC_COLUMNS)


def test_the_parquet_history_in_any_timezone_gives_the_same_answer(tmp_path):
    frame = attempts()
    late = attempts([("f9", "e9", "t9", 1, "succeeded", 200, None, 7, "23:30:00")])  # 18:30 in New York
    late["created_at"] += pd.Timedelta(days=1)
    edge = attempts([("f9", "e8", "t9", 1, "failed", 500, None, 7, "00:00:00")])  # Sunday 1 November, 0:00 UTC:
    edge["created_at"] -= pd.Timedelta(days=1)  # the first moment of a week ("W") and of a month ("MS")
    frame = pd.concat([frame, late.assign(id="att_late"), edge.assign(id="att_edge")], ignore_index=True)
    glob = write_dataset(frame, tmp_path / "history")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    relation = con.read_parquet(glob, hive_partitioning=True)
    assert "day" in relation.columns
    for options in [{"by": "target", "freq": "1D"}, {"by": None, "freq": "W"}, {"freq": "MS"}, {"by": "flow"}]:
        assert_same(relation, frame, **options)
    daily = delivery_metrics(relation, by=None, freq="1D")
    assert daily.index.tolist() == [pd.Timestamp(f"2026-11-0{day}", tz="UTC") for day in (1, 2, 3)]
    assert_same(relation.filter("day = DATE '2026-11-02'"), attempts(), by="target", freq="1h")


def test_a_simulated_month_gives_the_pandas_frame(client, tmp_path):
    create_fleet(client)
    report = client.simulate_traffic(events=400, days=30, seed=19, failure_rate=0.3, start="2026-10-01T00:00:00Z")
    frame = zen_nb.load_attempts(client, planes=DEMO_PLANE_ID, since=report["start"], until=report["end"])
    flows = zen_nb.load_flows(client)
    assert len(frame) == report["attempts"] and (frame["status"] == "failed").any()
    relation = CONNECTION.read_parquet(write_dataset(frame, tmp_path / "history"), hive_partitioning=True)
    for options in [
        {},
        {"by": "target", "freq": "1D"},
        {"by": "target_type", "flows": flows, "freq": "W"},
        {"by": None, "freq": "MS"},
        {"by": ["flow", "target"], "freq": "1h", "flows": flows},
    ]:
        assert_same(relation, frame, **options)


def test_wrong_input_gets_the_pandas_messages():
    relation = relation_of(attempts())
    with pytest.raises(ValueError, match=r"lacks the columns \['latency_ms'\]: make it with zen_nb\.attempts_dataset"):
        delivery_metrics(relation.project("* EXCLUDE (latency_ms)"))
    with pytest.raises(ValueError, match=r"by names no column of the attempts: 'flows'; it takes one of 'flow'"):
        delivery_metrics(relation, by="flows")
    with pytest.raises(ValueError, match=r"flows=zen_nb\.load_flows\(\)"):
        delivery_metrics(relation, by="target_type")
    with pytest.raises(TypeError, match="by takes a column name"):
        delivery_metrics(relation, by=[1])
    with pytest.raises(ValueError, match=r"freq is not a pandas frequency: 'hourly'; use None, '1h', '1D'"):
        delivery_metrics(relation, freq="hourly")
    with pytest.raises(ValueError, match=r"flows lacks the columns \['target_type'\]"):
        delivery_metrics(relation, flows=FLOWS.drop(columns="target_type"))
    with pytest.raises(TypeError, match=r"flows takes a DataFrame of flows"):
        delivery_metrics(relation, flows=[])


def test_the_order_of_the_rows_does_not_matter():
    forward = delivery_metrics(relation_of(attempts()), freq="1h")
    pd.testing.assert_frame_equal(forward, delivery_metrics(relation_of(attempts(HISTORY[::-1])), freq="1h"))
