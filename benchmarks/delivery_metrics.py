"""``zen_nb.delivery_metrics`` over 1,000,000 synthetic attempts: goal under 1 s on this machine (issue 18).

    python benchmarks/delivery_metrics.py                 # 1,000,000 attempts, 5 timed runs
    python benchmarks/delivery_metrics.py --attempts 100000 --repeats 1

The frame has the columns and dtypes of ``load_attempts()`` (ids and ``error_code`` as
``string``, ``status`` and ``trigger`` categoricals, ``Int64`` statuses and latencies,
``datetime64[ns, UTC]``), built in memory from a seed: no sandbox, since what is timed is the
pandas and numpy work alone. The history looks like a week of a busy tenant: 40 flows to 40
targets, each event fanned out to two flows, 80 % of deliveries done on the first attempt, up to
6 attempts, about 3 % never delivered, 0.5 % still pending, failures spread over six reasons.

Each timed run gets a frame of its own, built afresh (untimed), so no run profits from the
string hashes Python cached in the one before: a user calls the function once on a new load.
Timed: ``delivery_metrics(frame)`` (by flow, the default; the goal), ``delivery_metrics(frame,
by="target", freq="1h")`` and ``delivery_issues(frame)``. Medians, wall and CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
import pandas as pd

GOAL_S = 1.0
FLOWS = 40
REASONS = (("http", 500), ("http", 503), ("http", 429), ("http", 502), ("timeout", None), ("connection_refused", None))
_STRING = "string[python]"


def deliveries_of(rng: np.random.Generator, attempts: int, shares: list[float]) -> tuple[np.ndarray, ...]:
    """Exactly ``attempts`` rows cut into deliveries of 1, 2, ... tries (``shares`` of them each):
    each delivery's tries, each row's delivery and attempt number, and whether it is its last."""
    tries = rng.choice(np.arange(1, len(shares) + 1), size=attempts, p=shares)
    deliveries = int(np.searchsorted(np.cumsum(tries), attempts)) + 1
    tries = tries[:deliveries]
    tries[-1] -= int(tries.sum()) - attempts  # exactly `attempts` rows
    delivery = np.repeat(np.arange(deliveries), tries)
    number = np.arange(attempts) - np.repeat(np.cumsum(tries) - tries, tries) + 1
    return tries, delivery, number, number == tries[delivery]


def synthetic(attempts: int, seed: int = 18) -> pd.DataFrame:
    """``attempts`` attempts shaped as ``load_attempts()`` answers them, oldest first."""
    rng = np.random.default_rng(seed)
    tries, delivery, number, last = deliveries_of(rng, attempts, [0.8, 0.12, 0.04, 0.02, 0.01, 0.01])
    deliveries = len(tries)
    flow = rng.integers(0, FLOWS, deliveries)
    flow[1::2] = (
        flow[0::2][: len(flow[1::2])] + rng.integers(1, FLOWS, len(flow[1::2]))
    ) % FLOWS  # an event's 2nd flow
    start = rng.integers(0, 7 * 86_400_000, deliveries) + 1_795_000_000_000  # ms, a week in Nov 2026
    offset_ms = np.array([0, 5_000, 35_000, 155_000, 755_000, 2_555_000])[number - 1]
    outcome = rng.random(deliveries)  # < 0.03: never delivered, < 0.035: still pending, else delivered
    status = np.where(last & (outcome[delivery] >= 0.035), "succeeded", "failed")
    status = np.where(last & (outcome[delivery] >= 0.03) & (outcome[delivery] < 0.035), "pending", status)
    reason = rng.integers(0, len(REASONS), attempts)
    failed, succeeded = status == "failed", status == "succeeded"
    response = np.where(succeeded, 200, np.array([code or 0 for _, code in REASONS])[reason])
    error = np.array([None if kind == "http" else kind for kind, _ in REASONS], dtype=object)[reason]
    latency = np.minimum(rng.lognormal(5.0, 0.8, attempts).astype(np.int64), 10_000)
    pending = status == "pending"
    moment = start[delivery] + offset_ms
    order = np.argsort(moment, kind="stable")  # oldest first, as the service lists them
    flow, delivery, number, status, moment = (
        flow[delivery][order],
        delivery[order],
        number[order],
        status[order],
        moment[order],
    )
    failed, pending, response, error, latency = (
        failed[order],
        pending[order],
        response[order],
        error[order],
        latency[order],
    )
    # the strings are made in row order, as load_attempts makes them page by page: the same memory layout
    return pd.DataFrame(
        {
            "id": pd.array([f"att_{i:012x}" for i in range(attempts)], dtype=_STRING),
            "flow_id": pd.array([f"flow_{i:04d}" for i in flow], dtype=_STRING),
            "event_id": pd.array([f"evt_{i // 2:012x}" for i in delivery], dtype=_STRING),  # two flows per event
            "target_id": pd.array([f"dest_{i:04d}" for i in flow], dtype=_STRING),
            "attempt_number": number.astype(np.int64),
            "trigger": pd.Categorical(np.where(number == 1, "initial", "automatic")),
            "status": pd.Categorical(status, categories=["failed", "pending", "succeeded"]),
            "response_status": pd.array(np.where(pending | (failed & (response == 0)), None, response), "Int64"),
            "error_code": pd.array(np.where(failed, error, None), dtype=_STRING),
            "latency_ms": pd.array(np.where(pending, None, latency), dtype="Int64"),
            "created_at": pd.to_datetime(moment, unit="ms", utc=True).as_unit("ns"),
        }
    )


def _timed(call) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(attempts: int = 1_000_000, repeats: int = 5) -> dict[str, float]:
    """Medians of ``repeats`` runs of each call, each on a frame of its own: wall and CPU seconds."""
    import zen_nb

    calls = {
        "by_flow": lambda frame: zen_nb.delivery_metrics(frame),
        "by_target_hourly": lambda frame: zen_nb.delivery_metrics(frame, by="target", freq="1h"),
        "issues": lambda frame: zen_nb.delivery_issues(frame),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    for repeat in range(repeats):
        for name, call in calls.items():
            frame = synthetic(attempts, seed=18 + repeat)
            times[name].append(_timed(partial(call, frame)))
            del frame
    figures: dict[str, float] = {"attempts": attempts, "repeats": repeats}
    for name, samples in times.items():
        figures[f"{name}_s"] = statistics.median(wall for wall, _ in samples)
        figures[f"{name}_cpu_s"] = statistics.median(cpu for _, cpu in samples)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    figures = run(args.attempts, args.repeats)
    print(f"{figures['attempts']:,} attempts, medians of {figures['repeats']} runs (wall s / CPU s):")
    for name in ("by_flow", "by_target_hourly", "issues"):
        print(f"  {name:18} {figures[f'{name}_s']:.3f} / {figures[f'{name}_cpu_s']:.3f}")
    verdict = "met" if figures["by_flow_s"] < GOAL_S else "missed"
    print(f"goal: delivery_metrics(frame) under {GOAL_S:g} s: {verdict}")


if __name__ == "__main__":
    main()
