"""``zen_nb.delivery_metrics`` over 10,000,000 attempts of a Parquet history: DuckDB against pandas (issue 19).

    python benchmarks/metrics_duckdb.py                        # 10,000,000 attempts, 3 runs of each
    python benchmarks/metrics_duckdb.py --attempts 1000000 --repeats 1 --memory-limit 500MB

The history is written directly as Parquet, in the layout of ``zen_nb.attempts_dataset``
(``day=YYYY-MM-DD/attempts.parquet``, ``created_at`` as timestamp[us, tz=UTC]), from a seed:
30 days, 40 flows to 40 targets, deliveries of 1 to 4 attempts, failures over six reasons.

Each run is a FRESH subprocess (this script with ``--run``), so that its peak resident memory
(``ru_maxrss``) is its own: (a) ``duckdb``: ``delivery_metrics(con.read_parquet(glob,
hive_partitioning=True), by="target", freq="1D")``; (b) ``pandas``: the files read into a frame
typed as ``load_attempts()`` types it, then the same call; (c) ``duckdb-limited``: (a) after
``SET memory_limit`` (DuckDB spills to disk). The answers of all runs must be equal.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from delivery_metrics import deliveries_of

FLOWS = 40
DAYS = 30
START_US = 1_793_491_200_000_000  # 2026-11-01T00:00:00Z
RETRY_AFTER_S = np.array([0, 10, 70, 370])  # seconds from a delivery's first attempt to its n-th
REASONS = (("http", 500), ("http", 503), ("http", 429), ("http", 502), ("timeout", None), ("connection_refused", None))


def write_history(root: Path, attempts: int, seed: int = 19) -> str:
    """``attempts`` attempts as the Parquet history under ``root``, one file per UTC day; its glob."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    tries, delivery, number, last = deliveries_of(rng, attempts, [0.75, 0.15, 0.06, 0.04])
    deliveries = len(tries)
    outcome = rng.random(deliveries)  # < 0.03: never delivered; < 0.04: still pending; else delivered
    settled = outcome[delivery]
    status = np.where(last & (settled >= 0.04), "succeeded", "failed")
    status = np.where(last & (settled >= 0.03) & (settled < 0.04), "pending", status)
    reason = rng.choice(len(REASONS), size=attempts, p=[0.3, 0.2, 0.2, 0.1, 0.12, 0.08])
    failed, succeeded, pending = status == "failed", status == "succeeded", status == "pending"
    response = np.where(succeeded, 200, np.array([code or 0 for _, code in REASONS])[reason]).astype(float)
    response[(failed & (response == 0)) | pending] = np.nan
    error = np.array([None if kind == "http" else kind for kind, _ in REASONS], dtype=object)[reason]
    error[~failed] = None
    latency = np.minimum(rng.lognormal(5.0, 0.8, attempts), 30_000).round()
    latency[pending | (failed & (error == "connection_refused") & (rng.random(attempts) < 0.5))] = np.nan
    start = START_US + rng.integers(0, DAYS * 86_400_000_000, deliveries)
    moment = start[delivery] + RETRY_AFTER_S[number - 1] * 1_000_000 + rng.integers(0, 1_000_000, attempts)
    flow = rng.integers(0, FLOWS, deliveries)[delivery]
    event = rng.permutation(deliveries)[delivery]
    order = np.argsort(moment, kind="stable")
    day = (moment[order] - START_US) // 86_400_000_000
    text = pa.string()

    def ids(prefix: str, values: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pc.cast(pa.array(values), text), "")

    table = pa.table(
        {
            "id": ids("att_", np.arange(attempts)[order]),
            "flow_id": ids("flow_", flow[order]),
            "event_id": ids("evt_", event[order]),
            "target_id": ids("dest_", flow[order]),
            "attempt_number": pa.array(number[order], pa.int64()),
            "trigger": pa.array(np.where(number == 1, "initial", "automatic")[order], text),
            "status": pa.array(status[order], text),
            "response_status": pa.array(response[order], pa.float64(), from_pandas=True).cast(pa.int64()),
            "error_code": pa.array(error[order], text),
            "latency_ms": pa.array(latency[order], pa.float64(), from_pandas=True).cast(pa.int64()),
            "created_at": pa.array(moment[order], pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        }
    )
    bounds = np.searchsorted(day, np.arange(DAYS + 2))
    for number_of_day in range(DAYS + 1):
        low, high = int(bounds[number_of_day]), int(bounds[number_of_day + 1])
        if low == high:
            continue
        name = pd.Timestamp(START_US, unit="us") + pd.Timedelta(days=number_of_day)
        folder = root / f"day={name:%Y-%m-%d}"
        folder.mkdir(parents=True)
        pq.write_table(table.slice(low, high - low), folder / "attempts.parquet")
    return str(root / "day=*" / "attempts.parquet")


def read_as_loaded(root: Path) -> pd.DataFrame:
    """The history as the frame ``load_attempts()`` gives: string ids, categorical statuses, Int64, ns UTC."""
    import pyarrow.parquet as pq

    from zen_nb.frames import STRING_DTYPE
    from zen_nb.vocabulary import ATTEMPT_STATUSES, ATTEMPT_TRIGGERS

    frame = pq.read_table(root, columns=None).drop_columns(["day"]).to_pandas()
    text = {name: STRING_DTYPE for name in ("id", "flow_id", "event_id", "target_id", "error_code")}
    return frame.astype(
        {
            **text,
            "trigger": pd.CategoricalDtype(ATTEMPT_TRIGGERS),
            "status": pd.CategoricalDtype(ATTEMPT_STATUSES),
            "response_status": "Int64",
            "latency_ms": "Int64",
            "created_at": "datetime64[ns, UTC]",
        }
    )


def run_here(kind: str, root: Path, answer: Path, memory_limit: str) -> dict[str, float]:
    """One measured run in this (fresh) process: seconds, and the process's peak resident memory."""
    import duckdb

    from zen_nb.metrics import delivery_metrics

    began = time.perf_counter()
    figures: dict[str, float] = {}
    if kind == "pandas":
        frame = read_as_loaded(root)
        figures["read_s"] = time.perf_counter() - began
        table = delivery_metrics(frame, by="target", freq="1D")
    else:
        con = duckdb.connect()
        if kind == "duckdb-limited":
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET temp_directory = '{answer.parent / 'spill'}'")
        relation = con.read_parquet(str(root / "day=*" / "attempts.parquet"), hive_partitioning=True)
        table = delivery_metrics(relation, by="target", freq="1D")
    figures["seconds"] = time.perf_counter() - began
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["rows"] = len(table)
    table.to_pickle(answer)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="500MB")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--answer", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        figures = run_here(options.run, Path(options.root), Path(options.answer), options.memory_limit)
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory(prefix="zen-metrics-duckdb-") as folder:
        root = Path(folder) / "history"
        began = time.perf_counter()
        write_history(root, options.attempts)
        size = sum(path.stat().st_size for path in root.rglob("*.parquet")) / 2**20
        print(f"{options.attempts:,} attempts written in {time.perf_counter() - began:.1f} s ({size:.0f} MiB Parquet)")
        results: dict[str, list[dict[str, float]]] = {"duckdb": [], "pandas": [], "duckdb-limited": []}
        answers = []
        for repeat in range(options.repeats):
            for kind in results:
                answer = Path(folder) / f"{kind}-{repeat}.pkl"
                command = [sys.executable, __file__, "--run", kind, "--root", str(root), "--answer", str(answer)]
                command += ["--memory-limit", options.memory_limit]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                results[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
                answers.append(pd.read_pickle(answer))
                print(kind, results[kind][-1], flush=True)
        for other in answers[1:]:
            pd.testing.assert_frame_equal(other, answers[0])
        print(f"all {len(answers)} answers equal ({len(answers[0])} rows: targets × days)")
        for kind, runs in results.items():
            medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
            print(kind, "median:", json.dumps({name: round(value, 2) for name, value in medians.items()}))


if __name__ == "__main__":
    main()
