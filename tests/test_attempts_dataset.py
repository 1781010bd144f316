"""zen_nb.attempts_dataset: the synced history as a DuckDB relation with the loader's columns and ``day``."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest
from history_helpers import START

from zen_nb.frames import ATTEMPT_COLUMNS
from zen_nb.history_dataset import attempts_dataset
from zen_nb.history_sync import sync_attempts

from helpers import client_for


@pytest.fixture
def history(api, tmp_path):
    client = client_for(api)
    client.create_flow("invoices", "ingester_stripe", "dest_stripe_prod_us_east_1")
    client.simulate_traffic(events=300, days=3, seed=5, start=START)
    sync_attempts(tmp_path, since=START, client=client, progress=False)
    return tmp_path


def test_the_relation_has_the_loader_columns_then_the_day(history):
    relation = attempts_dataset(history)
    assert relation.columns == [*ATTEMPT_COLUMNS, "day"]
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["day"] == "DATE" and types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["attempt_number"] == types["latency_ms"] == "BIGINT"
    days = relation.aggregate("day, count(*) AS n, min(created_at) AS first", "day").order("day").fetchall()
    assert [day for day, _, _ in days] == [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
    assert all(first.date() == day and first.utcoffset() == dt.timedelta(0) for day, _, first in days)


def test_a_given_connection_is_used_and_its_timezone_left_alone(history):
    con = duckdb.connect()
    con.execute("SET TimeZone='America/New_York'")
    relation = attempts_dataset(history, connection=con)
    con.execute("CREATE TABLE copied AS SELECT * FROM relation")
    assert con.execute("SELECT count(*) FROM copied").fetchall()[0][0] == len(relation.df())
    assert con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0] == "America/New_York"
    own = attempts_dataset(history)
    assert str(own.df()["created_at"].dt.tz) == "UTC"


def test_a_day_filter_reads_only_that_day(history):
    relation = attempts_dataset(history).filter("day = DATE '2026-01-02'")
    frame = relation.df()
    assert len(frame) > 0 and (frame["created_at"].dt.strftime("%Y-%m-%d") == "2026-01-02").all()


def test_each_day_file_holds_its_day_in_created_at_order_in_bounded_row_groups(history):
    for path in sorted(history.glob("day=*/attempts.parquet")):
        parquet = pq.ParquetFile(path)
        assert all(parquet.metadata.row_group(i).num_rows <= 65_536 for i in range(parquet.num_row_groups))
        table = parquet.read()
        created = table["created_at"].to_pylist()
        assert created == sorted(created) and {moment.strftime("day=%Y-%m-%d") for moment in created} == {
            path.parent.name
        }
        assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
