"""Helpers of the local attempt history tests: a simulated month, and the history compared with load_attempts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from zen_nb.frames import ATTEMPT_COLUMNS, load_attempts
from zen_nb.history_dataset import attempts_dataset

START = "2026-01-01T00:00:00Z"


def simulated_month(client):
    """The demo plane with one flow and five days of seeded traffic from :data:`START` (retries included)."""
    client.create_flow("invoices", "ingester_stripe", "dest_stripe_prod_us_east_1")
    client.simulate_traffic(events=600, days=5, seed=7, failure_rate=0.3, start=START)
    return client


def history_frame(path: Path) -> pd.DataFrame:
    """The history as pandas, in load_attempts' order and dtypes (object text, categoricals as text)."""
    frame = attempts_dataset(path).df()
    assert frame["id"].is_unique, "one row per attempt id"
    return _comparable(frame[list(ATTEMPT_COLUMNS)])


def loaded_frame(client, since: str = START) -> pd.DataFrame:
    return _comparable(load_attempts(client, since=since))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Dtype mapping: DuckDB's object/float text and numbers vs the loader's string/Int64/category."""
    frame = frame.sort_values(["created_at", "id"]).reset_index(drop=True)
    out = {}
    for name in ATTEMPT_COLUMNS:
        column = frame[name]
        if name == "created_at":
            out[name] = pd.to_datetime(column, utc=True).astype("datetime64[ns, UTC]")
        elif name in ("attempt_number", "response_status", "latency_ms"):
            out[name] = column.astype("Int64")
        else:
            out[name] = column.astype("object").where(column.notna(), None)
    return pd.DataFrame(out)


def day_files(path: Path) -> dict[str, tuple[int, int]]:
    """Each day file's (inode, mtime_ns): unchanged when a sync leaves it alone."""
    return {p.parent.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(path.glob("day=*/*.parquet"))}
