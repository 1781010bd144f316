"""A sync cut short (SIGKILL, Ctrl-C) leaves a readable history, and the next one completes it;
an attempt stored as ``pending`` is updated in place once it is final."""

from __future__ import annotations

import _thread
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest
from history_helpers import START, history_frame, simulated_month

import zen_nb.history_sync as history_sync
from zen_nb.history_dataset import attempts_dataset
from zen_nb.history_state import STATE_FILE
from zen_nb.history_sync import sync_attempts

from deliveries import DEADLINE, STRIPE, http_target, ingest_ok, make_flow, settled, wait_attempts
from fault_helpers import add_fault, clear_faults
from helpers import client_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def month(api):
    return simulated_month(client_for(api))


def uninterrupted(client, folder: Path) -> pd.DataFrame:
    sync_attempts(folder, since=START, client=client, progress=False)
    return history_frame(folder)


def assert_readable(folder: Path) -> None:
    """pyarrow and DuckDB open the folder as it is; no hidden temp file is a part of it."""
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    assert all("/." not in name for name in dataset.files)
    assert dataset.to_table().num_rows == len(attempts_dataset(folder).df())
    duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/day=*/*.parquet')").fetchall()


def test_a_sync_killed_in_the_middle_then_run_again_gives_the_rows_of_an_uninterrupted_one(month, api, tmp_path):
    expected = uninterrupted(month, tmp_path / "whole")
    add_fault(api, path="/tenants/*/clusters/*/delivery-attempts", methods=["GET"], latencyMs=150)
    killed = tmp_path / "killed"
    script = textwrap.dedent(
        f"""
        import zen_nb.history_sync as history_sync
        history_sync.BATCH_ROWS = 150
        history_sync.sync_attempts({str(killed)!r}, since={START!r}, progress=False)
        """
    )
    env = {**os.environ, **api.box.env(), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + DEADLINE * 3
        while time.monotonic() < deadline and len(list(killed.glob("day=*/attempts.parquet"))) < 2:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        clear_faults(api)
    assert process.returncode == -signal.SIGKILL
    days = len(list(killed.glob("day=*/attempts.parquet")))
    assert 2 <= days < 5, "the sync was killed in the middle"
    state = json.loads((killed / STATE_FILE).read_text())
    assert state["complete_through"] < "2026-01-05"
    half_written = killed / "day=2026-01-01" / ".attempts.parquet.99999.tmp"
    half_written.write_bytes(b"PAR1 half a file")  # what a kill in the middle of a write leaves
    assert_readable(killed)
    result = sync_attempts(killed, client=month, progress=False)
    assert result.added > 0
    assert not list(killed.glob("day=*/.*")), "the next sync removes the temp files left behind"
    pd.testing.assert_frame_equal(history_frame(killed), expected)


def test_ctrl_c_in_the_middle_then_a_sync_again_gives_the_same_rows(month, tmp_path, monkeypatch):
    expected = uninterrupted(month, tmp_path / "whole")
    monkeypatch.setattr(history_sync, "BATCH_ROWS", 150)
    real_merge, merged = history_sync.merge_day, []

    def merge_then_interrupt(*args):
        answer = real_merge(*args)
        merged.append(args[1])
        if len(merged) == 2:
            _thread.interrupt_main()  # what Ctrl-C does in a kernel
        return answer

    monkeypatch.setattr(history_sync, "merge_day", merge_then_interrupt)
    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        sync_attempts(cut, since=START, client=month, progress=False)
        time.sleep(1)  # the interrupt lands at the latest here: the sync must not have finished
    monkeypatch.setattr(history_sync, "merge_day", real_merge)
    assert_readable(cut)
    assert len(history_frame(cut)) < len(expected)
    sync_attempts(cut, since=START, client=month, progress=False)
    pd.testing.assert_frame_equal(history_frame(cut), expected)


def test_an_attempt_stored_as_pending_is_updated_not_doubled(fast, hook, tmp_path):
    """The pending attempt is older than the last one read and outside ``lookback``: only
    ``oldest_pending`` brings it back into the re-read window."""
    api = fast
    hook.statuses, hook.delay, hook.gate = [201], 0.2, threading.Event()
    make_flow(api, "hook-flow", http_target(api, "hook-target", hook.url))
    make_flow(api, "quick-flow", STRIPE, source="ingester_github")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    client = client_for(api)
    ingest_ok(api, {"type": "invoice.paid"})
    assert hook.arrived.wait(DEADLINE), "the hook server got no request"
    time.sleep(0.01)
    ingest_ok(api, {"type": "push"}, ingester="ingester_github")  # a later attempt, final at once
    wait_attempts(api, lambda found: len(found) == 2 and found[-1]["status"] != "pending")
    first = sync_attempts(tmp_path, since=today, client=client, progress=False)
    stored = history_frame(tmp_path)
    assert first.added == 2 and stored["status"].tolist()[0] == "pending"
    assert json.loads((tmp_path / STATE_FILE).read_text())["oldest_pending"] is not None
    hook.gate.set()
    wait_attempts(api, settled(2))
    second = sync_attempts(tmp_path, client=client, lookback=timedelta(0), progress=False)
    final = history_frame(tmp_path)
    assert (second.added, second.updated) == (0, 1)
    assert final["id"].tolist() == stored["id"].tolist()
    assert final["status"].tolist()[0] == "succeeded" and final["latency_ms"].iloc[0] >= 200
    assert final["response_status"].tolist()[0] == 201
    assert json.loads((tmp_path / STATE_FILE).read_text())["oldest_pending"] is None
