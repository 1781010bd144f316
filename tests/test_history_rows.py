"""zen_nb.history_files' Arrow rows: timestamps, rounding, field names, days, and which read of an id wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zen_nb.errors import ZenError
from zen_nb.frames import ATTEMPT_COLUMNS, ATTEMPT_FIELDS
from zen_nb.history_files import DAY_FILE, attempt_table, merge_day, split_by_day


def attempt(number: int, created: str, **fields) -> dict:
    base = dict.fromkeys(ATTEMPT_FIELDS)
    base.update(id=f"att_{number}", flowId="flow_1", eventId=f"evt_{number}", targetId="t", attemptNumber=1)
    base.update(trigger="initial", status="succeeded", responseStatus=200, latencyMs=12, createdAt=created)
    return {**base, **fields}


def test_timestamps_with_an_offset_no_zone_or_nanoseconds_are_utc_microseconds():
    texts = [
        "2026-01-01T01:30:00+01:00",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.123456789Z",
        "2026-01-01T00:00:00z",
    ]
    table = attempt_table([attempt(i, text) for i, text in enumerate(texts)])
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    moments = [m.replace(tzinfo=UTC) for m in table["created_at"].to_pylist()]
    assert moments == [
        datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    ]


def test_float_numbers_are_rounded_half_to_even_and_nulls_kept():
    rows = [
        attempt(1, "2026-01-01T00:00:00Z", latencyMs=12.5, responseStatus=None),
        attempt(2, "2026-01-01T00:00:01Z", latencyMs=13.5),
    ]
    rows.append(attempt(3, "2026-01-01T00:00:02Z", latencyMs=12.6, attemptNumber=2.0))
    table = attempt_table(rows)
    assert table["latency_ms"].to_pylist() == [12, 14, 13]
    assert table["response_status"].to_pylist() == [None, 200, 200]
    assert table["attempt_number"].to_pylist() == [1, 1, 2]


def test_snake_case_fields_and_a_missing_field_are_read():
    snake = {
        column: value
        for column, value in zip(ATTEMPT_COLUMNS, attempt(1, "2026-01-01T00:00:00Z").values(), strict=True)
    }
    del snake["error_code"]
    table = attempt_table([snake])
    assert table.to_pylist()[0]["id"] == "att_1" and table["error_code"].to_pylist() == [None]


def test_a_missing_created_at_is_a_clear_error():
    with pytest.raises(ZenError, match="no createdAt"):
        attempt_table([attempt(1, None)])


def test_a_page_splits_by_utc_day():
    table = attempt_table(
        [
            attempt(1, "2026-01-01T23:59:59Z"),
            attempt(2, "2026-01-02T00:30:00+01:00"),
            attempt(3, "2026-01-02T00:00:00Z"),
        ]
    )
    days = split_by_day(table)
    assert {day: rows["id"].to_pylist() for day, rows in days.items()} == {
        "2026-01-01": ["att_1", "att_2"],
        "2026-01-02": ["att_3"],
    }


def test_the_last_read_of_an_id_wins_and_only_changed_rows_count_as_updated(tmp_path):
    day = "2026-01-01"
    first = attempt_table([attempt(i, f"2026-01-01T00:00:0{i}Z", status="pending") for i in range(3)])
    assert merge_day(tmp_path, day, [first]) == (3, 0)
    again = attempt_table([attempt(0, "2026-01-01T00:00:00Z", status="pending"), attempt(1, "2026-01-01T00:00:01Z")])
    twice = attempt_table([attempt(1, "2026-01-01T00:00:01Z", latencyMs=40), attempt(5, "2026-01-01T00:00:05Z")])
    assert merge_day(tmp_path, day, [again, twice]) == (1, 1)  # att_1 changed (read twice: the last wins), att_5 new
    stored = pq.read_table(tmp_path / f"day={day}" / DAY_FILE).to_pylist()
    assert [(row["id"], row["status"], row["latency_ms"]) for row in stored] == [
        ("att_0", "pending", 12),
        ("att_1", "succeeded", 40),
        ("att_2", "pending", 12),
        ("att_5", "succeeded", 12),
    ]
    assert merge_day(tmp_path, day, [again.slice(0, 1)]) == (0, 0)  # same row again: nothing changed
