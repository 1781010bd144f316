"""Benchmark: ``load_attempts(workers=8)`` against ``workers=1`` when every request is a 50 ms round trip.

Against a real service every page is a round trip: 100,000 attempts at 250 a page and 50 ms a
trip is 20 s of waiting in one line. A sandbox is started as its own process on a new database;
four flows are created and ``POST /_sandbox/simulate`` (admin token) writes ``--size`` attempts
(rounds of seeded traffic with failures and retries, then one round without failures to reach
the exact count, as in ``load_attempts.py``). Then a fault rule (admin ``POST
/_sandbox/faults``) adds ``latencyMs: 50`` to every request, and in this process, alternately,
``load_attempts(workers=1)`` and ``load_attempts(workers=8)`` are timed (median of
``--repeats``). The frames must be ``equals``; the requests each made are counted by a wrapper
around the client's ``Transport.send`` (pages, and the parallel load's extra probes).

    python benchmarks/parallel_load.py [--size 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import pandas as pd
import requests
from load_attempts import fill

from zen_nb import ZenClient, ZenConfig, load_attempts, parallel_pages

LATENCY_MS = 50
GOAL = 0.25  # workers=8 at most a quarter of workers=1's time


def add_latency(server: harness.SandboxProcess) -> None:
    """Every request to the sandbox waits ``LATENCY_MS`` before it is handled (a far-away service)."""
    rule = {"probability": 1.0, "latencyMs": LATENCY_MS, "path": "/tenants/**", "seed": 1}
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    response = requests.post(f"{server.base_url}/_sandbox/faults", json=rule, headers=headers, timeout=30)
    assert response.status_code == 201, response.text


def timed_load(env: dict[str, str], workers: int) -> tuple[float, pd.DataFrame, int]:
    """Seconds, the frame, and the HTTP requests one ``load_attempts(workers=...)`` made."""
    with ZenClient(ZenConfig(environ=env)) as client:
        send, sent = client._http.send, itertools.count()

        def counted(*args: Any, **kwargs: Any) -> Any:
            next(sent)  # a C-level counter: safe to step from several threads
            return send(*args, **kwargs)

        client._http.send = counted  # type: ignore[method-assign]
        started = time.perf_counter()
        frame = load_attempts(client, progress=False, workers=workers)
        return time.perf_counter() - started, frame, next(sent)


def run(size: int, repeats: int) -> dict[str, Any]:
    """Fill a sandbox, slow it down, and time both loads side by side."""
    with tempfile.TemporaryDirectory() as folder:
        server = harness.SandboxProcess(Path(folder) / "bench.sqlite3")
        try:
            fill(server, size)
            add_latency(server)
            seconds: dict[int, list[float]] = {1: [], 8: []}
            requests_made: dict[int, int] = {}
            frames: dict[int, pd.DataFrame] = {}
            for _ in range(repeats):
                for workers in (1, 8):
                    took, frame, sent = timed_load(server.env, workers)
                    seconds[workers].append(took)
                    requests_made[workers] = sent
                    frames[workers] = frame
            splits = parallel_pages.last_load.splits
        finally:
            server.stop()
    assert len(frames[1]) == size and frames[8].equals(frames[1]), "the parallel frame is not the sequential one"
    one, eight = statistics.median(seconds[1]), statistics.median(seconds[8])
    return {
        "attempts": size,
        "latency_ms": LATENCY_MS,
        "repeats": repeats,
        "workers_1_s": round(one, 2),
        "workers_8_s": round(eight, 2),
        "ratio": round(eight / one, 3),
        "goal": GOAL,
        "requests_workers_1": requests_made[1],
        "requests_workers_8": requests_made[8],
        "pages_at_250": -(-size // 250),
        "splits_workers_8": splits,
        "frames_equal": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    result = run(arguments.size, arguments.repeats)
    print(json.dumps(result))
    verdict = "meets" if result["ratio"] <= GOAL else "MISSES"
    print(f"workers=8 takes {result['ratio']:.2f}x the time of workers=1: {verdict} the goal of <= {GOAL}x")


if __name__ == "__main__":
    main()
