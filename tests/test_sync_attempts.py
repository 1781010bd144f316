"""zen_nb.sync_attempts against the real sandbox: the history equals load_attempts, and syncs are incremental."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pyarrow.dataset as ds
import pytest
from history_helpers import START, day_files, history_frame, loaded_frame, simulated_month

from zen_nb.errors import FormNotSupported, ZenError
from zen_nb.history_dataset import attempts_dataset
from zen_nb.history_state import STATE_FILE, sync_lock
from zen_nb.history_sync import SyncResult, sync_attempts

from fault_helpers import add_fault, clear_faults, rule_now
from helpers import client_for


@pytest.fixture
def month(api):
    return simulated_month(client_for(api))


def test_a_first_sync_is_load_attempts_row_for_row(month, tmp_path):
    result = sync_attempts(tmp_path / "h", since=START, client=month, progress=False)
    expected = loaded_frame(month)
    assert isinstance(result, SyncResult)
    assert result.fetched == result.added == len(expected) > 600
    assert result.updated == 0 and result.days_written == 5
    pd.testing.assert_frame_equal(history_frame(tmp_path / "h"), expected)
    assert repr(result).startswith(f"Synced {len(expected):,} attempts ({len(expected):,} new, 0 updated) into 5 day")


def test_a_second_sync_right_away_adds_nothing_and_rewrites_no_file(month, tmp_path):
    sync_attempts(tmp_path, since=START, client=month, progress=False)
    before = day_files(tmp_path)
    again = sync_attempts(tmp_path, client=month, progress=False)
    assert (again.added, again.updated, again.days_written) == (0, 0, 0)
    assert day_files(tmp_path) == before
    assert again.fetched < 200  # only the lookback window and the pending ones are read again


def test_new_traffic_then_a_sync_adds_only_the_new_rows(month, tmp_path):
    sync_attempts(tmp_path, since=START, client=month, progress=False)
    before = day_files(tmp_path)
    before_rows = history_frame(tmp_path)
    month.simulate_traffic(events=100, days=1, seed=8, start="2026-01-07T00:00:00Z")
    result = sync_attempts(tmp_path, client=month, progress=False)
    expected = loaded_frame(month)
    assert result.added == len(expected) - len(before_rows) and result.updated == 0
    assert result.days_written == 1 and set(day_files(tmp_path)) - set(before) == {"day=2026-01-07"}
    assert {k: v for k, v in day_files(tmp_path).items() if k in before} == before
    pd.testing.assert_frame_equal(history_frame(tmp_path), expected)


def test_an_earlier_since_backfills(month, tmp_path):
    sync_attempts(tmp_path, since="2026-01-03", client=month, progress=False)
    assert min(day_files(tmp_path)) == "day=2026-01-03"
    result = sync_attempts(tmp_path, since=START, client=month, progress=False)
    assert result.added > 0
    pd.testing.assert_frame_equal(history_frame(tmp_path), loaded_frame(month))
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["since"] == START


def test_faults_on_the_list_give_the_same_rows(month, api, tmp_path):
    rule = add_fault(api, path="/tenants/*/clusters/*/delivery-attempts", methods=["GET"], status=503, count=3)
    try:
        sync_attempts(tmp_path, since=START, client=month, progress=False)
    finally:
        hits = rule_now(api, rule["id"])
        clear_faults(api)
    assert hits["hits"] == 3, hits
    pd.testing.assert_frame_equal(history_frame(tmp_path), loaded_frame(month))


def test_another_tenants_folder_is_refused(month, api, new_tenant, tmp_path):
    sync_attempts(tmp_path, since=START, client=month, progress=False)
    other = new_tenant()
    other_client = client_for(api, ZEN_API_TOKEN=other.token, ZEN_TENANT_ID=other.tenant_id)
    with pytest.raises(ZenError, match=f"not of .*tenant {other.tenant_id}") as caught:
        sync_attempts(tmp_path, client=other_client, progress=False)
    assert "another folder" in caught.value.fix
    with pytest.raises(ZenError, match="plane plane_other"):
        sync_attempts(tmp_path, client=month, plane="plane_other", progress=False)


def test_a_sync_while_another_runs_is_refused(month, tmp_path):
    with sync_lock(tmp_path), pytest.raises(ZenError, match="another sync is writing"):
        sync_attempts(tmp_path, since=START, client=month, progress=False)
    sync_attempts(tmp_path, since=START, client=month, progress=False)  # released with the first


def test_the_state_names_the_source_never_the_token(month, api, tmp_path):
    sync_attempts(tmp_path, since=START, client=month, progress=False)
    text = (tmp_path / STATE_FILE).read_text()
    assert api.box.token not in text
    state = json.loads(text)
    assert (state["api_base"], state["tenant_id"]) == (month.config.api_base, month.config.tenant_id)
    assert state["complete_through"] > START


def test_pandas_and_pyarrow_read_the_folder(month, tmp_path):
    result = sync_attempts(tmp_path, since=START, client=month, progress=False)
    assert len(pd.read_parquet(tmp_path)) == result.added
    dataset = ds.dataset(tmp_path, format="parquet", partitioning="hive")
    assert dataset.count_rows() == result.added
    assert dataset.schema.field("created_at").type.tz == "UTC"


def test_a_first_sync_without_since_says_what_to_pass(month, tmp_path):
    with pytest.raises(ZenError, match="first sync needs a start") as caught:
        sync_attempts(tmp_path, client=month, progress=False)
    assert "since=" in caught.value.fix
    with pytest.raises(ValueError, match="lookback must be 0 or more"):
        sync_attempts(tmp_path, since=START, client=month, lookback=timedelta(minutes=-1))
    with pytest.raises(TypeError, match="lookback must be a timedelta"):
        sync_attempts(tmp_path, since=START, client=month, lookback=600)


def test_a_history_written_behind_the_sync_comes_in_with_a_full_refresh(month, tmp_path):
    """Attempts created before the last sync's end (less the lookback) are not looked for again, so a
    simulated past written after a sync stays out, until ``full_refresh=True`` reads it all again."""
    sync_attempts(tmp_path, since=START, client=month, progress=False)
    month.simulate_traffic(events=80, days=2, seed=9, start="2026-01-02T00:00:00Z")  # inside the synced days
    quiet = sync_attempts(tmp_path, client=month, progress=False)
    assert quiet.added == 0
    had = len(history_frame(tmp_path))
    full = sync_attempts(tmp_path, client=month, full_refresh=True, progress=False)
    expected = loaded_frame(month)
    assert full.added == len(expected) - had > 0 and full.updated == 0
    pd.testing.assert_frame_equal(history_frame(tmp_path), expected)


def test_the_v1_form_is_refused_with_the_recipe_form_as_the_fix(api, tmp_path):
    v1 = client_for(api, ZEN_API_BASE=f"{api.box.base_url}/v1")
    with pytest.raises(FormNotSupported, match="lists newest first") as caught:
        sync_attempts(tmp_path / "h", since=START, client=v1, progress=False)
    assert "dialect='recipe'" in caught.value.fix and not (tmp_path / "h").exists()


def test_an_empty_or_missing_history(month, tmp_path):
    with pytest.raises(ZenError, match="no history at"):
        attempts_dataset(tmp_path / "nothing")
    sync_attempts(tmp_path, since="2030-01-01", client=month, progress=False)
    empty = attempts_dataset(tmp_path)
    assert empty.df().empty and empty.columns[-1] == "day"


def test_a_long_sync_shows_a_bar_and_a_closing_line_only_when_asked(month, tmp_path, capfd):
    sync_attempts(tmp_path / "quiet", since=START, client=month, progress=False)
    assert capfd.readouterr() == ("", "")
    result = sync_attempts(tmp_path / "shown", since=START, client=month, progress=True)
    shown = capfd.readouterr()
    assert "Loading attempts" in shown.err and f"Loaded {result.fetched:,} attempts" in shown.out
    assert result._repr_html_() == f"<p>{repr(result)}</p>"
